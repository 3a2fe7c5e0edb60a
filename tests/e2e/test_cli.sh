#!/bin/bash
# The command line, its environment and config layers, and the man pages.
. "$(dirname "$0")/../lib.sh"

"$TOP" --help >"$TMP/help"
check "--help exits 0" 0 "$?"
for opt in file from-start format generate data-dir retention listen headless no-ingest \
	query once brokers topic group es es-index redis config; do
	if grep -q -- "--$opt" "$TMP/help" && grep -q -- "Fl -$opt" "$ROOT/man/streamlens-top.1"; then
		pass "--$opt in --help and the man page"
	else
		fail "--$opt missing from --help or man/streamlens-top.1"
	fi
done

"$TOP" --version >/dev/null
check "--version exits 0" 0 "$?"
"$TOP" --no-such-option 2>"$TMP/err"
check "unknown option exits 2" 2 "$?"
check "unknown option is named" 1 "$(grep -c 'unknown option --no-such-option' "$TMP/err")"
"$TOP" --retention soon --once --data-dir "$TMP/d0" 2>"$TMP/err"
check "bad duration exits 2" 2 "$?"
check "bad duration names value and format" 1 "$(grep -c "invalid --retention 'soon'" "$TMP/err")"
# A free loopback port with no server behind it: the store cannot open.
es_port=$(free_port)
"$TOP" --es "http://127.0.0.1:$es_port" --once --data-dir "$TMP/d0" 2>"$TMP/err"
check "unreachable --es exits 1" 1 "$?"
check "unreachable --es names the URL" 1 "$(grep -c "127.0.0.1:$es_port" "$TMP/err")"
"$TOP" --es "http://127.0.0.1:$es_port" --es-compress sometimes --once --data-dir "$TMP/d0" \
	2>"$TMP/err"
check "bad --es-compress exits 1" 1 "$?"
check "bad --es-compress names the choices" 1 "$(grep -c "expected auto, always or never" "$TMP/err")"
echo "secret-value" >"$TMP/pw"
"$TOP" --es "http://127.0.0.1:$es_port" --es-user elastic --es-password-file "$TMP/pw" \
	--once --data-dir "$TMP/d0" >"$TMP/out" 2>&1
check "password never printed" 0 "$(grep -c secret-value "$TMP/out")"
"$TOP" --es "http://127.0.0.1:$es_port" --es-password-file "$TMP/no-such-file" --once \
	--data-dir "$TMP/d0" 2>"$TMP/err"
check "missing secret file exits 1" 1 "$?"
check "missing secret file is named" 1 "$(grep -c "cannot read secret file $TMP/no-such-file" "$TMP/err")"

# Precedence: command line over STREAMLENS_* over the config file.
printf 'a 1\nb 2\nc 3\nd 4\n' >"$TMP/four.log"
printf '# test config\nlimit = 1\nfrom-start = true\n' >"$TMP/config"
run_limit() {
	"$@" --config "$TMP/config" --data-dir "$(mktemp -d "$TMP/p.XXXXXX")" --file "$TMP/four.log" \
		--once --listen off 2>/dev/null | grep -c .
}
check "config file sets --limit and --from-start" 1 "$(run_limit "$TOP")"
check "environment overrides the config file" 2 "$(STREAMLENS_LIMIT=2 run_limit "$TOP")"
check "command line overrides the environment" 3 "$(STREAMLENS_LIMIT=2 run_limit "$TOP" --limit 3)"
printf 'limit = \nno-such = 1\n' >"$TMP/bad-config"
"$TOP" --config "$TMP/bad-config" --once --data-dir "$TMP/d1" 2>"$TMP/err"
check "bad config line exits 2" 2 "$?"
check "bad config line is named" 1 "$(grep -c "bad-config:2: unknown option 'no-such'" "$TMP/err")"

# --once on files without --data-dir uses a private store, removed at exit,
# so a second run prints the same lines and nothing is left behind.
mkdir -p "$TMP/tmpdir"
first=$(TMPDIR="$TMP/tmpdir" HOME="$TMP/home" "$TOP" --file "$TMP/four.log" --from-start --once --listen off | wc -l)
second=$(TMPDIR="$TMP/tmpdir" HOME="$TMP/home" "$TOP" --file "$TMP/four.log" --from-start --once --listen off | wc -l)
check "--once on a file prints that file" 4 "$first"
check "--once again prints the same, not twice as much" 4 "$second"
check "--once leaves no temporary store" 0 "$(find "$TMP/tmpdir" -mindepth 1 | wc -l)"
"$TOP" --listen nonsense --once --data-dir "$TMP/d0" 2>"$TMP/err"
check "bad --listen exits 2 before anything starts" 2 "$?"
STREAMLENS_FORMAT=xml "$TOP" --once --data-dir "$TMP/d0" 2>"$TMP/err"
check "bad value from the environment says so" 1 "$(grep -c "invalid --format 'xml' (from the environment)" "$TMP/err")"

if command -v mandoc >/dev/null; then
	for page in streamlens-top.1 streamlens-producer.1; do
		out=$(mandoc -Tlint -W warning "$ROOT/man/$page" 2>&1)
		check "mandoc -Tlint $page" "" "$out"
	done
else
	skip "man pages: mandoc is not installed"
fi

# The generator is deterministic: the same seed gives the same events
# (timestamps come from the clock, so they are left out).
gen() {
	"$PRODUCER" --seed "$1" --count 500 --rate 0 | sed 's/"timestamp":"[^"]*",//' | md5sum
}
check "producer: same seed, same events" "$(gen 7)" "$(gen 7)"
if [ "$(gen 7)" != "$(gen 8)" ]; then pass "producer: other seed, other events"; else fail "producer: seeds 7 and 8 gave the same events"; fi
"$PRODUCER" --seed 1 --count 2000 --rate 0 | "$TOP" --data-dir "$TMP/gen" --file - --once --listen off --limit 10000 >"$TMP/gen.out"
check "producer output ingests as JSON: every line" 2000 "$(grep -c . "$TMP/gen.out")"
check "producer output ingests as JSON: none undecoded" 0 "$(grep -c '"level":"unknown"' "$TMP/gen.out")"

finish
