#!/usr/bin/env bash
# Hot store health in the dashboard's header and pipeline view. When its
# Redis hot store stops, the header shows "hot store DEGRADED", the status
# line and the pipeline view show the reason. After Redis is back, the
# mark goes away. The test runs its own redis-server on a free loopback
# port.
#
# Usage: BUILD=build tests/tui/test_status.sh
set -u
. "$(dirname "$0")/../lib.sh"
TMUX_SESSION=st
. "$(dirname "$0")/../tmux.sh"
REDIS_PID=

status_cleanup() {
	tmux_cleanup
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
}
trap status_cleanup EXIT INT TERM

start_redis() {
	redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	for ((i = 0; i < 50; i++)); do
		redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	return 1
}

for tool in tmux redis-server redis-cli; do
	if ! command -v "$tool" >/dev/null; then
		skip "hot store health ($tool is not installed)"
		exit 0
	fi
done

PORT=$(free_port)
if ! start_redis; then
	fail "redis-server did not start on port $PORT"
	exit 1
fi
mkdir -p "$TMP/home"
"${TMUX_CMD[@]}" new-session -d -s st -x 160 -y 30 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $TOP --data-dir $TMP/data --redis 127.0.0.1:$PORT --es-index sl-status-$$ --generate 50 --listen off; sleep 30"

check_screen "dashboard starts on Redis" '^Live tail'
check_screen "tail shows events from Redis" '^[0-9]{2}:[0-9]{2}:[0-9]{2} (INFO |WARN |ERROR|DEBUG|TRACE)'
if screen | head -1 | grep -q DEGRADED; then
	fail "healthy hot store not marked"
else
	pass "healthy hot store not marked"
fi

# The pipeline view shows the hot store's health and round-trip time.
keys P
check_screen "pipeline view shows Redis healthy" '^  redis: healthy, round trip [0-9]+\.[0-9]{2} ms$'

kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
REDIS_PID=
check_screen "pipeline view shows Redis degraded" '^  redis: DEGRADED' 200
check_screen "pipeline view shows the reason" '^  reason: ' 100
keys P
check_screen "stopped Redis marks the header" '^StreamLens .*hot store DEGRADED' 200
check_screen "status line shows the reason" '^last error: ' 100

if start_redis; then
	for ((i = 0; i < 300; i++)); do
		screen | head -1 | grep -q DEGRADED || break
		sleep 0.1
	done
	if screen | head -1 | grep -q DEGRADED; then
		fail "mark goes away after Redis is back"
	else
		pass "mark goes away after Redis is back"
	fi
else
	fail "redis-server did not restart on port $PORT"
fi

finish
