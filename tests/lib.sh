# Shared helpers for the shell tests. Source it from a test script.
# Every server a test starts listens on 127.0.0.1 on a free port.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD="$ROOT/$BUILD" ;;
esac
TOP="$BUILD/streamlens-top"
PRODUCER="$BUILD/streamlens-producer"
REAL="$ROOT/../shared/data/real"
CASES="$ROOT/../shared/cases"

TMP=$(mktemp -d /tmp/streamlens-test.XXXXXX)
PIDS=""
FAILS=0

cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}
skip() { echo "SKIP: $*"; }

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http PORT PATH: prints the body; the status goes to $TMP/status.
http() {
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1$2" >"$TMP/status"
	cat "$TMP/body"
}

# json EXPR: evaluates a Python expression over the JSON on stdin as `d`.
json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# urlencode TEXT
urlencode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# start_headless DATA_DIR PORT ARGS...: starts streamlens-top in the background.
start_headless() {
	local dir=$1 port=$2
	shift 2
	"$TOP" --headless --data-dir "$dir" --listen "127.0.0.1:$port" "$@" \
		>>"$dir.out" 2>&1 &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
}

# wait_http PORT: waits up to 10 s for /health to answer.
wait_http() {
	local i
	for i in $(seq 1 100); do
		if curl -s --max-time 1 "http://127.0.0.1:$1/health" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_total PORT EXPECTED: waits up to 60 s for /search to count EXPECTED
# events and the sources to be idle. Prints the last total seen.
wait_total() {
	local i total idle
	for i in $(seq 1 600); do
		total=$(http "$1" "/search?limit=1" | json 'd["total"]' 2>/dev/null)
		idle=$(http "$1" "/health" | json 'd.get("sources_idle")' 2>/dev/null)
		if [ "$total" = "$2" ] && [ "$idle" = "True" ]; then
			echo "$total"
			return 0
		fi
		sleep 0.1
	done
	echo "$total"
	return 1
}

# stop PID: sends SIGTERM, waits, and sets STOP_STATUS to the exit status.
# It must run in the test's own shell (not in $(...)) to wait for its child.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	STOP_STATUS=$?
}

finish() {
	[ "$FAILS" -eq 0 ]
}
