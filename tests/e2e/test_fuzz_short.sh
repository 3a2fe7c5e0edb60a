#!/bin/bash
# Short libFuzzer runs of every parser target (make fuzz-short); one PASS or
# FAIL per target, SKIP when clang or its fuzzer runtime is missing.
. "$(dirname "$0")/../lib.sh"

TARGETS=$(cd "$ROOT/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
FUZZ_BUILD="$BUILD/fuzz"

if ! command -v clang >/dev/null 2>&1; then
	skip "fuzz: clang is not installed"
	exit 0
fi
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$TMP/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$TMP/probe" "$TMP/probe.c" >/dev/null 2>&1; then
	skip "fuzz: clang cannot link -fsanitize=fuzzer,address (install libclang-rt-dev)"
	exit 0
fi

for t in $TARGETS; do
	if ! make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$FUZZ_BUILD/fuzz_$t" \
		>"$TMP/build.$t" 2>&1; then
		fail "fuzz $t: build failed: $(tail -n 3 "$TMP/build.$t")"
		continue
	fi
	mkdir -p "$TMP/corpus-$t"
	if "$FUZZ_BUILD/fuzz_$t" -max_total_time="${FUZZ_SHORT_S:-10}" -max_len=4096 -artifact_prefix="$FUZZ_BUILD/" \
		"$TMP/corpus-$t" "$ROOT/tests/fuzz-corpus/$t" >"$TMP/run.$t" 2>&1; then
		pass "fuzz $t: no crash in ${FUZZ_SHORT_S:-10} s"
	else
		fail "fuzz $t: $(grep -m 1 'ERROR\|SUMMARY' "$TMP/run.$t")"
	fi
done
[ "$FAILS" -eq 0 ]
