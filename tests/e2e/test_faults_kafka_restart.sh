#!/bin/bash
# The Kafka broker stopped for 10 s during ingest and started again with its
# data and on its port. The test runs a broker of its own (scripts/servers.sh
# start kafka), so the runner's broker stays up. The producer buffers and
# retries meanwhile. streamlens-top reconnects and resumes from the
# committed offsets. It must store every record once in OpenSearch and count
# it once in Redis.
. "$(dirname "$0")/../lib.sh"

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${REDIS_ADDR:-}" ]; then
	skip "Kafka broker restart: KAFKA_BROKERS, OPENSEARCH_URL and REDIS_ADDR must be set"
	exit 0
fi

RUN="k$$$(date +%s)"
TOPIC="logs-$RUN"
PREFIX="sl-$RUN"
GROUP="g-$RUN"
N=6000
RATE=400
OUTAGE_S=10
REDIS_HOST=${REDIS_ADDR%:*}
REDIS_PORT=${REDIS_ADDR##*:}
SERVERS="$TMP/servers"
cleanup_all() {
	"$ROOT/scripts/servers.sh" stop "$SERVERS" >/dev/null 2>&1
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
	redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "*$PREFIX*" |
		xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null
}
trap 'cleanup_all; cleanup' EXIT

if ! "$ROOT/scripts/servers.sh" start kafka "$SERVERS" >"$TMP/broker.env" 2>"$TMP/broker.err"; then
	fail "a broker of its own did not start: $(tail -n 5 "$TMP/broker.err")"
	exit 1
fi
BROKER=$(sed -n 's/^KAFKA_BROKERS=//p' "$TMP/broker.env")

# The first record creates the topic before the consumer subscribes.
"$PRODUCER" --brokers "$BROKER" --topic "$TOPIC" --count 1 --rate 0 --seed 30 2>/dev/null
PORT=$(free_port)
start_headless "$TMP/ingest" "$PORT" --es "$OPENSEARCH_URL" --es-index "$PREFIX" \
	--redis "$REDIS_ADDR" --brokers "$BROKER" --topic "$TOPIC" --group "$GROUP"
PID=$LAST_PID
wait_http "$PORT" || fail "HTTP API did not come up: $(tail -n 5 "$TMP/ingest.out")"
"$PRODUCER" --brokers "$BROKER" --topic "$TOPIC" --count $((N - 1)) --rate $RATE --seed 31 \
	2>"$TMP/produce.err" &
PRODUCER_PID=$!
sleep 3

if ! "$ROOT/scripts/servers.sh" stop --keep "$SERVERS" kafka 2>"$TMP/stop.err"; then
	fail "stopping the broker failed: $(tail -n 5 "$TMP/stop.err")"
fi
during=$(http "$PORT" "/search?limit=1" | json 'd["total"]' 2>/dev/null)
sleep $OUTAGE_S
check "outage: process survived" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
check "outage: /health answers" 200 "$(http "$PORT" /health >/dev/null; cat "$TMP/status")"
if ! "$ROOT/scripts/servers.sh" start --keep kafka "$SERVERS" >"$TMP/broker2.env" 2>"$TMP/broker2.err"; then
	fail "the broker did not start again: $(tail -n 5 "$TMP/broker2.err")"
fi
check "restart: same address" "$BROKER" "$(sed -n 's/^KAFKA_BROKERS=//p' "$TMP/broker2.env")"

wait "$PRODUCER_PID"
check "producer delivered every record across the restart" 0 "$?"
for i in $(seq 1 400); do
	t=$(http "$PORT" "/search?limit=1" | json 'd["total"]' 2>/dev/null)
	[ "$t" = "$N" ] && break
	sleep 0.2
done
echo "stored when the broker stopped: $during; at the end: $t"
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
	"$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')"
stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"

result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
"$ROOT/tests/reliability.sh" record "Kafka broker stopped ${OUTAGE_S} s and restarted with its data, at $RATE records/s" \
	distributed $N "$((docs - extra))" "$extra" 0 $result
finish
