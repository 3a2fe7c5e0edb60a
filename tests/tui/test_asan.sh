#!/usr/bin/env bash
# The dashboard under AddressSanitizer and UndefinedBehaviorSanitizer for a
# bounded session: every view and key family is exercised while the
# generator streams, including resizes down to 1x1 and back, then q. The
# run passes when the process exits with status 0 and the sanitizers wrote
# no report (leaks included).
#
# The binary is $TOP when it is instrumented (make asan runs the tests with
# BUILD=build-asan), else build-asan/streamlens-top when it exists, which
# tests/e2e/test_asan.sh builds earlier in the same tests/run.sh run.
#
# Usage: BUILD=build-asan tests/tui/test_asan.sh
set -u
. "$(dirname "$0")/../lib.sh"
TMUX_SESSION=asan
. "$(dirname "$0")/../tmux.sh"

instrumented() { nm "$1" 2>/dev/null | grep -q '__asan_init'; }

BIN=
if instrumented "$TOP"; then
	BIN=$TOP
elif instrumented "$ROOT/build-asan/streamlens-top"; then
	BIN=$ROOT/build-asan/streamlens-top
fi
if [ -z "$BIN" ]; then
	skip "tui under ASan/UBSan (no instrumented streamlens-top: run make asan)"
	exit 0
fi
if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi
mkdir -p "$TMP/home"

SAN="ASAN_OPTIONS=log_path=$TMP/asan:detect_leaks=1 UBSAN_OPTIONS=log_path=$TMP/ubsan:print_stacktrace=1"
"${TMUX_CMD[@]}" new-session -d -s asan -x 120 -y 40 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $SAN $BIN --data-dir $TMP/data --generate 200 --listen off; echo \$? > $TMP/status; sleep 30"
"${TMUX_CMD[@]}" set -g set-clipboard on

if wait_for '^Live tail \(following\)' 300; then
	pass "asan: dashboard starts"
else
	fail "asan: dashboard starts"
	screen | sed 's/^/    | /'
fi
wait_for '^[0-9]{2}:[0-9]{2}:[0-9]{2} (INFO |WARN |ERROR)' 100

# Query bar: completion, history, a search with marks, an aggregation and
# an invalid query.
keys / ; text 'serv' ; keys Tab Tab ; text 'a' ; keys Tab Tab
keys C-u ; text 'lev' ; keys Tab ; text 'er' ; keys Tab Enter
keys / C-u ; text 'GET "orders" stat*' ; keys Enter
if wait_for '^Results: [0-9]+ matches for "GET' 100; then pass "asan: search ran"; else fail "asan: search ran"; fi
keys / C-u ; text '| count by service' ; keys Enter
keys / C-u ; text 'level:' ; keys Enter
keys / Up Up Down Enter
sleep 0.5

# Panes, detail and copy.
keys Tab j j k e E c c Enter
sleep 0.3
keys j G y Y Escape
keys Tab g G PageUp PageDown y
keys p p

# Chart filter with keys and the mouse (X10 reports: press, release).
for i in 1 2 3; do
	keys Tab
	wait_for '^Events per .*cursor ' 5 && break
done
keys h h Enter l Enter
if wait_for '^StreamLens \| time ' 100; then pass "asan: chart filter applied"; else fail "asan: chart filter applied"; fi
text $'\e[M 0%' ; text $'\e[M#0%'
keys Escape
text $'\e[M`(7' ; text $'\e[Ma(7' ; text $'\e[M (7' ; text $'\e[M#(7' ; text $'\e[M (7' ; text $'\e[M#(7'
sleep 0.3
keys Escape
keys 1 2 3 4 2

# Pipeline view, help, save.
keys P j k G g r
if wait_for '^Pipeline \(P or Esc back' 100; then pass "asan: pipeline view shown"; else fail "asan: pipeline view shown"; fi
sleep 1.2
keys P '?'
sleep 0.3
keys Escape s C-u
text "$TMP/out.jsonl"
keys Enter

# Resizes while the generator streams, then back.
for size in 80x24 40x10 1x1 300x80 60x15 59x14 120x40; do
	resize "${size%x*}" "${size#*x}"
	sleep 0.2
done
if wait_for '^Live tail' 100; then pass "asan: panes back after resizes"; else fail "asan: panes back after resizes"; fi

keys q
for ((i = 0; i < 100; i++)); do
	[ -s "$TMP/status" ] && break
	sleep 0.1
done
check "asan: q exits with status 0" 0 "$(cat "$TMP/status" 2>/dev/null)"
if [ -s "$TMP/out.jsonl" ]; then pass "asan: save wrote the tail"; else fail "asan: save wrote the tail"; fi

reports=$(ls "$TMP"/asan.* "$TMP"/ubsan.* 2>/dev/null)
if [ -z "$reports" ]; then
	pass "asan: no sanitizer report"
else
	fail "asan: sanitizer reports: $reports"
	head -40 $reports | sed 's/^/    | /'
fi

finish
