#!/usr/bin/env bash
# Dashboard features driven through tmux on files with known lines. Covered:
# Tab completion in the query bar, query terms marked in results and in the
# detail view, and the mouse (sent as raw xterm mouse sequences). Also
# filtering to a chart bar, copying with OSC 52 into tmux's paste buffer,
# the pipeline view, a tail fed in bursts, --no-mouse and the help
# overlay's new keys.
#
# Usage: BUILD=build tests/tui/test_dashboard.sh
set -u
. "$(dirname "$0")/../lib.sh"

TMUX_SESSION=dash
. "$(dirname "$0")/../tmux.sh"

# mouse BUTTON COL ROW: sends an X10 mouse report, the encoding ncurses
# requests from a TERM=screen terminal: ESC [ M, then button, column and
# row (1-based) each plus 32. Button 0 is a left press, 3 a release, 64 wheel
# up and 65 wheel down.
mouse() {
	local b c r
	b=$(printf "\\$(printf '%03o' $(($1 + 32)))")
	c=$(printf "\\$(printf '%03o' $(($2 + 32)))")
	r=$(printf "\\$(printf '%03o' $(($3 + 32)))")
	text $'\e[M'"$b$c$r"
}

# row_of PATTERN: the 1-based screen row of the first line matching PATTERN.
row_of() { screen | grep -nE -- "$1" | head -1 | cut -d: -f1; }

# start NAME LOG ARGS...: runs the dashboard on LOG in a new 120x40 session.
start() {
	local name=$1 log=$2
	shift 2
	"${TMUX_CMD[@]}" new-session -d -s "$name" -x 120 -y 40 \
		"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $TOP --data-dir $TMP/data-$name --file $log --from-start --generate 0 --listen off $*; sleep 30"
	TARGET=$name:0.0
}

if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi
mkdir -p "$TMP/home"

# Old timestamps in two minutes, so the chart window ends at 10:01 and its
# bars are known: four lines at 10:00, three at 10:01.
{
	echo '{"timestamp":"2020-01-01T10:00:05Z","level":"info","service":"web","host":"h1","message":"request alpha ok","zone":"eu-west"}'
	echo '{"timestamp":"2020-01-01T10:00:10Z","level":"error","service":"db","host":"h2","message":"disk failure on sda","zone":"us-east"}'
	echo '{"timestamp":"2020-01-01T10:00:20Z","level":"info","service":"web","host":"h1","message":"request beta ok"}'
	echo '{"timestamp":"2020-01-01T10:00:30Z","level":"warn","service":"billing","host":"h3","message":"日本語 disks failing soon 日本語"}'
	echo '{"timestamp":"2020-01-01T10:01:05Z","level":"info","service":"web","host":"h1","message":"request gamma ok"}'
	echo '{"timestamp":"2020-01-01T10:01:10Z","level":"error","service":"db","host":"h2","message":"Disk failure on sdb"}'
	echo '{"timestamp":"2020-01-01T10:01:20Z","level":"info","service":"cron","host":"h1","message":"heartbeat ok"}'
} >"$TMP/app.log"

start dash "$TMP/app.log"
# tmux stores what an application sends with OSC 52 in a paste buffer.
"${TMUX_CMD[@]}" set -g set-clipboard on
check_screen "dashboard starts" '^Live tail \(following\)'
check_screen "last line read" 'heartbeat ok'
if [ "$("${TMUX_CMD[@]}" display-message -p -t "$TARGET" '#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}')" != 000 ]; then
	pass "mouse reporting requested"
else
	fail "mouse reporting requested"
fi

# Help lists the new keys.
keys '?'
check_screen "help open" 'Esc or q closes this help'
for k in 'Tab \(editing\)' 'h/l \(chart\)' 'y / Y' '│ P ' 'r \(pipeline\)' '│ mouse '; do
	if screen | grep -Eq -- "$k"; then pass "help lists '$k'"; else fail "help lists '$k'"; fi
done
# A terminal too short for every key scrolls the list.
"${TMUX_CMD[@]}" resize-window -t dash -x 100 -y 20
check_screen "short help offers scrolling" 'Esc or q closes this help, j/k scroll'
if screen | grep -Eq '│ q +quit'; then fail "short help hides the last rows"; else pass "short help hides the last rows"; fi
keys j j j j j j j j j j j j j j j
check_screen "j scrolls to the last key" '│ q +quit'
"${TMUX_CMD[@]}" resize-window -t dash -x 120 -y 40
keys Escape
check_gone "Esc closes help" 'Esc or q closes this help'

