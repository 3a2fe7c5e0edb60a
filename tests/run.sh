#!/bin/sh
# Runs every test: the criterion unit tests, then each end-to-end and TUI
# script. A script prints one "PASS: ...", "FAIL: ..." or "SKIP: ..." line
# per check; this runner adds them up and prints the closing line.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD

passed=0
failed=0
skipped=0
log=$(mktemp)
servers_dir=$(mktemp -d /tmp/streamlens-servers.XXXXXX)
tests/reliability.sh reset

stop_servers() {
	scripts/servers.sh stop "$servers_dir" >/dev/null 2>&1
	rm -rf "$servers_dir" "$log"
}
trap stop_servers EXIT

# The real servers the tests talk to: Redis, an OpenSearch node and a Kafka
# broker, each on a free 127.0.0.1 port. Tests that need one read its
# address from REDIS_ADDR, OPENSEARCH_URL or KAFKA_BROKERS.
echo "== starting test servers"
if scripts/servers.sh fetch >"$log" 2>&1 &&
	scripts/servers.sh start redis opensearch kafka "$servers_dir" >"$servers_dir/env" 2>>"$log"; then
	set -a
	. "$servers_dir/env"
	set +a
	cat "$servers_dir/env"
else
	cat "$log"
	echo "FAIL: the test servers did not start; tests that need them will be skipped"
	failed=$((failed + 1))
fi

echo "== unit tests"
"$BUILD/unit-tests" --jobs 2 2>&1 | tee "$log"
synthesis=$(grep 'Synthesis:' "$log" | tail -n 1)
if [ -z "$synthesis" ]; then
	echo "FAIL: unit tests did not run to completion"
	failed=$((failed + 1))
else
	n_pass=$(echo "$synthesis" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	n_fail=$(echo "$synthesis" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	n_crash=$(echo "$synthesis" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	n_tested=$(echo "$synthesis" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	passed=$((passed + n_pass))
	failed=$((failed + n_fail + n_crash))
	# Criterion counts skipped tests as tested but neither passing nor failing.
	skipped=$((skipped + n_tested - n_pass - n_fail - n_crash))
fi

for script in tests/e2e/*.sh tests/tui/*.sh; do
	[ -f "$script" ] || continue
	echo "== $script"
	bash "$script" >"$log" 2>&1
	status=$?
	cat "$log"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $script exited with status $status"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done

echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
