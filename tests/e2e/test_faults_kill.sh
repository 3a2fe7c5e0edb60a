#!/bin/bash
# SIGKILL of the ingesting process at random points, ten times in a row,
# then a clean restart. Embedded: a file that is being appended to, into
# SQLite. Distributed: a Kafka topic into OpenSearch and Redis. Every
# produced event must be stored exactly once and counted once.
. "$(dirname "$0")/../lib.sh"

KILLS=10
RELIABILITY="$ROOT/tests/reliability.sh"

# appender FILE COUNT RATE: appends COUNT JSON lines "kill-test line N" at
# about RATE lines/s, then exits. Bounded by COUNT.
appender() {
	python3 - "$@" <<'PY' &
import json, sys, time
path, count, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "a") as f:
    for n in range(count):
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
        f.write(json.dumps({"timestamp": ts, "level": "info", "service": "killtest",
                            "message": "kill-test line %d" % n}) + "\n")
        f.flush()
        if n % 20 == 19:
            time.sleep(20.0 / rate)
PY
	APPENDER=$!
}

# random_pause: sleeps 0.2 to 1.5 s.
random_pause() {
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.5), 2))')"
}

# kill_rounds ARGS...: starts streamlens-top with ARGS KILLS times and
# SIGKILLs it at a random point each time.
kill_rounds() {
	local i pid
	for i in $(seq 1 $KILLS); do
		"$TOP" --headless --listen off "$@" >>"$TMP/kill.out" 2>&1 &
		pid=$!
		random_pause
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}

# --- embedded: file → SQLite, in-memory hot store ---------------------------
N=4000
DIR="$TMP/embedded"
LOG="$TMP/app.log"
mkdir -p "$DIR"
: >"$LOG"
appender "$LOG" $N 500
kill_rounds --data-dir "$DIR" --file "$LOG" --from-start --generate 0
wait "$APPENDER"
check "embedded: appender wrote $N lines" $N "$(wc -l <"$LOG")"

PORT=$(free_port)
start_headless "$DIR" "$PORT" --file "$LOG" --from-start --generate 0
PID=$LAST_PID
wait_http "$PORT" || fail "embedded: HTTP API did not come up after $KILLS kills: $(tail -n 5 "$DIR.out")"
check "embedded: every line searchable after restart" $N "$(wait_total "$PORT" $N)"
sleep 1
hot=$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')
check "embedded: hot counters after restart equal the store" $N "$hot"
stop "$PID"
check "embedded: SIGTERM exits 0" 0 "$STOP_STATUS"

read -r rows ids msgs <<<"$(sqlite3 -separator ' ' "$DIR/events.db" \
	'select count(*), count(distinct id), count(distinct message) from events')"
check "embedded: distinct messages in SQLite" $N "$msgs"
check "embedded: no duplicate rows in SQLite" "$ids" "$rows"
check "embedded: integrity_check" ok "$(sqlite3 "$DIR/events.db" 'pragma integrity_check')"
result=PASS
[ "$FAILS" -eq 0 ] || result=FAIL
"$RELIABILITY" record "SIGKILL x$KILLS while a file is appended" embedded $N "$msgs" \
	$((rows - msgs)) 0 $result

# --- distributed: Kafka → OpenSearch + Redis --------------------------------
if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${REDIS_ADDR:-}" ]; then
	skip "distributed SIGKILL: KAFKA_BROKERS, OPENSEARCH_URL and REDIS_ADDR must be set"
	finish
	exit
fi
RUN="k$$$(date +%s)"
TOPIC="logs-$RUN"
PREFIX="sl-$RUN"
GROUP="g-$RUN"
REDIS_HOST=${REDIS_ADDR%:*}
REDIS_PORT=${REDIS_ADDR##*:}
cleanup_cluster() {
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
	redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "*$PREFIX*" |
		xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null
}
trap 'cleanup_cluster; cleanup' EXIT

fails_before=$FAILS
N=6000
DDIR="$TMP/distributed"
mkdir -p "$DDIR"
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count $N --rate 600 --seed 11 \
	2>"$TMP/produce.err" &
PRODUCER_PID=$!
kill_rounds --data-dir "$DDIR" --es "$OPENSEARCH_URL" --es-index "$PREFIX" --redis "$REDIS_ADDR" \
	--brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
wait "$PRODUCER_PID"
check "distributed: producer sent $N records" 0 "$?"

PORT=$(free_port)
start_headless "$DDIR" "$PORT" --es "$OPENSEARCH_URL" --es-index "$PREFIX" --redis "$REDIS_ADDR" \
	--brokers "$KAFKA_BROKERS" --topic "$TOPIC" --group "$GROUP"
PID=$LAST_PID
wait_http "$PORT" || fail "distributed: HTTP API did not come up: $(tail -n 5 "$DDIR.out")"
for i in $(seq 1 300); do
	t=$(http "$PORT" "/search?limit=1" | json 'd["total"]' 2>/dev/null)
	[ "$t" = "$N" ] && break
	sleep 0.2
done
check "distributed: every record searchable" $N "$t"
sleep 2
curl -s -X POST "$OPENSEARCH_URL/$PREFIX-*/_refresh" >/dev/null
# Event documents only: the positions index matches the pattern too.
docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_count" \
	-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
# Exact duplicate count: ids that occur in more than one document (a
# cardinality aggregation is an estimate, so it is not used here).
extra=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_search" -d \
	'{"size":0,"aggs":{"dups":{"terms":{"field":"event.id","min_doc_count":2,"size":10000}}}}' |
	json 'sum(b["doc_count"] - 1 for b in d["aggregations"]["dups"]["buckets"])')
distinct=$((docs - extra))
check "distributed: OpenSearch documents" $N "$docs"
check "distributed: distinct event.id" $N "$distinct"
redis_total=$(http "$PORT" "/stats?minutes=60" | json 'd["totals"]["all"]')
check "distributed: Redis totals equal produced" $N "$redis_total"
check "distributed: /stats comes from Redis" hot "$(http "$PORT" "/stats?minutes=60" | json 'd["source"]')"
stop "$PID"
check "distributed: SIGTERM exits 0" 0 "$STOP_STATUS"
result=PASS
[ "$FAILS" -eq "$fails_before" ] || result=FAIL
"$RELIABILITY" record "SIGKILL x$KILLS during Kafka ingest" distributed $N "$distinct" \
	$((docs - distinct)) 0 $result
finish
