#!/bin/bash
# streamlens-producer writing to a real Kafka broker (KAFKA_BROKERS): the
# summary and exit status, one record per event keyed by its service, file
# lines without a key, and failed deliveries. The records are read back with
# Kafka's console consumer from the broker's own jars.
. "$(dirname "$0")/../lib.sh"

if [ -z "${KAFKA_BROKERS:-}" ]; then
	skip "KAFKA_BROKERS is not set; start a broker with scripts/servers.sh start kafka DIR"
	exit 0
fi

CACHE=${STREAMLENS_SERVERS_CACHE:-${HOME:-/tmp}/.cache/streamlens/servers}
JARS="$CACHE/kafka/lib"
TOPIC="sl-producer-$$-$(date +%s%N)"

# consume TOPIC COUNT: prints "PARTITION|KEY|VALUE" lines of the first
# COUNT records, or fewer after 30 s without a new one.
consume() {
	java -Xmx256m -cp "$JARS/*" org.apache.kafka.tools.consumer.ConsoleConsumer \
		--bootstrap-server "$KAFKA_BROKERS" --topic "$1" --from-beginning \
		--max-messages "$2" --timeout-ms 30000 \
		--property print.key=true --property print.partition=true \
		--property key.separator='|' 2>"$TMP/consumer.err" |
		sed 's/^Partition://'
}

"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --count 1000 --rate 0 --seed 1 \
	>"$TMP/out" 2>"$TMP/err"
check "1000 generated events: exit status" 0 "$?"
check "1000 generated events: summary" "streamlens-producer: sent 1000 records, 0 failed" \
	"$(tail -n 1 "$TMP/err")"
check "Kafka output writes nothing to stdout" 0 "$(wc -c <"$TMP/out")"

if ! ls "$JARS"/kafka-tools-*.jar >/dev/null 2>&1; then
	skip "Kafka tools jars not found in $JARS; run scripts/servers.sh fetch"
	finish
	exit
fi

consume "$TOPIC" 1000 >"$TMP/records"
check "all 1000 records are in the topic" 1000 "$(wc -l <"$TMP/records")"
# Every key is the service named in the record, and one service stays on
# one partition.
python3 - "$TMP/records" >"$TMP/keys" <<'EOF'
import json, sys
bad, parts = 0, {}
for line in open(sys.argv[1]):
    partition, key, value = line.rstrip("\n").split("|", 2)
    if json.loads(value)["service"] != key:
        bad += 1
    parts.setdefault(key, set()).add(partition)
print(bad)
print(sum(len(p) > 1 for p in parts.values()))
print(len(parts))
print(len(set().union(*parts.values())) if parts else 0)
EOF
check "every key is the record's service" 0 "$(sed -n 1p "$TMP/keys")"
check "each service stays on one partition" 0 "$(sed -n 2p "$TMP/keys")"
check "all 7 services are keys" 7 "$(sed -n 3p "$TMP/keys")"
partitions=$(sed -n 4p "$TMP/keys")
if [ "${partitions:-0}" -gt 1 ]; then
	pass "records use $partitions partitions"
else
	fail "records use ${partitions:-0} partitions, expected more than 1"
fi

# librdkafka's eos debug log shows whether the producer is idempotent.
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-idem" --count 3 --rate 0 -X debug=eos \
	2>"$TMP/err"
check "idempotent by default" 1 "$(grep -c 'Starting idempotent producer' "$TMP/err")"
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-idem" --count 3 --rate 0 -X debug=eos \
	-X enable.idempotence=false 2>"$TMP/err"
check "-X turns idempotence off" 0 "$(grep -c 'Starting idempotent producer' "$TMP/err")"

printf 'INFO first line\nERROR second line\n\nWARN fourth line\n' >"$TMP/lines.log"
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC-file" --file "$TMP/lines.log" --rate 0 \
	2>"$TMP/err"
check "file lines: exit status" 0 "$?"
check "file lines: summary" "streamlens-producer: sent 4 records, 0 failed" \
	"$(tail -n 1 "$TMP/err")"
consume "$TOPIC-file" 4 >"$TMP/records"
check "file lines: records have no key" 4 "$(grep -c '^[0-9]*|null|' "$TMP/records")"
check "file lines: values are the lines" "INFO first line" \
	"$(grep -o 'INFO first line' "$TMP/records")"

"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic 'not a valid topic!' --count 5 --rate 0 \
	-X message.timeout.ms=5000 2>"$TMP/err"
check "invalid topic: exit status" 1 "$?"
check "invalid topic: summary" "streamlens-producer: sent 0 records, 5 failed" \
	"$(tail -n 1 "$TMP/err")"

"$PRODUCER" --brokers "$KAFKA_BROKERS" -X sasl.password.typo=hunter2 --count 1 2>"$TMP/err"
check "unknown -X property: exit status" 1 "$?"
if grep -q hunter2 "$TMP/err"; then
	fail "unknown -X property: the secret value is printed: $(cat "$TMP/err")"
else
	pass "unknown -X property: the secret value is masked"
fi

"$PRODUCER" --topic "$TOPIC" --count 1 >/dev/null 2>&1
check "--topic without --brokers is a usage error" 2 "$?"

finish
