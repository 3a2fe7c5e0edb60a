#!/bin/bash
# Consumer-group rebalances while ingesting from Kafka: a second instance
# joins the group and leaves it (once with SIGTERM, once with SIGKILL) while
# the producer writes at a steady rate. Every record must be stored once in
# OpenSearch and counted once in Redis. Then a record that OpenSearch
# rejects (413 from tests/faultproxy.py) goes to the file and the
# "<topic>.dlq" Kafka topic, with the reason in a header.
. "$(dirname "$0")/../lib.sh"

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${REDIS_ADDR:-}" ]; then
	skip "Kafka rebalance: KAFKA_BROKERS, OPENSEARCH_URL and REDIS_ADDR must be set"
	exit 0
fi

RUN="r$$$(date +%s)"
TOPIC="logs-$RUN"
PREFIX="sl-$RUN"
GROUP="g-$RUN"
N=6000
REDIS_HOST=${REDIS_ADDR%:*}
REDIS_PORT=${REDIS_ADDR##*:}
cleanup_cluster() {
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
	redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "*$PREFIX*" |
		xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null
}
trap 'cleanup_cluster; cleanup' EXIT

# instance NAME: starts a headless consumer of the topic and sets PID, PORT.
instance() {
	PORT=$(free_port)
	start_headless "$TMP/$1" "$PORT" --es "$OPENSEARCH_URL" --es-index "$PREFIX" \
		--redis "$REDIS_ADDR" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
	PID=$LAST_PID
	wait_http "$PORT" || fail "$1: HTTP API did not come up: $(tail -n 5 "$TMP/$1.out")"
}

# The first record creates the topic (three partitions on the test broker,
# so a second consumer gets some of them) before the group starts.
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count 1 --rate 0 --seed 20 2>/dev/null
instance main
MAIN_PID=$PID
MAIN_PORT=$PORT
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count $((N - 1)) --rate 500 --seed 21 \
	2>"$TMP/produce.err" &
PRODUCER_PID=$!
sleep 2
instance joiner1
sleep 4
stop "$PID"
check "joiner 1: SIGTERM exits 0" 0 "$STOP_STATUS"
instance joiner2
sleep 3
kill -KILL "$PID"
wait "$PID" 2>/dev/null
wait "$PRODUCER_PID"
check "producer sent every record" 0 "$?"

for i in $(seq 1 400); do
	t=$(http "$MAIN_PORT" "/search?limit=1" | json 'd["total"]' 2>/dev/null)
	[ "$t" = "$N" ] && break
	sleep 0.2
done
check "every record searchable" $N "$t"
sleep 2
curl -s -X POST "$OPENSEARCH_URL/$PREFIX-*/_refresh" >/dev/null
docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_count" \
	-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
extra=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_search" -d \
	'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
	json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
check "OpenSearch documents" $N "$docs"
check "no document twice" 0 "$extra"
check "Redis counts every record once" $N \
	"$(http "$MAIN_PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')"
stop "$MAIN_PID"
check "main consumer: SIGTERM exits 0" 0 "$STOP_STATUS"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
"$ROOT/tests/reliability.sh" record "consumer joins and leaves twice (SIGTERM, SIGKILL)" \
	distributed $N "$((docs - extra))" "$extra" 0 $result

# --- dead letters to Kafka --------------------------------------------------
if ! command -v kcat >/dev/null 2>&1; then
	skip "Kafka dead-letter topic: kcat not installed (scripts/install-deps.sh servers)"
	finish
	exit
fi
fails_before=$FAILS
MAX_BYTES=65536
python3 "$ROOT/tests/faultproxy.py" --upstream "$OPENSEARCH_URL" --port-file "$TMP/proxy.port" \
	--max-bulk-bytes $MAX_BYTES --lifetime 120 >"$TMP/proxy.out" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 50); do
	[ -s "$TMP/proxy.port" ] && break
	sleep 0.1
done
DLQ_TOPIC="$TOPIC-dl"
python3 - $((MAX_BYTES * 2)) >"$TMP/dlq-input.log" <<'PY'
import json, sys, time
ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for i in range(200):
    print(json.dumps({"timestamp": ts, "level": "info", "service": "dlq", "message": "dlq line %d" % i}))
    if i == 100:
        print(json.dumps({"timestamp": ts, "level": "warn", "service": "dlq",
                          "message": "oversized " + "x" * int(sys.argv[1])}))
PY
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$DLQ_TOPIC" --file "$TMP/dlq-input.log" --rate 0 \
	2>"$TMP/dlq-produce.err"
check "dead letters: producer sent the records" 0 "$?"
PORT=$(free_port)
start_headless "$TMP/dlq" "$PORT" --es "http://127.0.0.1:$(cat "$TMP/proxy.port")" \
	--es-index "$PREFIX" --redis "$REDIS_ADDR" --brokers "$KAFKA_BROKERS" --topic "$DLQ_TOPIC" \
	--group "$GROUP-dl"
PID=$LAST_PID
wait_http "$PORT" || fail "dead letters: HTTP API did not come up: $(tail -n 5 "$TMP/dlq.out")"
for i in $(seq 1 300); do
	dl=$(http "$PORT" /metrics | sed -n 's/^streamlens_dead_letters_total \([0-9]*\)$/\1/p')
	[ "$dl" = 1 ] && break
	sleep 0.2
done
check "dead letters: /metrics counts one" 1 "$dl"
for i in $(seq 1 150); do
	t=$(http "$PORT" "/search?limit=1&q=service:dlq" | json 'd["total"]' 2>/dev/null)
	[ "$t" = 200 ] && break
	sleep 0.2
done
check "dead letters: the other records stored" 200 "$t"
stop "$PID"
check "dead letters: SIGTERM exits 0" 0 "$STOP_STATUS"
check "dead letters: one line in dead-letters.jsonl" 1 "$(wc -l <"$TMP/dlq/dead-letters.jsonl")"
timeout 30 kcat -C -b "$KAFKA_BROKERS" -t "$DLQ_TOPIC.dlq" -o beginning -c 1 -e \
	-f '%k\t%h\t%S\n' >"$TMP/dlq.kcat" 2>"$TMP/dlq.kcat.err"
check "dead letters: one record in $DLQ_TOPIC.dlq" 1 "$(grep -c . "$TMP/dlq.kcat")"
check "dead letters: the key is the event id" \
	"$(json 'd["id"]' <"$TMP/dlq/dead-letters.jsonl")" "$(cut -f1 "$TMP/dlq.kcat")"
check "dead letters: the reason header names the 413" 1 "$(cut -f2 "$TMP/dlq.kcat" | grep -c 'reason=.*413')"
check "dead letters: the value is the whole raw record" yes \
	"$(awk -F'\t' '{ print ($3 > 131072 ? "yes" : "no: " $3 " bytes") }' "$TMP/dlq.kcat")"
result=PASS
[ "$FAILS" -eq "$fails_before" ] || result=FAIL
"$ROOT/tests/reliability.sh" record "document over the node's bulk limit (413)" \
	"distributed, Kafka dead-letter topic" 201 200 0 "$(grep -c . "$TMP/dlq.kcat")" $result
finish
