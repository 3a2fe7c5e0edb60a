#!/bin/bash
# Following a file like tail -F: appended lines, rotation, truncation, an
# unterminated last line, and a restart that resumes from the stored
# position without losing or repeating a line.
. "$(dirname "$0")/../lib.sh"

LOG="$TMP/app.log"
DIR="$TMP/data"
PORT=$(free_port)

total() {
	http "$PORT" "/search?limit=1" | json 'd["total"]'
}

# wait_for N: waits up to 20 s for the total to reach N; prints it.
wait_for() {
	local i t
	for i in $(seq 1 200); do
		t=$(total 2>/dev/null)
		[ "$t" = "$1" ] && break
		sleep 0.1
	done
	echo "$t"
}

printf 'old line before start 1\nold line before start 2\n' >"$LOG"
start_headless "$DIR" "$PORT" --file "$LOG" --generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up"
sleep 0.5
check "without --from-start, existing lines are skipped" 0 "$(total)"

for i in 1 2 3; do echo "2026-01-01T00:00:0${i}Z INFO appended $i" >>"$LOG"; done
check "appended lines are read" 3 "$(wait_for 3)"

mv "$LOG" "$LOG.1"
echo "ERROR last line of the old file" >>"$LOG.1"
sleep 0.3
for i in 1 2; do echo "INFO rotated $i" >>"$LOG"; done
check "rotation: old file drained, new file read" 6 "$(wait_for 6)"

: >"$LOG"
sleep 0.5
echo "INFO after truncation" >>"$LOG"
check "truncation: reading restarts at offset 0" 7 "$(wait_for 7)"
check "truncation: the new line is stored" 1 \
	"$(http "$PORT" "/search?q=$(urlencode '"after truncation"')" | json 'd["total"]')"

printf 'WARN no newline' >>"$LOG"
sleep 2
printf ' yet\n' >>"$LOG"
check "a line written in two parts is one event" 8 "$(wait_for 8)"
check "the joined line is stored whole" 1 \
	"$(http "$PORT" "/search?q=$(urlencode '"no newline yet"')" | json 'd["total"]')"
printf 'WARN no newline at all' >>"$LOG"
check "unterminated last line is stored after idle" 9 "$(wait_for 9)"

stop "$PID"
	check "SIGTERM exits 0" 0 "$STOP_STATUS"
for i in 1 2 3 4; do echo "INFO written while stopped $i" >>"$LOG"; done

start_headless "$DIR" "$PORT" --file "$LOG" --generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up after restart"
check "restart resumes after the stored position" 13 "$(wait_for 13)"
sleep 1
check "restart stores no line twice" 13 "$(total)"
check "restart: lines written while stopped are searchable" 4 \
	"$(http "$PORT" "/search?q=$(urlencode '"written while stopped"')" | json 'd["total"]')"
check "restart: hot store rebuilt, /stats counts all" 13 \
	"$(http "$PORT" "/stats?minutes=527040" | json 'd["totals"]["all"]')"
"$TOP" --headless --data-dir "$DIR" --file "$LOG" --listen off 2>"$TMP/err"
check "second ingesting instance on one data dir exits 1" 1 "$?"
check "second instance names the running one" 1 "$(grep -c "in use by another streamlens-top (pid $PID)" "$TMP/err")"
stop "$PID"
	check "SIGTERM exits 0 after restart" 0 "$STOP_STATUS"

finish
