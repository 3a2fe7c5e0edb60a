#!/usr/bin/env bash
# Export of results: --query Q --once --output FILE writes every match (past
# the --limit cap, paging through the store) as JSON lines or CSV, and
# --help lists the dashboard's keys and the --output options.
#
# Usage: BUILD=build tests/tui/test_export.sh
set -u
. "$(dirname "$0")/../lib.sh"

once() { "$TOP" --data-dir "$TMP/data" --listen off --generate 0 --once "$@"; }

# 12000 events in three timestamps, so pages end inside a run of equal
# timestamps, plus lines that need CSV quoting.
{
	for i in $(seq 1 12000); do
		echo "{\"timestamp\":\"2026-01-01T00:00:0$((i % 3)).000Z\",\"level\":\"info\",\"service\":\"web\",\"message\":\"event $i\"}"
	done
	echo '{"timestamp":"2026-01-01T00:00:05.000Z","level":"error","service":"db","message":"bad, \"quoted\"\nsecond line"}'
} >"$TMP/in.log"

once --file "$TMP/in.log" --from-start --query '' --output "$TMP/all.jsonl"
check "jsonl export exit status" 0 $?
check "jsonl export has every event" 12001 "$(wc -l <"$TMP/all.jsonl")"
check "jsonl export has no duplicate ids" 0 \
	"$(grep -o '"id":"[^"]*"' "$TMP/all.jsonl" | sort | uniq -d | wc -l)"
check "jsonl export starts with the newest" 1 "$(head -1 "$TMP/all.jsonl" | grep -c 'bad, ')"

once --query 'level:info' --output "$TMP/info.csv"
check "csv export exit status" 0 $?
check "csv header" "id,timestamp,level,service,host,message" "$(head -1 "$TMP/info.csv" | tr -d '\r')"
check "csv export has every info event" 12001 "$(wc -l <"$TMP/info.csv")"
check "csv lines end in CRLF" 12001 "$(grep -c $'\r$' "$TMP/info.csv")"
check "csv timestamp column" 1 "$(sed -n 2p "$TMP/info.csv" | grep -Ec '^[^,]+,2026-01-01T00:00:0[0-2]\.000Z,info,web,,event [0-9]+')"

once --query 'level:error' --output "$TMP/err.txt" --output-format csv
check "--output-format csv exit status" 0 $?
check "csv quotes comma, quotes and newline" 1 \
	"$(grep -c ',error,db,,"bad, ""quoted""' "$TMP/err.txt")"
check "csv keeps the newline inside quotes" 'second line"' "$(tail -1 "$TMP/err.txt" | tr -d '\r')"

# Control characters (ESC, BS, DEL, C1 CSI U+009B) and cells a spreadsheet
# would run as formulas, in a source of their own.
printf '%s\n' \
	'{"timestamp":"2026-01-01T00:00:07.000Z","level":"warn","service":"=cmd|calc","host":"@h","message":"\u001b[31mred\u0008 \u007f \u009b2J end"}' \
	'{"timestamp":"2026-01-01T00:00:08.000Z","level":"warn","service":"-x","host":"+y","message":"\tlead tab"}' \
	>"$TMP/ctl.log"
"$TOP" --data-dir "$TMP/data-ctl" --listen off --generate 0 --once --file "$TMP/ctl.log" \
	--from-start --query '' --output - --output-format csv >"$TMP/ctl.csv"
check "control csv exit status" 0 $?
check "csv has no raw C0, DEL or C1 byte" 0 \
	"$(tr -d '\r\n\t' <"$TMP/ctl.csv" | LC_ALL=C grep -c $'[\x01-\x1f\x7f]\\|\xc2[\x80-\x9f]')"
check "csv writes controls as \\u00XX" 1 \
	"$(grep -cF '\u001b[31mred\u0008 \u007f \u009b2J end' "$TMP/ctl.csv")"
check "csv neutralises = and @ cells" 1 "$(grep -cF ",warn,'=cmd|calc,'@h," "$TMP/ctl.csv")"
check "csv neutralises -, + and TAB cells" 1 "$(grep -cF ",warn,'-x,'+y,'"$'\t''lead tab' "$TMP/ctl.csv")"
"$TOP" --data-dir "$TMP/data-ctl" --listen off --generate 0 --once --query '' \
	--output - >"$TMP/ctl.jsonl"
check "jsonl has no raw C0, DEL or C1 byte" 0 \
	"$(tr -d '\n' <"$TMP/ctl.jsonl" | LC_ALL=C grep -c $'[\x01-\x1f\x7f]\\|\xc2[\x80-\x9f]')"
check "jsonl escapes C1 as \\u009b" 1 "$(grep -cF '\u009b2J' "$TMP/ctl.jsonl")"

once --query '| count by level' --output "$TMP/agg.csv"
check "aggregation export exit status" 0 $?
check "aggregation csv" "time,key,count|,info,12000|,error,1" "$(tr -d '\r' <"$TMP/agg.csv" | paste -sd'|')"

once --query 'x' --output "$TMP/x" --output-format xml 2>"$TMP/err"
check "invalid --output-format exit status" 2 $?
check "invalid --output-format message" 1 "$(grep -c "invalid --output-format 'xml'" "$TMP/err")"

once --query 'level:' --output "$TMP/bad.jsonl" 2>"$TMP/err"
check "invalid query exit status" 2 $?

once --query '' --output "$TMP/no/such/dir/out.csv" 2>"$TMP/err"
check "unwritable --output exit status" 1 $?
check "unwritable --output message" 1 "$(grep -c 'No such file or directory' "$TMP/err")"

"$TOP" --fps 0 --headless --listen off --data-dir "$TMP/data-fps" 2>"$TMP/err"
check "invalid --fps exit status" 2 $?
check "invalid --fps message" 1 "$(grep -c "invalid --fps '0'.*expected an integer from 1 to 60" "$TMP/err")"

"$TOP" --help >"$TMP/help"
for word in --output --output-format "j/k" "g/G" "e/E" "PgUp" "Enter" "Esc" " c " " s " "1-4" "?" " q " \
	--no-mouse --fps "Tab completes" "h/l" "y, Y" "OSC 52" " P " "r retries" "mouse"; do
	if grep -qF -- "$word" "$TMP/help"; then pass "--help lists '$word'"; else fail "--help lists '$word'"; fi
done

finish