# Tab completion: a field name, an ambiguous name listed, a value seen in
# the tail, and an extra field with its values.
keys /
text 'ser'
keys Tab
check_screen "Tab completes a field name" '^/ service:$'
text 'bi'
keys Tab
text 'x'
check_screen "Tab completes a recent value and a space" '^/ service:billing x$'
keys C-u
text 's'
keys Tab
check_screen "Tab lists ambiguous names" '^service: +since:$'
check_screen "ambiguous name left as typed" '^/ s$'
keys C-u
text 'zo'
keys Tab
check_screen "Tab completes an extra field" '^/ zone:$'
keys Tab
check_screen "Tab lists its recent values" 'zone:eu-west +zone:us-east'
text 'u'
keys Tab
text 'x'
check_screen "Tab completes the extra field value" '^/ zone:us-east x$'
keys C-u
text '-level:fa'
keys Tab
text 'x'
check_screen "Tab keeps a leading minus" '^/ -level:fatal x$'
# A pause, so Esc and the next key do not arrive together as Alt+key.
keys Escape
sleep 0.3

# Marked terms: words and a prefix, case-insensitive, in the results and
# in the detail view.
keys /
text 'disk fail*'
keys Enter
check_screen "search runs" '^Results: 2 matches for "disk fail\*"'
# The results rows, with their escape sequences.
results_sgr() { screen_sgr | awk '/Results: /{ on = 1; next } /Query: / { on = 0 } on'; }
marked=$(results_sgr | grep -Eo $'\e\\[[0-9;]*m(disk|Disk|failure)' | wc -l)
if [ "$marked" -ge 4 ]; then
	pass "results mark each matched word ($marked marks)"
else
	fail "results mark each matched word ($marked marks)"
	results_sgr | cat -v | sed 's/^/    | /'
fi
# The mark ends with the word: the attributes are reset before " on".
if results_sgr | grep -Eq $'failure\e\\[0(;[0-9]+)*m( |\e\\[[0-9;]*m)* on sdb'; then
	pass "mark ends at the word"
else
	fail "mark ends at the word"
	results_sgr | grep 'on sdb' | cat -v | sed 's/^/    | /'
fi
keys Enter
check_screen "Enter opens the hit" '^Event detail'
if screen_sgr | grep -E '^message' | grep -Eq $'\e\\[[0-9;]*4[0-9;]*m[^\e]*(Disk|disk)'; then
	pass "detail marks the matched word"
else
	fail "detail marks the matched word"
fi
keys Escape

# A wide-character term: marked whole, and the row keeps its width.
keys / C-u
text '日本語'
keys Enter
check_screen "CJK search runs" '^Results: 1 matches for "日本語"'
row=$(screen_sgr | grep 'disks failing')
if printf '%s' "$row" | grep -Eq $'\e\\[[0-9;]*m日本語\e' ; then
	pass "CJK term marked whole"
else
	fail "CJK term marked whole: $(printf '%s' "$row" | cat -v)"
fi
plain=$(screen | grep 'disks failing' | sed 's/ *$//')
if [ "$(printf '%s' "$plain" | LC_ALL=C.UTF-8 wc -L)" -le 120 ] &&
	printf '%s' "$plain" | grep -q '日本語 disks failing soon 日本語$'; then
	pass "CJK row aligned"
else
	fail "CJK row aligned: $plain"
fi

# Mouse: a click on a tail line selects it, a second click opens it.
keys / C-u
text 'level:*'
keys Enter
check_screen "all hits listed" '^Results: 7 matches'
y=$(row_of 'request beta ok$')
mouse 0 20 "$y"
mouse 3 20 "$y"
check_screen "click pauses the tail on a line" '^Live tail PAUSED'
sel=$(screen_sgr | grep -E $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m[0-9]{2}:' | head -1 | sed $'s/\e\\[[0-9;]*m//g')
case $sel in
*"request beta ok"*) pass "click selects the line under it" ;;
*) fail "click selects the line under it (selected: '$sel')" ;;
esac
mouse 0 20 "$y"
mouse 3 20 "$y"
check_screen "second click opens the detail" '^message +request beta ok'
mouse 65 20 10
mouse 64 20 10
keys Escape
check_gone "detail closed" '^Event detail'

