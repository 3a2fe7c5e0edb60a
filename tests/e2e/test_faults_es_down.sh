#!/bin/bash
# OpenSearch unreachable for 30 s while a file is appended at a steady
# rate. tests/faultproxy.py sits between streamlens-top and the real node
# and refuses every connection meanwhile, which is what a client sees of a
# stopped node. The pipeline must pause the source (memory stays bounded),
# retry, and store every line exactly once when the node is back.
. "$(dirname "$0")/../lib.sh"

if [ -z "${OPENSEARCH_URL:-}" ]; then
	skip "OpenSearch outage: OPENSEARCH_URL must be set (tests/run.sh starts the server)"
	exit 0
fi

RUN="d$$$(date +%s)"
PREFIX="sl-$RUN"
N=12000
RATE=300
OUTAGE_SAMPLES=60 # 0.5 s apart: about 30 s
RSS_MAX_KB=$((256 * 1024))
cleanup_index() {
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
}
trap 'cleanup_index; cleanup' EXIT

python3 "$ROOT/tests/faultproxy.py" --upstream "$OPENSEARCH_URL" --port-file "$TMP/proxy.port" \
	--lifetime 240 >"$TMP/proxy.out" 2>&1 &
PROXY_PID=$!
PIDS="$PIDS $PROXY_PID"
for i in $(seq 1 50); do
	[ -s "$TMP/proxy.port" ] && break
	sleep 0.1
done
PROXY="http://127.0.0.1:$(cat "$TMP/proxy.port" 2>/dev/null)"

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
start_headless "$DIR" "$PORT" --es "$PROXY" --es-index "$PREFIX" --file "$LOG" --from-start \
	--generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up: $(tail -n 5 "$DIR.out")"
sleep 3

kill -USR1 "$PROXY_PID"
max_rss=0
for i in $(seq 1 $OUTAGE_SAMPLES); do
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)
	[ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
	sleep 0.5
done
health=$(http "$PORT" /health)
kill -USR2 "$PROXY_PID"

check "outage: process survived" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
check "outage: write errors counted" True "$(echo "$health" | json 'd["ingest"]["write_errors"] > 0')"
check "outage: /health shows the last error" True "$(echo "$health" | json 'len(d["ingest"]["last_error"]) > 0')"
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
curl -s -X POST "$OPENSEARCH_URL/$PREFIX-*/_refresh" >/dev/null
docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_count" \
	-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
extra=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_search" -d \
	'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
	json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
check "after the outage: OpenSearch documents" $N "$docs"
check "after the outage: no document twice" 0 "$extra"
hot=$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')
check "after the outage: hot counters count nothing twice" yes \
	"$([ "${hot:-0}" -le $N ] && echo yes || echo "no: $hot")"
# TODO: the hot counters can fall short of the store after an outage. Seen
# once under heavy load (11281 of 12000): probably a bulk request cut off
# mid-flight was stored by the node, its retry got "exists", and the
# pipeline counts only events the store reports as inserted. Assert
# equality here once the ES store reports such items as inserted.
[ "${hot:-0}" -eq $N ] || echo "NOTE: hot counters $hot of $N after the outage"
stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
dead=$(wc -l <"$DIR/dead-letters.jsonl" 2>/dev/null || echo 0)
"$ROOT/tests/reliability.sh" record \
	"OpenSearch unreachable 30 s at $RATE lines/s (max RSS $((max_rss / 1024)) MB)" \
	"file source, OpenSearch store" $N "$((docs - extra))" "$extra" "$dead" $result
finish
