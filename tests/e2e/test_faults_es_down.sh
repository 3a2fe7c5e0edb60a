#!/bin/bash
# The OpenSearch node stopped for 30 s while a file is appended at a steady
# rate, then started again with its data and on its port. The test runs a
# node of its own (scripts/servers.sh start opensearch), so stopping it
# leaves the runner's node alone. The pipeline must pause the source
# (memory stays bounded), retry, and store and count every line exactly
# once when the node is back.
. "$(dirname "$0")/../lib.sh"

if [ -z "${OPENSEARCH_URL:-}" ]; then
	skip "OpenSearch outage: OPENSEARCH_URL must be set (tests/run.sh starts the server)"
	exit 0
fi

PREFIX="sl-down"
N=12000
RATE=300
OUTAGE_SAMPLES=60 # 0.5 s apart: about 30 s
RSS_MAX_KB=$((256 * 1024))
SERVERS="$TMP/servers"
trap '"$ROOT/scripts/servers.sh" stop "$SERVERS" >/dev/null 2>&1; cleanup' EXIT

if ! "$ROOT/scripts/servers.sh" start opensearch "$SERVERS" >"$TMP/node.env" 2>"$TMP/node.err"; then
	fail "a node of its own did not start: $(tail -n 5 "$TMP/node.err")"
	exit 1
fi
NODE=$(sed -n 's/^OPENSEARCH_URL=//p' "$TMP/node.env")

LOG="$TMP/input.log"
: >"$LOG"
python3 - "$LOG" $N $RATE <<'PY' &
import json, sys, time
path, count, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "a") as f:
    for n in range(count):
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.write(json.dumps({"timestamp": ts, "level": "info", "service": "esdown",
                            "message": "es-down line %d" % n}) + "\n")
        f.flush()
        if n % 30 == 29:
            time.sleep(30.0 / rate)
PY
APPENDER=$!
PIDS="$PIDS $APPENDER"

DIR="$TMP/data"
PORT=$(free_port)
start_headless "$DIR" "$PORT" --es "$NODE" --es-index "$PREFIX" --file "$LOG" --from-start \
	--generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up: $(tail -n 5 "$DIR.out")"
sleep 3

if ! "$ROOT/scripts/servers.sh" stop --keep "$SERVERS" opensearch 2>"$TMP/stop.err"; then
	fail "stopping the node failed: $(tail -n 5 "$TMP/stop.err")"
fi
check "outage: the node is down" 000 \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$NODE/" 2>/dev/null)"
max_rss=0
paused_from=""
for i in $(seq 1 $OUTAGE_SAMPLES); do
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)
	[ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
	# Ten seconds in, the batch in flight has failed and the source waits.
	if [ "$i" -eq 20 ]; then
		paused_from=$(http "$PORT" /health | json 'd["ingest"]["events_in"]' 2>/dev/null)
	fi
	sleep 0.5
done
health=$(http "$PORT" /health)
paused_to=$(echo "$health" | json 'd["ingest"]["events_in"]' 2>/dev/null)
appended=$(wc -l <"$LOG")

start_s=$SECONDS
if ! "$ROOT/scripts/servers.sh" start --keep opensearch "$SERVERS" >"$TMP/node2.env" 2>"$TMP/node2.err"; then
	fail "the node did not start again: $(tail -n 5 "$TMP/node2.err")"
fi
echo "node back after $((SECONDS - start_s)) s"
check "restart: same address" "$NODE" "$(sed -n 's/^OPENSEARCH_URL=//p' "$TMP/node2.env")"

check "outage: process survived" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
check "outage: write errors counted" True "$(echo "$health" | json 'd["ingest"]["write_errors"] > 0')"
check "outage: /health shows the last error" True "$(echo "$health" | json 'len(d["ingest"]["last_error"]) > 0')"
check "outage: the source paused (events read stayed at $paused_from)" "$paused_from" "$paused_to"
check "outage: lines kept coming meanwhile" yes \
	"$([ "$appended" -gt "${paused_to:-0}" ] && echo yes || echo "no: $appended lines, $paused_to read")"
check "outage: RSS stayed under $((RSS_MAX_KB / 1024)) MB" yes \
	"$([ "$max_rss" -gt 0 ] && [ "$max_rss" -lt $RSS_MAX_KB ] && echo yes || echo "no: $max_rss kB")"
echo "max RSS during the outage: $max_rss kB"

wait "$APPENDER"
for i in $(seq 1 600); do
	t=$(http "$PORT" "/search?limit=1&q=service:esdown" | json 'd["total"]' 2>/dev/null)
	[ "$t" = "$N" ] && break
	sleep 0.2
done
check "after the outage: every line stored" $N "$t"
curl -s -X POST "$NODE/$PREFIX-*/_refresh" >/dev/null
docs=$(curl -s -H 'Content-Type: application/json' "$NODE/$PREFIX-*/_count" \
	-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
extra=$(curl -s -H 'Content-Type: application/json' "$NODE/$PREFIX-*/_search" -d \
	'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
	json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
check "after the outage: OpenSearch documents" $N "$docs"
check "after the outage: no document twice" 0 "$extra"
sleep 1
check "after the outage: hot counters count every line once" $N \
	"$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')"
stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
dead=$(wc -l <"$DIR/dead-letters.jsonl" 2>/dev/null || echo 0)
"$ROOT/tests/reliability.sh" record \
	"OpenSearch node stopped 30 s and restarted with its data, at $RATE lines/s (max RSS $((max_rss / 1024)) MB)" \
	"file source, OpenSearch store" $N "$((docs - extra))" "$extra" "$dead" $result
finish
