#!/bin/bash
# SIGTERM and SIGINT store the batch in progress, keep the file position
# and exit 0 within a deadline; a restart then neither loses nor repeats a
# line. SIGHUP reopens the log file after it was moved away.
. "$(dirname "$0")/../lib.sh"

N=20000
DEADLINE_TENTHS=150

# exit_within PID: waits up to DEADLINE_TENTHS/10 s for PID to exit and sets
# EXIT_STATUS (or "timeout", after which the process is killed).
exit_within() {
	local i
	for i in $(seq 1 $DEADLINE_TENTHS); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		EXIT_STATUS=timeout
		return
	fi
	wait "$1"
	EXIT_STATUS=$?
}

LOG="$TMP/input.log"
python3 -c '
import sys
for n in range(int(sys.argv[1])):
    print("2026-01-01T00:00:00Z INFO svc: signal-test line %d" % n)' $N >"$LOG"

result=PASS
for sig in TERM INT; do
	DIR="$TMP/data-$sig"
	PORT=$(free_port)
	start_headless "$DIR" "$PORT" --file "$LOG" --from-start --generate 0
	PID=$LAST_PID
	wait_http "$PORT" || fail "SIG$sig: HTTP API did not come up: $(tail -n 5 "$DIR.out")"
	kill "-$sig" "$PID"
	exit_within "$PID"
	check "SIG$sig: exits 0 within the deadline" 0 "$EXIT_STATUS"

	start_headless "$DIR" "$PORT" --file "$LOG" --from-start --generate 0
	PID=$LAST_PID
	wait_http "$PORT" || fail "SIG$sig: HTTP API did not come up after restart"
	check "SIG$sig: restart stores every line" $N "$(wait_total "$PORT" $N)"
	stop "$PID"
	check "SIG$sig: second stop exits 0" 0 "$STOP_STATUS"
	read -r rows ids <<<"$(sqlite3 -separator ' ' "$DIR/events.db" \
		'select count(*), count(distinct message) from events')"
	check "SIG$sig: no line stored twice" "$ids" "$rows"
	[ "$FAILS" -eq 0 ] || result=FAIL
	"$ROOT/tests/reliability.sh" record "SIG$sig during file ingest, restart" embedded $N "$ids" \
		$((rows - ids)) 0 $result
done

# SIGHUP: the log file was moved away, so new lines go to a new file.
DIR="$TMP/data-hup"
PORT=$(free_port)
mkdir -p "$DIR"
start_headless "$DIR" "$PORT" --generate 50 --log-file "$TMP/sl.log"
PID=$LAST_PID
wait_http "$PORT" || fail "SIGHUP: HTTP API did not come up: $(tail -n 5 "$DIR.out")"
grep -q 'listening' "$TMP/sl.log"
check "SIGHUP: log file written before rotation" 0 "$?"
mv "$TMP/sl.log" "$TMP/sl.log.1"
kill -HUP "$PID"
sleep 0.5
check "SIGHUP: process keeps running" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
stop "$PID"
check "SIGHUP: later SIGTERM exits 0" 0 "$STOP_STATUS"
check "SIGHUP: a new log file is created" yes "$([ -f "$TMP/sl.log" ] && echo yes || echo no)"
grep -q 'shutting down' "$TMP/sl.log" 2>/dev/null
check "SIGHUP: lines after the signal go to the new file" 0 "$?"
grep -q 'shutting down' "$TMP/sl.log.1"
check "SIGHUP: the moved file gets no new lines" 1 "$?"
finish
