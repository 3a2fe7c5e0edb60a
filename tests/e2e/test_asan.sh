#!/bin/bash
# AddressSanitizer and UndefinedBehaviorSanitizer on every `make test`: builds
# build-asan as `make asan` does, then runs the unit tests and a few fast
# end-to-end scripts with that build. A sanitizer report from any process
# fails the test. The full suite under the sanitizers is `make asan`.
. "$(dirname "$0")/../lib.sh"

ASAN_BUILD="$ROOT/build-asan"
SANITIZE='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer'
# Fast scripts that start streamlens-top many times: options and exit codes,
# bad input, signals, and the HTTP API under load.
SCRIPTS="test_cli.sh test_bad_input.sh test_faults_signals.sh test_faults_http.sh"

# Under `make asan` this runner already uses the sanitizer build.
if nm "$TOP" 2>/dev/null | grep -q '__asan_init'; then
	skip "asan: $TOP is already built with the sanitizers (make asan)"
	exit 0
fi
echo 'int main(void) { return 0; }' >"$TMP/probe.c"
if ! ${CC:-cc} -fsanitize=address,undefined -o "$TMP/probe" "$TMP/probe.c" >/dev/null 2>&1; then
	skip "asan: ${CC:-cc} cannot link -fsanitize=address,undefined (install libasan and libubsan)"
	exit 0
fi

start_s=$SECONDS
# BUILD is relative to ROOT, as in `make asan`: the dependency files name
# their targets that way, so an absolute BUILD would never see a header
# change and would link stale objects.
if ! make -C "$ROOT" --no-print-directory -j2 BUILD=build-asan CFLAGS="$SANITIZE" \
	all build-asan/unit-tests >"$TMP/build.log" 2>&1; then
	fail "asan: build failed: $(grep -m 3 -E 'error|Error' "$TMP/build.log")"
	exit 1
fi
pass "asan: build-asan built ($((SECONDS - start_s)) s)"

# Every sanitized process writes its reports to REPORTS.<pid>. Criterion
# itself leaks a small allocation at exit, which is not ours.
REPORTS="$TMP/reports/report"
mkdir -p "$TMP/reports"
echo 'leak:libcriterion.so' >"$TMP/lsan.supp"
export ASAN_OPTIONS="log_path=$REPORTS:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$REPORTS:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$TMP/lsan.supp:print_suppressions=0"

# reports NAME: fails with the first lines of each report written since the
# last call, and moves them aside.
reports() {
	local f found=0
	for f in "$TMP/reports"/report.*; do
		[ -f "$f" ] || continue
		found=1
		echo "--- $f" >>"$TMP/all-reports"
		cat "$f" >>"$TMP/all-reports"
		sed 's/^/    | /' "$f" | head -n 20
		rm -f "$f"
	done
	check "asan: $1: no sanitizer report" 0 "$found"
}

start_s=$SECONDS
"$ASAN_BUILD/unit-tests" --jobs 2 >"$TMP/unit.log" 2>&1
synthesis=$(grep 'Synthesis:' "$TMP/unit.log" | tail -n 1)
echo "asan unit tests ($((SECONDS - start_s)) s): $synthesis"
check "asan: unit tests, none failing or crashing" "0 0" \
	"$(echo "$synthesis" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p')"
reports "unit tests"

for script in $SCRIPTS; do
	start_s=$SECONDS
	BUILD="$ASAN_BUILD" bash "$ROOT/tests/e2e/$script" >"$TMP/$script.log" 2>&1
	status=$?
	p=$(grep -c '^PASS: ' "$TMP/$script.log")
	f=$(grep -c '^FAIL: ' "$TMP/$script.log")
	echo "asan $script ($((SECONDS - start_s)) s): $p passed, $f failed, exit status $status"
	grep '^FAIL: ' "$TMP/$script.log" | sed 's/^FAIL: /    | /'
	check "asan: $script passes" "0 0" "$f $status"
	reports "$script"
done
finish
