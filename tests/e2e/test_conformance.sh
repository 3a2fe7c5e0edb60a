#!/bin/bash
# Decoding conformance. First hand-written lines: a file mixing formats,
# Docker json-file lines split by Docker, octet-counted syslog on stdin and
# --format forcing one format. Then every real third-party log: each file
# is read whole with --once and compared with tests/conformance.tsv, whose
# counts and values were read by hand from the files. Every file must
# decode without a crash; files with rows in the table must match them.
. "$(dirname "$0")/../lib.sh"

TABLE="$ROOT/tests/conformance.tsv"

# decode_file FILE OUT [OPTION...]: every event of FILE as a JSON line in OUT.
decode_file() {
	local dir file=$1 out=$2
	shift 2
	dir=$(mktemp -d "$TMP/conf.XXXXXX")
	"$TOP" --data-dir "$dir" --file "$file" --from-start --once --listen off --generate 0 \
		"$@" >"$out" 2>"$TMP/err"
}

# field_list OUT KEY: KEY of every event of OUT in file order, one per line.
field_list() {
	python3 - "$1" "$2" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
events.sort(key=lambda e: int(e["id"].rsplit(":", 1)[1]))
for e in events:
	print(e[sys.argv[2]])
PY
}

# Hand-written lines, so these checks run without the real logs too.
printf '%s\n' \
	'{"ts":"2026-03-14T10:11:12Z","level":"warn","msg":"json line"}' \
	'<11>Mar 14 10:11:13 web1 nginx[42]: syslog line' \
	'2026-03-14 10:11:14,000 - app.db - ERROR - python line' \
	'I0314 10:11:15.000000 7 main.cc:1] glog line' \
	'1:M 14 Mar 2026 10:11:16.000 # redis line' >"$TMP/mixed.log"
decode_file "$TMP/mixed.log" "$TMP/mixed.jsonl"
check "mixed formats: levels" "warn error error info warn" "$(field_list "$TMP/mixed.jsonl" level | xargs)"
check "mixed formats: services" "nginx app.db" "$(field_list "$TMP/mixed.jsonl" service | grep . | xargs)"

printf '%s\n' \
	'{"log":"ERROR a line Docker ","stream":"stderr","time":"2026-03-14T10:11:12Z"}' \
	'{"log":"split in two\n","stream":"stderr","time":"2026-03-14T10:11:12Z"}' \
	'{"log":"next\n","stream":"stderr","time":"2026-03-14T10:11:13Z"}' >"$TMP/docker.log"
for fmt in auto json; do
	decode_file "$TMP/docker.log" "$TMP/docker.jsonl" --format "$fmt"
	check "docker partial lines joined (--format $fmt)" "ERROR a line Docker split in two|next" \
		"$(field_list "$TMP/docker.jsonl" message | paste -sd'|')"
done

# A 40000-character line in three records of 16384 bytes, each with its own
# time and spaces after the colons, and a short line split with two times.
python3 - "$TMP/docker-long.log" <<'PY'
import json, sys
line = "X" * 39999 + "\n"
with open(sys.argv[1], "w") as f:
	for i, start in enumerate(range(0, len(line), 16384)):
		f.write(json.dumps({"log": line[start:start + 16384], "stream": "stdout",
			"time": "2026-03-14T10:11:12.00000000%dZ" % (i + 1)}) + "\n")
	f.write(json.dumps({"log": "part one ", "stream": "stdout",
		"time": "2026-03-14T10:11:13.000000001Z"}) + "\n")
	f.write(json.dumps({"log": "part two\n", "stream": "stdout",
		"time": "2026-03-14T10:11:14.000000002Z"}) + "\n")
PY
decode_file "$TMP/docker-long.log" "$TMP/docker-long.jsonl"
check "docker long line in three records is one event" "39999 17" \
	"$(field_list "$TMP/docker-long.jsonl" message | awk '{ print length($0) }' | xargs)"
check "docker joined line takes the first part's time" \
	"2026-03-14T10:11:12.000Z 2026-03-14T10:11:13.000Z" \
	"$(field_list "$TMP/docker-long.jsonl" timestamp | xargs)"

# containerd/CRI-O lines: the prefix goes, P parts join up to the F part.
printf '%s\n' \
	'2026-03-14T10:11:12.000000001Z stderr P ERROR split by ' \
	'2026-03-14T10:11:13.000000002Z stderr F the runtime' \
	'2026-03-14T10:11:14Z stdout F {"level":"warn","msg":"json content"}' >"$TMP/cri.log"
decode_file "$TMP/cri.log" "$TMP/cri.jsonl"
check "cri partial lines joined" "split by the runtime|json content" \
	"$(field_list "$TMP/cri.jsonl" message | paste -sd'|')"
