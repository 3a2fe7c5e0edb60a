#!/bin/bash
# Distributed mode end to end on the real servers the runner started. The
# producer writes to Kafka and streamlens-top consumes into OpenSearch and
# Redis. The HTTP API must count every record once, also after a restart,
# with a viewer, and with two consumers sharing the group.
. "$(dirname "$0")/../lib.sh"

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${REDIS_ADDR:-}" ]; then
	skip "distributed mode: KAFKA_BROKERS, OPENSEARCH_URL and REDIS_ADDR must be set (tests/run.sh starts the servers)"
	exit 0
fi

RUN="t$$$(date +%s)"
TOPIC="logs-$RUN"
PREFIX="sl-$RUN"
GROUP="g-$RUN"
N=3000

cleanup_index() {
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*,ssh$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/ssh$PREFIX" >/dev/null
	redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" --scan --pattern "*$PREFIX*" |
		xargs -r redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" del >/dev/null
}
trap 'cleanup_index; cleanup' EXIT

total() {
	http "$1" "/search?limit=1&q=$(urlencode "${2:-}")" | json 'd["total"]'
}

# wait_for PORT N [QUERY]: waits up to 60 s for the search total to reach N.
wait_for() {
	local i t
	for i in $(seq 1 300); do
		t=$(total "$1" "${3:-}" 2>/dev/null)
		[ "$t" = "$2" ] && break
		sleep 0.2
	done
	echo "$t"
}

# instance NAME ARGS...: starts a headless streamlens-top on the cluster.
instance() {
	local name=$1
	shift
	PORT=$(free_port)
	start_headless "$TMP/$name" "$PORT" --es "$OPENSEARCH_URL" --es-index "$PREFIX" \
		--redis "$REDIS_ADDR" "$@"
	PID=$LAST_PID
	wait_http "$PORT" || fail "$name: HTTP API did not come up: $(tail -n 5 "$TMP/$name.out")"
}

"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count $N --rate 0 --seed 5 2>"$TMP/produce.err"
check "producer sends $N records to Kafka" 0 "$?"
# The same seed gives the same events on stdout, to count them independently.
"$PRODUCER" --count $N --rate 0 --seed 5 >"$TMP/expected.jsonl"
errors=$(grep -c '"level":"error"' "$TMP/expected.jsonl")
payments=$(grep -c '"service":"payments"' "$TMP/expected.jsonl")

instance ingest1 --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
P1=$PORT
check "every record stored once in OpenSearch" $N "$(wait_for $P1 $N)"
check "level:error as in the produced events" "$errors" "$(total $P1 'level:error')"
check "service:payments as in the produced events" "$payments" "$(total $P1 'service:payments')"
sleep 1
check "Redis counters: /stats totals" $N "$(http $P1 "/stats?minutes=60" | json 'd["totals"]["all"]')"
check "/stats comes from the hot store" hot "$(http $P1 "/stats?minutes=60" | json 'd["source"]')"
check "/latest from Redis returns 5 events" 5 "$(http $P1 "/latest?n=5" | json 'len(d["events"])')"
check "/health: hot store not degraded" False "$(http $P1 /health | json 'd["hot_store"]["degraded"]')"

# A viewer reads the same cluster without consuming.
instance viewer --no-ingest
check "viewer: same search total" $N "$(total $PORT)"
check "viewer: same Redis totals" $N "$(http $PORT "/stats?minutes=60" | json 'd["totals"]["all"]')"
stop "$PID"
check "viewer: SIGTERM exits 0" 0 "$STOP_STATUS"

# Restart the consumer: committed offsets mean nothing is consumed twice.
PID=$(echo "$PIDS" | awk '{print $1}')
stop "$PID"
check "consumer: SIGTERM exits 0" 0 "$STOP_STATUS"
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count 500 --rate 0 --seed 6 2>/dev/null
instance ingest1b --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
check "after restart: only the new records are added" $((N + 500)) "$(wait_for $PORT $((N + 500)))"
sleep 2
check "after restart: no record counted twice in Redis" $((N + 500)) \
	"$(http $PORT "/stats?minutes=60" | json 'd["totals"]["all"]')"

