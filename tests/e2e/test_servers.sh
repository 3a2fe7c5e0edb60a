#!/bin/bash
# The real test servers that scripts/servers.sh starts: Redis replies to PING,
# OpenSearch indexes and finds documents, Kafka delivers a message, and
# `stop` ends all three. Skipped when the jars cannot be fetched (no
# registry access) or Java 17 is missing.
. "$(dirname "$0")/../lib.sh"

SERVERS="$ROOT/scripts/servers.sh"
DIR="$TMP/servers"

stop_servers() {
	"$SERVERS" stop "$DIR" >/dev/null 2>&1
	cleanup
}
trap stop_servers EXIT

if ! "$SERVERS" fetch 2>"$TMP/fetch.err"; then
	skip "server jars not fetched: $(tail -n 1 "$TMP/fetch.err")"
	exit 0
fi
if ! out=$("$SERVERS" start redis kafka opensearch "$DIR" 2>"$TMP/start.err"); then
	if grep -q 'java not found\|need Java 17' "$TMP/start.err"; then
		skip "servers not started: $(grep -m 1 'java' "$TMP/start.err")"
		exit 0
	fi
	fail "servers.sh start exited non-zero: $(cat "$TMP/start.err")"
	exit 1
fi
eval "$out"
check "start prints REDIS_ADDR" yes "$([ -n "${REDIS_ADDR:-}" ] && echo yes)"
check "start prints KAFKA_BROKERS" yes "$([ -n "${KAFKA_BROKERS:-}" ] && echo yes)"
check "start prints OPENSEARCH_URL" yes "$([ -n "${OPENSEARCH_URL:-}" ] && echo yes)"
case ${REDIS_ADDR:-}${KAFKA_BROKERS:-}${OPENSEARCH_URL:-} in
*127.0.0.1:*127.0.0.1:*http://127.0.0.1:*) pass "servers listen on 127.0.0.1" ;;
*) fail "servers listen on 127.0.0.1: got '$REDIS_ADDR' '$KAFKA_BROKERS' '$OPENSEARCH_URL'" ;;
esac

# --- Redis
check "redis replies PONG to PING" PONG \
	"$(redis-cli -h 127.0.0.1 -p "${REDIS_ADDR##*:}" ping 2>&1)"

# --- OpenSearch
# opensearch METHOD PATH [BODY]: prints the body; the HTTP status goes to $TMP/status.
opensearch() {
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} \
		"$OPENSEARCH_URL$2" >"$TMP/status"
	cat "$TMP/body"
}

opensearch PUT /smoke '{"settings": {"number_of_shards": 1, "number_of_replicas": 0},
	"mappings": {"properties": {"@timestamp": {"type": "date"},
	"message": {"type": "text"}, "log.level": {"type": "keyword"}}}}' >/dev/null
check "opensearch creates an index" 200 "$(cat "$TMP/status")"

bulk='{"index": {"_index": "smoke", "_id": "1"}}
{"@timestamp": "2026-01-01T00:00:01Z", "log.level": "info", "message": "disk usage normal"}
{"index": {"_index": "smoke", "_id": "2"}}
{"@timestamp": "2026-01-01T00:01:02Z", "log.level": "error", "message": "disk full on /var"}
'
errors=$(opensearch POST '/_bulk?refresh=true' "$bulk" | json 'd["errors"]')
check "opensearch _bulk status" 200 "$(cat "$TMP/status")"
check "opensearch _bulk has no item errors" False "$errors"

check "opensearch search finds both documents" 2 \
	"$(opensearch POST /smoke/_search '{"query": {"match": {"message": "disk"}}}' |
		json 'd["hits"]["total"]["value"]')"
opensearch POST /smoke/_search '{"query": {"match": {"message": "full"}}}' >"$TMP/full.json"
check "opensearch match query finds one document" 1 \
	"$(json 'd["hits"]["total"]["value"]' <"$TMP/full.json")"
check "opensearch match query finds the right document" 2 \
	"$(json 'd["hits"]["hits"][0]["_id"]' <"$TMP/full.json")"
check "opensearch terms aggregation" "error=1 info=1" \
	"$(opensearch POST /smoke/_search '{"size": 0, "aggs": {"levels": {"terms": {"field": "log.level"}}}}' |
		json '" ".join("%s=%d" % (b["key"], b["doc_count"]) for b in sorted(d["aggregations"]["levels"]["buckets"], key=lambda b: b["key"]))')"

# --- Kafka
message="smoke message $$ $RANDOM"
if command -v kcat >/dev/null 2>&1; then
	echo "$message" | timeout 60 kcat -b "$KAFKA_BROKERS" -t smoke -P 2>"$TMP/produce.err"
	check "kafka produce (kcat) exits 0" 0 "$?"
	consumed=$(timeout 60 kcat -b "$KAFKA_BROKERS" -t smoke -C -o beginning -c 1 -e 2>"$TMP/consume.err")
else
	lib="${STREAMLENS_SERVERS_CACHE:-$HOME/.cache/streamlens/servers}/kafka/lib/*"
	tools_log="-Dlog4j2.configurationFile=$DIR/kafka/tools-log4j2.xml"
	echo "$message" | timeout 60 java "$tools_log" -cp "$lib" \
		org.apache.kafka.tools.ConsoleProducer \
		--bootstrap-server "$KAFKA_BROKERS" --topic smoke 2>"$TMP/produce.err"
	check "kafka produce (ConsoleProducer) exits 0" 0 "$?"
	consumed=$(timeout 60 java "$tools_log" -cp "$lib" \
		org.apache.kafka.tools.consumer.ConsoleConsumer \
		--bootstrap-server "$KAFKA_BROKERS" --topic smoke --from-beginning \
		--max-messages 1 2>"$TMP/consume.err")
fi
check "kafka consumes the produced message" "$message" "$consumed"

# --- stop
"$SERVERS" stop "$DIR" 2>"$TMP/stop.err"
check "servers.sh stop exits 0" 0 "$?"
# running PID succeeds while PID runs. An exited server stays a zombie
# until whichever process adopted it reaps it, so state Z counts as gone.
running() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$state" ] && [ "${state#Z}" = "$state" ]
}
for pid in "$REDIS_PID" "$KAFKA_PID" "$OPENSEARCH_PID"; do
	if running "$pid"; then
		fail "process $pid still runs after stop"
	else
		pass "process $pid is gone after stop"
	fi
done
check "stop removes the pid files" "" "$(ls "$DIR"/*/pid 2>/dev/null)"

finish
