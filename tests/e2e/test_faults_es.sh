#!/bin/bash
# OpenSearch faults through tests/faultproxy.py, a proxy of our own between
# streamlens-top and the real node: whole bulk requests rejected with 429,
# single items rejected with 429, 413 for bodies over a byte limit, and bulk requests
# stored by the node whose response is lost. Only failed items may be sent
# again, oversized requests are split, the one document that alone exceeds
# the limit is dead-lettered, and the hot counters count every stored line
# once, also those whose first response was lost.
. "$(dirname "$0")/../lib.sh"

if [ -z "${OPENSEARCH_URL:-}" ]; then
	skip "OpenSearch faults: OPENSEARCH_URL must be set (tests/run.sh starts the server)"
	exit 0
fi

RUN="e$$$(date +%s)"
PREFIX="sl-$RUN"
N=3000
MAX_BYTES=65536
cleanup_index() {
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
}
trap 'cleanup_index; cleanup' EXIT

python3 "$ROOT/tests/faultproxy.py" --upstream "$OPENSEARCH_URL" --port-file "$TMP/proxy.port" \
	--request-429-every 7 --item-429-every 50 --max-bulk-bytes $MAX_BYTES --lose-response-every 11 \
	--lifetime 240 \
	>"$TMP/proxy.out" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 50); do
	[ -s "$TMP/proxy.port" ] && break
	sleep 0.1
done
PROXY="http://127.0.0.1:$(cat "$TMP/proxy.port" 2>/dev/null)"

# N ordinary lines, and in the middle one line whose message alone is
# larger than the proxy's byte limit.
python3 - $N $((MAX_BYTES * 2)) >"$TMP/input.log" <<'PY'
import json, sys, time
n, big = int(sys.argv[1]), int(sys.argv[2])
ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for i in range(n):
    print(json.dumps({"timestamp": ts, "level": "info", "service": "esfault",
                      "message": "es-fault line %d" % i}))
    if i == n // 2:
        print(json.dumps({"timestamp": ts, "level": "warn", "service": "esfault",
                          "message": "oversized " + "x" * big}))
PY

DIR="$TMP/data"
PORT=$(free_port)
start_headless "$DIR" "$PORT" --es "$PROXY" --es-index "$PREFIX" --file "$TMP/input.log" \
	--from-start --generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up: $(tail -n 5 "$DIR.out")"
# The node has every line as soon as a request whose response was lost is
# stored, while StreamLens may still be sending that batch again. The hot
# counters move only when the batch is written, so they mark its end.
for i in $(seq 1 600); do
	t=$(http "$PORT" "/search?limit=1&q=service:esfault" | json 'd["total"]' 2>/dev/null)
	dl=$(http "$PORT" /metrics | sed -n 's/^streamlens_dead_letters_total \([0-9]*\)$/\1/p')
	hot=$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]' 2>/dev/null)
	[ "$t" = "$N" ] && [ "$dl" = 1 ] && [ "$hot" = "$N" ] && break
	sleep 0.2
done
check "every ordinary line stored" $N "$t"
check "/metrics: streamlens_dead_letters_total" 1 "$dl"

curl -s -X POST "$OPENSEARCH_URL/$PREFIX-*/_refresh" >/dev/null
# Event documents only: the positions index matches the pattern too.
docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_count" \
	-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
extra=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_search" -d \
	'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
	json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
check "OpenSearch documents" $N "$docs"
check "no document twice" 0 "$extra"

lines=$(wc -l <"$DIR/dead-letters.jsonl" 2>/dev/null || echo 0)
check "dead-letters.jsonl: one record" 1 "$lines"
check "dead-letter reason names the 413" True \
	"$(head -n 1 "$DIR/dead-letters.jsonl" | json '"413" in d["reason"] and d["event"]["message"].startswith("oversized")')"

stats=$(curl -s "$PROXY/_faultproxy/stats")
echo "proxy: $stats"
check "proxy injected whole-request 429s" True "$(echo "$stats" | json 'd["request_429"] > 0')"
check "proxy injected item 429s" True "$(echo "$stats" | json 'd["item_429"] > 0')"
check "proxy answered 413s (batches split)" True "$(echo "$stats" | json 'd["request_413"] > 0')"
check "proxy lost responses of stored requests" True "$(echo "$stats" | json 'd["lost_responses"] > 0')"
# The proxy listens on loopback, where --es-compress auto sends plain bodies.
check "bulk bodies to a loopback node are not compressed" 0 "$(echo "$stats" | json 'd["gzip_requests"]')"
# Every item the proxy failed is sent once more, except the dead-lettered
# one's last failure; nothing that succeeded is sent again.
check "only failed items are sent again" "$(echo "$stats" | json 'd["failed_items"] - 1')" \
	"$(echo "$stats" | json 'd["resent_items"]')"
check "hot counters count every stored line once" $N \
	"$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')"
# The pipeline counts every event the store did not insert as a duplicate,
# the dead-lettered one included, so exactly that one may be there.
check "/health: duplicates are only the dead-lettered line" 1 \
	"$(http "$PORT" /health | json 'd["ingest"]["duplicates"]')"
stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"

# True redelivery: without its saved position, a restart reads the file
# again. Every line then gets 409 from the node and was stored by the
# earlier run, so nothing may be stored or counted a second time. This run
# compresses its bulk bodies, which the proxy unpacks.
curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-positions" >/dev/null
start_headless "$DIR" "$PORT" --es "$PROXY" --es-index "$PREFIX" --file "$TMP/input.log" \
	--from-start --generate 0 --es-compress always
PID=$LAST_PID
wait_http "$PORT" || fail "restart: HTTP API did not come up: $(tail -n 5 "$DIR.out")"
for i in $(seq 1 300); do
	health=$(http "$PORT" /health)
	[ "$(echo "$health" | json 'd["ingest"]["events_in"] >= '$((N + 1))' and d["sources_idle"]' 2>/dev/null)" = True ] && break
	sleep 0.2
done
check "redelivery: every line read again" $((N + 1)) "$(echo "$health" | json 'd["ingest"]["events_in"]')"
check "redelivery: hot counters unchanged" $N \
	"$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')"
check "redelivery: search total unchanged" $N \
	"$(http "$PORT" "/search?limit=1&q=service:esfault" | json 'd["total"]')"
stop "$PID"
check "redelivery: SIGTERM exits 0" 0 "$STOP_STATUS"
check "--es-compress always: bulk bodies sent with gzip" True \
	"$(curl -s "$PROXY/_faultproxy/stats" | json 'd["gzip_requests"] > 0')"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
"$ROOT/tests/reliability.sh" record \
	"OpenSearch 429 (request and item), 413 split, oversized document, lost bulk responses" \
	"embedded source, OpenSearch store" $((N + 1)) "$((docs - extra))" "$extra" "$lines" $result
finish
