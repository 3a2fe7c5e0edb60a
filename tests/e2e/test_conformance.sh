#!/bin/bash
# Decoding conformance over every real third-party log: each file is read
# whole with --once and compared with tests/conformance.tsv, whose counts
# and values were read by hand from the files. Every file must decode
# without a crash; files with rows in the table must match them.
. "$(dirname "$0")/../lib.sh"

if [ ! -d "$REAL" ]; then
	skip "conformance: $REAL is absent (it ships beside the repository, not in it)"
	exit 0
fi

TABLE="$ROOT/tests/conformance.tsv"

# decode_file FILE OUT: every event of FILE as a JSON line in OUT.
decode_file() {
	local dir
	dir=$(mktemp -d "$TMP/conf.XXXXXX")
	"$TOP" --data-dir "$dir" --file "$1" --from-start --once --listen off --generate 0 \
		>"$2" 2>"$TMP/err"
}

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