# The wheel over the results pane moves its cursor by three lines.
y=$(($(row_of '^Results: ') + 2))
mouse 0 20 "$y"
mouse 3 20 "$y"
before=$(screen_sgr | awk '/Results: /{on=1} on' | grep -nE $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m[0-9]{2}:' | head -1 | cut -d: -f1)
mouse 65 20 "$y"
sleep 0.3
after=$(screen_sgr | awk '/Results: /{on=1} on' | grep -nE $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m[0-9]{2}:' | head -1 | cut -d: -f1)
if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) = 3 ]; then
	pass "wheel down moves the results cursor 3 rows"
else
	fail "wheel down moves the results cursor 3 rows (row ${before:-none} to ${after:-none})"
fi
mouse 64 20 "$y"
sleep 0.3
back=$(screen_sgr | awk '/Results: /{on=1} on' | grep -nE $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m[0-9]{2}:' | head -1 | cut -d: -f1)
check "wheel up moves it back" "$before" "$back"

# Chart bar filter with keys: Tab to the chart, the cursor starts on the
# newest bar (10:01), h moves to 10:00, Enter filters.
keys p
for i in 1 2 3; do
	keys Tab
	wait_for 'cursor 10:01-10:02' 5 && break
done
check_screen "Tab reaches the chart" 'cursor 10:01-10:02: Enter filters'
keys Enter
check_screen "Enter filters to the bar" '^StreamLens \| time 10:01-10:02 \(Esc clears\)'
check_screen "filtered results rerun" '^Results: 3 matches for "level:\*"'
if screen | grep -Eq 'request (alpha|beta) ok'; then
	fail "filter hides other minutes"
else
	pass "filter hides other minutes"
fi
keys h
check_screen "h moves the cursor" 'cursor 10:00-10:01'
keys Enter
check_screen "filter to the earlier bar" '^Results: 4 matches for "level:\*"'
if screen | grep -q 'heartbeat ok'; then fail "tail filtered to 10:00"; else pass "tail filtered to 10:00"; fi
keys Escape
check_gone "Esc clears the filter" '^StreamLens \| time '
check_screen "results unfiltered again" '^Results: 7 matches for "level:\*"'
check_screen "tail unfiltered again" 'heartbeat ok'

# Chart bar filter with the mouse: a click on the last bar's column.
axis=$(screen | grep -n '│' | head -1)
col=$(screen | grep -E '^ +[0-9]{2}:[0-9]{2} +10:01$' | head -1 | awk '{ print length($0) }')
bar_row=$(screen | grep -n '│' | tail -1 | cut -d: -f1)
if [ -n "$axis" ] && [ -n "$col" ] && [ -n "$bar_row" ]; then
	mouse 0 "$col" "$bar_row"
	mouse 3 "$col" "$bar_row"
	check_screen "click on a bar filters to it" '^StreamLens \| time 10:01-10:02'
	keys Escape
else
	fail "chart bars located for the mouse"
fi

# OSC 52: y copies the raw line of the selected event into tmux's buffer.
keys Tab
keys g
keys y
check_screen "y reports the copy" '^copied the raw line of .* with OSC 52'
first=$(head -1 "$TMP/app.log")
check "paste buffer holds the raw line" "$first" "$("${TMUX_CMD[@]}" show-buffer 2>/dev/null)"
keys Y
check_screen "Y reports the JSON copy" '^copied the JSON of'
if "${TMUX_CMD[@]}" show-buffer | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["raw"] and d["message"] == "request alpha ok" else 1)'; then
	pass "paste buffer holds the event JSON"
else
	fail "paste buffer holds the event JSON: $("${TMUX_CMD[@]}" show-buffer | head -c 200)"
fi

# Pipeline view.
keys P
check_screen "P opens the pipeline view" '^Pipeline \(P or Esc back'
check_screen "pipeline shows the source" '^  sources file:'
check_screen "pipeline shows Kafka lag state" '^  no Kafka source'
check_screen "pipeline shows the hot store" '^  memory: healthy'
check_screen "pipeline shows the dead-letter file" "^  file $TMP/data-dash/dead-letters.jsonl"
keys r
check_screen "r without dead letters says so" '^no dead letters to retry in '
keys P
check_gone "P closes the pipeline view" '^Pipeline \(P or Esc back'
keys q

# Dead letters written by an earlier run are listed newest first.
mkdir -p "$TMP/data-dl"
for i in 1 2 3; do
	echo "{\"id\":\"file:x:$i\",\"dead_lettered_at\":\"2026-01-01T00:00:0${i}Z\",\"reason\":\"mapping conflict $i\",\"event\":{\"id\":\"file:x:$i\",\"raw\":\"line $i\"}}"
