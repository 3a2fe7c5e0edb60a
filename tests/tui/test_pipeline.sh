#!/usr/bin/env bash
# The pipeline view against real servers: Kafka consumer lag per
# partition, OpenSearch rejections as dead letters with their reasons, and
# r writing the dead letters again. An index created beforehand with
# "message" mapped as a number makes the node reject three events. The
# first retry is rejected again. After the index is deleted, the second
# retry stores them.
#
# Needs KAFKA_BROKERS and OPENSEARCH_URL (tests/run.sh starts both).
# Usage: BUILD=build tests/tui/test_pipeline.sh
set -u
. "$(dirname "$0")/../lib.sh"
TMUX_SESSION=pipe
. "$(dirname "$0")/../tmux.sh"
INDEX=sl-pipe-$$
TOPIC=sl-pipe-$$

pipe_cleanup() {
	tmux_cleanup
	[ -n "${OPENSEARCH_URL:-}" ] && curl -s -o /dev/null -XDELETE "$OPENSEARCH_URL/$INDEX-*"
}
trap pipe_cleanup EXIT INT TERM

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${OPENSEARCH_URL:-}" ]; then
	skip "pipeline view (KAFKA_BROKERS and OPENSEARCH_URL are not set; tests/run.sh starts the servers)"
	exit 0
fi
if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi
mkdir -p "$TMP/home"

curl -s -o /dev/null -XPUT "$OPENSEARCH_URL/$INDEX-2020.01.01" -H 'Content-Type: application/json' \
	-d '{"mappings":{"properties":{"message":{"type":"long"}}}}'
for i in 1 2 3; do
	echo "{\"timestamp\":\"2020-01-01T10:00:0${i}Z\",\"level\":\"error\",\"service\":\"db\",\"message\":\"conflict line $i\"}"
done >"$TMP/bad.log"
for i in $(seq 1 50); do
	echo "{\"level\":\"info\",\"service\":\"web\",\"message\":\"kafka line $i\"}"
done >"$TMP/k.log"
"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --file "$TMP/k.log" --rate 0 >/dev/null 2>&1

"${TMUX_CMD[@]}" new-session -d -s pipe -x 160 -y 45 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $TOP --brokers $KAFKA_BROKERS --topic $TOPIC --group $TOPIC --es $OPENSEARCH_URL --es-index $INDEX --file $TMP/bad.log --from-start --generate 0 --data-dir $TMP/data --listen off; sleep 60"

check_screen "dashboard starts on Kafka and OpenSearch" '^Live tail' 300
check_screen "header counts the dead letters" '\| dead letters 3 ' 300
keys P
check_screen "pipeline view opens" '^Pipeline \(P or Esc back'
check_screen "lag listed per partition" "^  $TOPIC \\[[0-9]+\\]: lag [0-9]+$" 200
check_screen "total lag listed" '^  total lag [0-9]+$'
check_screen "store rejections counted" '^  documents rejected by the node \(dead-lettered\) 3$'
check_screen "dead letters waiting for a retry" '^  not retried yet 3 '
n=$(screen | grep -cE '^  [0-9]{4}-[0-9]{2}-[0-9]{2}T.*mapper_parsing_exception')
check "each dead letter listed with its reason" 3 "$n"

keys r
check_screen "retry into the same mapping is rejected again" \
	'^retried 3 dead letters: 3 rejected again, 0 lines skipped' 300
check_screen "rejected again: waiting once more" '^  not retried yet 3 '

curl -s -o /dev/null -XDELETE "$OPENSEARCH_URL/$INDEX-2020.01.01"
keys r
check_screen "retry after the fix stores them" '^retried 3 dead letters: 0 rejected again' 300
check_screen "nothing left to retry" '^  not retried yet 0 '
curl -s -o /dev/null -XPOST "$OPENSEARCH_URL/$INDEX-2020.01.01/_refresh"
check "retried events are in the index" 3 \
	"$(curl -s "$OPENSEARCH_URL/$INDEX-2020.01.01/_count" | json 'd["count"]')"
keys P
check_screen "hot store counts the stored retries" '\| errors 3 '

finish
