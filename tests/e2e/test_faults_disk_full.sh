#!/bin/bash
# A full disk under the embedded store: the data directory is an 8 MB
# tmpfs that the test mounts, smaller than the events need. Ingestion must
# pause with a clear error in /health, resume when space is freed (the
# tmpfs is grown), and end with every line stored once and an intact
# database. Needs root to mount; skips otherwise.
. "$(dirname "$0")/../lib.sh"

MNT="$TMP/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>"$TMP/mount.err"; then
	skip "disk full: cannot mount a tmpfs ($(head -c 200 "$TMP/mount.err")); run as root to test"
	exit 0
fi
trap 'umount -l "$MNT" 2>/dev/null; cleanup' EXIT

N=30000
python3 -c '
import sys
pad = "p" * 200
for n in range(int(sys.argv[1])):
    print("2026-01-01T00:00:00Z INFO svc: disk-full line %d %s" % (n, pad))' $N >"$TMP/input.log"

DIR="$MNT/data"
PORT=$(free_port)
start_headless "$DIR" "$PORT" --file "$TMP/input.log" --from-start --generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up: $(tail -n 5 "$DIR.out")"

# Wait up to 60 s for the store to report the full disk.
for i in $(seq 1 300); do
	health=$(http "$PORT" /health)
	echo "$health" | json 'd["ingest"]["last_error"]' 2>/dev/null | grep -q 'disk is full' && break
	sleep 0.2
done
last_error=$(echo "$health" | json 'd["ingest"]["last_error"]')
echo "last_error: $last_error"
check "full: /health last_error says the disk is full" 1 "$(echo "$last_error" | grep -c 'disk is full')"
check "full: process still running" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
stored_full=$(http "$PORT" "/search?limit=1" | json 'd["total"]')
check "full: ingestion paused before the end" yes "$([ "${stored_full:-$N}" -lt $N ] && echo yes || echo no)"
check "full: /health still answers" 200 "$(http "$PORT" /health >/dev/null; cat "$TMP/status")"

mount -o remount,size=128m "$MNT"
check "space freed: every line stored" $N "$(wait_total "$PORT" $N)"
stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"
check "integrity_check after the full disk" ok "$(sqlite3 "$DIR/events.db" 'pragma integrity_check')"
read -r rows msgs <<<"$(sqlite3 -separator ' ' "$DIR/events.db" \
	'select count(*), count(distinct message) from events')"
check "no line lost" $N "$msgs"
check "no line stored twice" "$msgs" "$rows"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
"$ROOT/tests/reliability.sh" record "disk full (8 MB tmpfs), then space freed" embedded $N \
	"${msgs:-0}" "$((${rows:-0} - ${msgs:-0}))" 0 $result
finish
