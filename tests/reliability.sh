#!/bin/bash
# The fault-test results table. Each fault test appends one row with
# `record`; `report` turns the rows of one test run into docs/RELIABILITY.md,
# so the numbers in that page always come from a run, never from a hand.
#
# Usage:
#   tests/reliability.sh record FAULT MODE PRODUCED STORED DUPLICATED DEAD_LETTERED RESULT
#   tests/reliability.sh report [OUTPUT]      (default docs/RELIABILITY.md)
#   tests/reliability.sh reset
#
# The rows live in $RELIABILITY_RESULTS (default $BUILD/reliability-results.tsv,
# BUILD defaulting to build). tests/run.sh resets the file before each run.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD="$ROOT/$BUILD" ;;
esac
RESULTS=${RELIABILITY_RESULTS:-$BUILD/reliability-results.tsv}

die() {
	echo "reliability.sh: $*" >&2
	exit 2
}

# record FAULT MODE PRODUCED STORED DUPLICATED DEAD_LETTERED RESULT
cmd_record() {
	local field
	[ $# -eq 7 ] || die "record expects 7 values, got $#: $*"
	for field in "$@"; do
		case $field in
		*"	"* | *"|"*) die "invalid value '$field': tabs and '|' are not allowed" ;;
		esac
	done
	mkdir -p "$(dirname "$RESULTS")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

# report [OUTPUT]: writes the Markdown page; fails when no row was recorded.
cmd_report() {
	local out=${1:-$ROOT/docs/RELIABILITY.md} tmp
	[ -s "$RESULTS" ] || die "no results in $RESULTS: run the fault tests first (make test)"
	mkdir -p "$(dirname "$out")" || die "cannot create the folder of $out"
	tmp="$out.tmp.$$"
	{
		echo "# Reliability under faults"
		echo
		echo "Written by tests/reliability.sh from the rows that the fault tests"
		echo "(tests/e2e/test_faults_*.sh) recorded in their last run on"
		echo "$(date -u +%Y-%m-%d) ($(uname -sm)). Do not edit by hand: run \`make test\`."
		echo
		echo "- produced: events the test wrote to the source."
		echo "- stored: distinct event ids in the search store (SQLite or OpenSearch)."
		echo "- duplicated: rows or documents beyond the distinct ids."
		echo "- dead-lettered: events written to dead-letters.jsonl with a reason."
		echo "- result: PASS when every check of that fault passed."
		echo
		echo "| fault | mode | produced | stored | duplicated | dead-lettered | result |"
		echo "|---|---|---:|---:|---:|---:|---|"
		awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$RESULTS"
	} >"$tmp" && mv "$tmp" "$out"
}

case ${1:-} in
record)
	shift
	cmd_record "$@"
	;;
report)
	shift
	cmd_report "$@"
	;;
reset) rm -f "$RESULTS" ;;
*) die "usage: reliability.sh record|report|reset (see the header of this script)" ;;
esac
