#!/bin/bash
# Bad input through the whole program: every file is ingested with
# --once and must give a defined result, never a crash.
. "$(dirname "$0")/../lib.sh"

# once FILE [ARGS...]: ingests FILE into a fresh store and prints every event
# as a JSON line; the exit status goes to $TMP/rc.
once() {
	local file=$1 dir
	shift
	dir=$(mktemp -d "$TMP/once.XXXXXX")
	"$TOP" --data-dir "$dir" --file "$file" --from-start --once --listen off "$@" \
		>"$TMP/out" 2>"$TMP/err"
	echo $? >"$TMP/rc"
	cat "$TMP/out"
}

# valid_json: every line on stdin parses as JSON and contains no raw control byte.
valid_json() {
	python3 -c '
import json, sys
bad = 0
for line in sys.stdin.buffer:
	if any(b < 0x20 for b in line.rstrip(b"\n")):
		bad += 1
	json.loads(line.decode("utf-8"))
print("ok" if bad == 0 else "raw control bytes in %d lines" % bad)'
}

printf 'ok line one\ncaf\xe9 latin-1 byte\ntruncated \xe2\x82\nlast line\n' >"$TMP/utf8.log"
out=$(once "$TMP/utf8.log")
check "invalid UTF-8: all 4 lines stored" 4 "$(echo "$out" | grep -c .)"
check "invalid UTF-8: output is valid JSON" ok "$(echo "$out" | valid_json)"
check "invalid UTF-8: bad bytes become U+FFFD" 2 "$(echo "$out" | grep -c $'\xef\xbf\xbd')"
check "invalid UTF-8: rest of line kept" 1 "$(echo "$out" | grep -c 'latin-1 byte')"

printf 'before\0\0\0after NUL\n\0\0\nERROR with NUL\0 inside\n' >"$TMP/nul.log"
out=$(once "$TMP/nul.log")
check "NUL bytes: lines kept, NUL-only line skipped" 2 "$(echo "$out" | grep -c .)"
check "NUL bytes: text around NUL kept" 1 "$(echo "$out" | grep -c 'beforeafter NUL')"
check "NUL bytes: level still detected" 1 "$(echo "$out" | grep -c '"level":"error"')"

printf 'first\r\nsecond\r\nthird\rfourth\nfifth' >"$TMP/crlf.log"
out=$(once "$TMP/crlf.log")
check "CR/CRLF/LF: 5 lines, last without newline" 5 "$(echo "$out" | grep -c .)"
check "CR/CRLF/LF: no CR kept" 0 "$(echo "$out" | grep -c '\\r')"

# flags: each event lists by name how it was helped, and a clean one has none
printf 'no time at all\n2026-12-04T10:11:12Z INFO timed\nno time here\ncaf\xe9\n{"ts":"2026-12-04T10:11:13Z","msg":"cut\n' >"$TMP/flags.log"
out=$(once "$TMP/flags.log")
flags() {
	echo "$out" | python3 -c '
import json, sys
evs = sorted((json.loads(l) for l in sys.stdin), key=lambda e: e["message"])
print(" ".join(e["message"][:4] + "=" + ",".join(e.get("flags", ["-"])) for e in evs))'
}
check "flags: named per event, none on a clean one" \
	"$(printf 'caf\xef\xbf\xbd=time_inherited,invalid_utf8 no t=time_received no t=time_inherited time=- {"ts=undecoded')" \
	"$(flags)"

python3 -c 'import sys; sys.stdout.write("ERROR " + "x" * (1536 * 1024) + "\nnext line\n")' >"$TMP/long.log"
out=$(once "$TMP/long.log")
check "1.5 MB line: both lines stored" 2 "$(echo "$out" | grep -c .)"
check "1.5 MB line: cut at the 1 MiB cap" 1048576 \
	"$(echo "$out" | head -n 1 | json 'len(d["message"]) + len("ERROR ")')"
check "1.5 MB line: next line read" 1 "$(echo "$out" | grep -c '"message":"next line"')"
out=$(once "$TMP/long.log" --max-line 4096)
check "--max-line 4096: cut there" 4090 "$(echo "$out" | head -n 1 | json 'len(d["message"])')"

: >"$TMP/empty.log"
out=$(once "$TMP/empty.log")
check "empty file: no events" 0 "$(echo "$out" | grep -c .)"
check "empty file: exit 0" 0 "$(cat "$TMP/rc")"

once "$TMP/does-not-exist.log" >/dev/null
check "missing file: exit 1" 1 "$(cat "$TMP/rc")"
check "missing file: error names the file" 1 "$(grep -c "cannot open $TMP/does-not-exist.log: No such file" "$TMP/err")"

once "$TMP" >/dev/null
check "directory: exit 1" 1 "$(cat "$TMP/rc")"
check "directory: error names it" 1 "$(grep -c "cannot open $TMP: Is a directory" "$TMP/err")"

# Root reads any file, so the permission check runs as nobody.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$TMP/nobody" && echo secret >"$TMP/nobody/locked.log"
	chmod 000 "$TMP/nobody/locked.log"
	chmod 777 "$TMP/nobody"
	chmod 755 "$TMP"
	HOME="$TMP/nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups "$TOP" --data-dir "$TMP/nobody/data" \
		--file "$TMP/nobody/locked.log" --from-start --once --listen off >/dev/null 2>"$TMP/err"
	check "unreadable file: exit 1" 1 "$?"
	check "unreadable file: error names it" 1 "$(grep -c "cannot open $TMP/nobody/locked.log: Permission denied" "$TMP/err")"
else
	skip "unreadable file: needs root and setpriv to drop to nobody"
fi

printf 'line one\nline two\n' | "$TOP" --data-dir "$TMP/stdin" --file - --once --listen off >"$TMP/out"
check "stdin: both lines" 2 "$(grep -c . "$TMP/out")"

if [ -d "$CASES" ]; then
	out=$(once "$CASES/C03-invalid-utf8-cp1252.log")
	check "C03: 4 events" 4 "$(echo "$out" | grep -c .)"
	check "C03: only valid UTF-8 out" ok "$(echo "$out" | valid_json)"
	out=$(once "$CASES/C04-ansi-escape-control-chars.log")
	check "C04: no raw control bytes out" ok "$(echo "$out" | valid_json)"
	check "C04: levels detected" 0 "$(echo "$out" | grep -c '"level":"unknown"')"
	out=$(once "$CASES/C11-very-long-line.log" --max-line 16384)
	check "C11: lines after the long one read" "$(grep -c . "$CASES/C11-very-long-line.log")" "$(echo "$out" | grep -c .)"
	check "C11: long line cut at the cap" True \
		"$(echo "$out" | python3 -c 'import json,sys; print(max(len(json.loads(l)["message"].encode()) for l in sys.stdin) <= 16384)')"
	out=$(once "$CASES/C12-cr-crlf-line-endings.log")
	check "C12: 5 records" 5 "$(echo "$out" | grep -c .)"
	check "C12: no CR kept" 0 "$(echo "$out" | grep -c '\\r')"
	out=$(once "$CASES/C17-unparsable-timestamp-ordering.log")
	check "C17: 5 events, none dropped" 5 "$(echo "$out" | grep -c .)"
else
	skip "bad-input cases: $CASES is absent"
fi

finish
