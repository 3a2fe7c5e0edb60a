#!/bin/bash
# A short headless run under valgrind: the generator feeds the embedded
# store for about 10 s, then SIGTERM. Any invalid access,
# use of uninitialised memory or definite/possible leak fails the test.
. "$(dirname "$0")/../lib.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind: not installed (scripts/install-deps.sh test installs it)"
	exit 0
fi

# `make asan` builds with AddressSanitizer, which cannot run under valgrind.
if nm "$TOP" 2>/dev/null | grep -q '__asan_init'; then
	skip "valgrind: $TOP is built with AddressSanitizer"
	exit 0
fi

DIR="$TMP/data"
PORT=$(free_port)
mkdir -p "$DIR"
valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible \
	--log-file="$TMP/valgrind.log" \
	"$TOP" --headless --data-dir "$DIR" --listen "127.0.0.1:$PORT" --generate 200 \
	>"$TMP/out" 2>&1 &
PID=$!
PIDS="$PIDS $PID"

# Under valgrind the start is slow: wait up to 60 s for /health.
for i in $(seq 1 600); do
	curl -s --max-time 2 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
	sleep 0.1
done
check "valgrind: HTTP API answers" 200 "$(http "$PORT" /health >/dev/null; cat "$TMP/status")"
# Exercise the read paths as well: search, latest, stats and metrics.
for path in "/search?q=level:error&limit=5" "/latest?n=5" "/stats?minutes=5" /metrics; do
	http "$PORT" "$path" >/dev/null
done
sleep 8
stored=$(http "$PORT" /health | json 'd["ingest"]["events_stored"]')
check "valgrind: events stored" yes "$([ "${stored:-0}" -gt 0 ] && echo yes || echo "no: $stored")"
stop "$PID"
check "valgrind: exit status after SIGTERM (1 means valgrind found errors)" 0 "$STOP_STATUS"
if [ "$STOP_STATUS" -ne 0 ]; then
	grep -E '==[0-9]+== (Invalid|Conditional|Use of|.*definitely|.*possibly| +at | +by )' \
		"$TMP/valgrind.log" | head -n 40
fi
grep -E 'ERROR SUMMARY|definitely lost|possibly lost' "$TMP/valgrind.log"
finish