# Two consumers in one group split the partitions; each record is stored once.
instance ingest2 --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
sleep 5
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count 2000 --rate 0 --seed 7 2>/dev/null
check "two consumers: every record once" $((N + 2500)) "$(wait_for $PORT $((N + 2500)))"
sleep 2
check "two consumers: Redis counts every record once" $((N + 2500)) \
	"$(http $PORT "/stats?minutes=60" | json 'd["totals"]["all"]')"

# A Redis of this test's own, stopped while the consumer runs. Ingestion
# into OpenSearch goes on, /stats reads the search store meanwhile, and the
# counters resume after a restart on the same port.
RPORT=$(free_port)
start_redis() {
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize yes --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log"
	for i in $(seq 1 50); do
		redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	return 1
}
if start_redis; then
	fails_before=$FAILS
	PREFIX_R="r$PREFIX"
	PORT=$(free_port)
	start_headless "$TMP/redis-fault" "$PORT" --es "$OPENSEARCH_URL" --es-index "$PREFIX_R" \
		--redis "127.0.0.1:$RPORT" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-r" --group "$GROUP-r"
	RPID=$LAST_PID
	wait_http "$PORT" || fail "redis fault: HTTP API did not come up"
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-r" --count 300 --rate 0 --seed 8 2>/dev/null
	check "redis fault: 300 stored" 300 "$(wait_for $PORT 300)"
	kill "$(cat "$TMP/redis.pid")"
	sleep 1
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-r" --count 200 --rate 0 --seed 9 2>/dev/null
	check "redis down: ingestion into OpenSearch goes on" 500 "$(wait_for $PORT 500)"
	check "redis down: /health says degraded" True "$(http $PORT /health | json 'd["hot_store"]["degraded"]')"
	check "redis down: /stats from the search store" search "$(http $PORT "/stats?minutes=60" | json 'd["source"]')"
	check "redis down: /stats still counts every event" 500 "$(http $PORT "/stats?minutes=60" | json 'd["totals"]["all"]')"
	start_redis || fail "redis fault: restart failed"
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-r" --count 100 --rate 0 --seed 10 2>/dev/null
	check "redis back: every event stored" 600 "$(wait_for $PORT 600)"
	sleep 2
	check "redis back: /health not degraded" False "$(http $PORT /health | json 'd["hot_store"]["degraded"]')"
	check "redis back: counters resume with new events" 100 "$(http $PORT "/stats?minutes=60" | json 'd["totals"]["all"]')"
	curl -s -X POST "$OPENSEARCH_URL/$PREFIX_R-*/_refresh" >/dev/null
	docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX_R-*/_count" \
		-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
	extra=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX_R-*/_search" -d \
		'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
		json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
	check "redis fault: OpenSearch documents" 600 "$docs"
	check "redis fault: no document twice" 0 "$extra"
	result=PASS
	[ "$FAILS" -eq "$fails_before" ] || result=FAIL
	"$ROOT/tests/reliability.sh" record "Redis stopped, 200 records ingested, Redis restarted" \
		"distributed, OpenSearch and Redis" 600 "$((docs - extra))" "$extra" 0 $result
	stop "$RPID"
	kill "$(cat "$TMP/redis.pid")" 2>/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX_R-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX_R" >/dev/null
else
	fail "redis fault: could not start redis-server on port $RPORT"
fi

# Real log lines through Kafka give the same counts as grep on the file.
f="$REAL/loghub/OpenSSH_2k.log"
if [ -f "$f" ]; then
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-ssh" --file "$f" --rate 0 2>/dev/null
	instance ssh --brokers "$KAFKA_BROKERS" --topic "$TOPIC-ssh" --group "$GROUP-ssh" --es-index "ssh$PREFIX"
	lines=$(grep -c . "$f")
	check "OpenSSH via Kafka: every line" "$lines" "$(wait_for $PORT "$lines" 'service:sshd')"
	check "OpenSSH via Kafka: phrase" "$(grep -ci 'invalid user' "$f")" "$(total $PORT '"invalid user"')"
	check "OpenSSH via Kafka: OR" "$(grep -ciE 'invalid user|failed password' "$f")" \
		"$(total $PORT '"invalid user" OR "failed password"')"
else
	skip "OpenSSH via Kafka: $f is absent"
fi

finish
