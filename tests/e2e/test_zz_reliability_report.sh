#!/bin/bash
# Runs last (the name sorts after every other test): writes
# docs/RELIABILITY.md from the rows the fault tests recorded in this run.
. "$(dirname "$0")/../lib.sh"

results=${RELIABILITY_RESULTS:-$BUILD/reliability-results.tsv}
if [ ! -s "$results" ]; then
	skip "reliability report: no fault test recorded a row in $results"
	exit 0
fi
"$ROOT/tests/reliability.sh" report >"$TMP/report.err" 2>&1
check "reliability report written" 0 "$?"
rows=$(wc -l <"$results")
# Every line that starts with "| " is a row, except the header.
table=$(grep -c '^| ' "$ROOT/docs/RELIABILITY.md" 2>/dev/null)
check "one table row per recorded fault" "$rows" "$((table - 1))"
failed=$(awk -F'\t' '$7 != "PASS"' "$results" | wc -l)
check "every recorded fault passed" 0 "$failed"
finish