done >"$TMP/data-dl/dead-letters.jsonl"
start dl "$TMP/app.log"
check_screen "second dashboard starts" 'heartbeat ok'
keys P
check_screen "dead letters counted" '^  not retried yet 3'
check_screen "newest dead letter first" '^  2026-01-01T00:00:03Z  file:x:3  mapping conflict 3'
n=$(screen | grep -c 'mapping conflict')
check "every dead letter listed" 3 "$n"
# r hands the raw lines to the ingest thread, which stores them in the
# embedded store under their original ids.
keys r
check_screen "r queues the dead letters" '^queued 3 dead letters for the ingest thread'
check_screen "nothing left to retry" '^  not retried yet 0 '
keys P
keys /
text '"line"'
keys Enter
check_screen "retried lines stored" '^Results: 3 matches for "\"line\""'
keys Enter
check_screen "retried line keeps its id" '^id +file:x:[123]$'
keys Escape
keys q

# The tail shows every appended line once and in order while lines arrive
# in bursts: the saved tail has lines 1 to 400 with no gap or duplicate.
: >"$TMP/burst.log"
start burst "$TMP/burst.log"
check_screen "burst dashboard starts" '^Live tail \(following\)'
for b in $(seq 0 7); do
	for i in $(seq $((b * 50 + 1)) $((b * 50 + 50))); do
		echo "{\"level\":\"info\",\"message\":\"seq $i\"}"
	done >>"$TMP/burst.log"
	sleep 0.15
done
check_screen "last burst shown" 'seq 400$'
keys s C-u
text "$TMP/tail.jsonl"
keys Enter
check_screen "tail saved" "saved 400 lines to $TMP/tail.jsonl"
order=$(grep -o '"message":"seq [0-9]*"' "$TMP/tail.jsonl" | grep -o '[0-9]*' | paste -sd' ')
check "tail has every line once, in order" "$(seq 1 400 | paste -sd' ')" "$order"
keys q

# SGR mouse reports (ESC [ < button ; column ; row M), which ncurses
# requests from an xterm-256color terminal.
"${TMUX_CMD[@]}" new-session -d -s sgr -x 120 -y 40 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=xterm-256color $TOP --data-dir $TMP/data-sgr --file $TMP/app.log --from-start --generate 0 --listen off; sleep 30"
TARGET=sgr:0.0
check_screen "xterm-256color dashboard starts" 'heartbeat ok'
check "SGR mouse mode requested" 1 "$("${TMUX_CMD[@]}" display-message -p -t "$TARGET" '#{mouse_sgr_flag}')"
y=$(row_of 'request gamma ok$')
for n in 1 2; do
	text $'\e[<0;20;'"$y"'M'
	text $'\e[<0;20;'"$y"'m'
	sleep 0.2
done
check_screen "SGR clicks open the detail" '^message +request gamma ok'
keys q

# --no-mouse leaves the mouse to the terminal.
start nomouse "$TMP/app.log" --no-mouse
check_screen "--no-mouse dashboard starts" 'heartbeat ok'
check "--no-mouse requests no mouse reporting" 000 \
	"$("${TMUX_CMD[@]}" display-message -p -t "$TARGET" '#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}')"
keys q

# Monochrome: a match is still visible without colour.
start mono "$TMP/app.log" --no-color
check_screen "monochrome dashboard starts" 'heartbeat ok'
keys /
text 'heartbeat'
keys Enter
check_screen "monochrome search runs" '^Results: 1 matches'
if screen_sgr | grep -Eq $'\e\\[([0-9;]*;)?(4|7)(;[0-9;]*)?mheartbeat\e'; then
	pass "monochrome marks with reverse or underline"
else
	fail "monochrome marks with reverse or underline"
	screen_sgr | grep 'heartbeat' | cat -v | sed 's/^/    | /'
fi
if screen_sgr | grep -Eo $'\e\\[[0-9;]*m' | grep -Eq '(^|[[;])(3[0-7]|4[0-7]|38;5|48;5)(;|m)'; then
	fail "monochrome draws no colour"
else
	pass "monochrome draws no colour"
fi

if finish; then
	echo "PASS: tui dashboard (all checks)"
	exit 0
fi
echo "FAIL: tui dashboard ($FAILS checks failed)"
exit 1