check "cri levels and times" "error 2026-03-14T10:11:12.000Z|warn 2026-03-14T10:11:14.000Z" \
	"$(paste -d' ' <(field_list "$TMP/cri.jsonl" level) <(field_list "$TMP/cri.jsonl" timestamp) | paste -sd'|')"

# A chained Python traceback keeps its blank lines; the ones after it go.
printf '%s\n' '2026-03-14 10:11:12,345 - app - ERROR - failed' \
	'Traceback (most recent call last):' '  File "a.py", line 1, in <module>' 'ValueError: bad' '' \
	'During handling of the above exception, another exception occurred:' '' \
	'Traceback (most recent call last):' '  File "a.py", line 3, in <module>' 'KeyError: 1' '' '' \
	'2026-03-14 10:11:13,000 - app - INFO - next' >"$TMP/chained.log"
decode_file "$TMP/chained.log" "$TMP/chained.jsonl"
check "python chained traceback: two events" 2 "$(grep -c . "$TMP/chained.jsonl")"
check "python chained traceback: blank lines inside kept" 2 \
	"$(field_list "$TMP/chained.jsonl" message | head -n 11 | grep -c '^$')"

printf '28 <13>Mar 14 10:11:12 h a: one28 <11>Mar 14 10:11:13 h a: two' >"$TMP/octets.log"
dir=$(mktemp -d "$TMP/conf.XXXXXX")
"$TOP" --data-dir "$dir" --file - --from-start --once --listen off --generate 0 \
	<"$TMP/octets.log" >"$TMP/octets.jsonl" 2>"$TMP/err"
check "octet-counted syslog on stdin" "one two" "$(field_list "$TMP/octets.jsonl" message | xargs)"

decode_file "$TMP/mixed.log" "$TMP/forced.jsonl" --format glog
# The other lines are stored as plain text. The JSON line keeps the time of
# its time key, the Python line the time that opens it, and the syslog and
# Redis lines, whose times plain text does not read, the previous event's.
check "forced format: times of undecoded lines" \
	"2026-03-14T10:11:12.000Z 2026-03-14T10:11:12.000Z 2026-03-14T10:11:14.000Z 2026-03-14T10:11:15.000Z 2026-03-14T10:11:15.000Z" \
	"$(field_list "$TMP/forced.jsonl" timestamp | xargs)"
check "forced format: no services from other formats" "" \
	"$(field_list "$TMP/forced.jsonl" service | grep . | xargs)"
check "forced format: glog line" "glog line" "$(field_list "$TMP/forced.jsonl" message | sed -n 4p)"
"$TOP" --format log4net --once --listen off --generate 0 2>"$TMP/err" >/dev/null
check "unknown format exits with status 2" 2 "$?"
check "unknown format lists the names" 1 "$(grep -c "invalid --format 'log4net'.*zerolog.*plain" "$TMP/err")"

if [ ! -d "$REAL" ]; then
	skip "conformance: $REAL is absent (it ships beside the repository, not in it)"
	[ "$FAILS" -eq 0 ]
	exit
fi

# event_value OUT KEY INDEX: count, untimed, unknown, or a field of event INDEX.
# The receive time is the only time within a day of now, as every file here
# was written long before the test runs.
event_value() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys, time
# --once prints oldest first; the byte offset that ends each id gives file order.
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
events.sort(key=lambda e: int(e["id"].rsplit(":", 1)[1]))
key, field = sys.argv[2], sys.argv[3]
now = time.time()
def received(e):
	t = time.mktime(time.strptime(e["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
	return abs(now - t) < 86400
if key == "count":
	print(len(events))
elif key == "untimed":
	print(sum(1 for e in events if received(e)))
elif key == "unknown":
	print(sum(1 for e in events if e["level"] == "unknown"))
else:
	i = int(key)
	print(events[i][field] if i < len(events) else "<no event %d>" % i)
PY
}

for f in $(cd "$REAL" && find . -type f ! -name 'LICENSE*' ! -name 'CITATION*' ! -name README.md | sed 's|^\./||' | sort); do
	out="$TMP/$(echo "$f" | tr / _).jsonl"
	decode_file "$REAL/$f" "$out"
	status=$?
	check "$f: exit status" 0 "$status"
done

while IFS=$'\t' read -r file key a b; do
	case $file in '#'* | '') continue ;; esac
	out="$TMP/$(echo "$file" | tr / _).jsonl"
	if [ ! -f "$out" ]; then
		fail "$file: listed in the table but not found"
		continue
	fi
	case $key in
	count | untimed | unknown)
		check "$file: $key" "$a" "$(event_value "$out" "$key" x)"
		;;
	*)
		got=$(event_value "$out" "$key" "$a")
		if [ "$a" = message ]; then
			got=${got:0:${#b}}
		fi
		check "$file: event $key $a" "$b" "$got"
		;;
	esac
done <"$TABLE"
[ "$FAILS" -eq 0 ]
