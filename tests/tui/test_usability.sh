#!/usr/bin/env bash
# Usability of the streamlens-top dashboard, driven through tmux. Covered:
# a mouse click leaves the screen running, completion of aggregation
# fields, and query bar scrolling with history and wide characters. Also
# invisible formatting characters, tabs and CRs, q in the views, narrow
# terminals, paging and refreshing the results, the chart cursor kept on
# its minute, the tail note for a filtered minute, and the status and
# title marks.
#
# Usage: BUILD=build tests/tui/test_usability.sh
set -u
. "$(dirname "$0")/../lib.sh"

TMUX_SESSION=u
. "$(dirname "$0")/../tmux.sh"

# start NAME COLS ROWS TERM LOG ARGS...: runs the dashboard on LOG.
start() {
	local name=$1 cols=$2 rows=$3 term=$4 log=$5
	shift 5
	"${TMUX_CMD[@]}" new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=$term $TOP --data-dir $TMP/data-$name --file $log --from-start --generate 0 --listen off $*; sleep 30"
	TARGET=$name:0.0
}

# clock: the header's HH:MM:SS.
clock() { screen | head -1 | grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2} *$' | tr -d ' '; }

# check_clock_runs NAME: the header clock changes within 3 seconds.
check_clock_runs() {
	local before i
	before=$(clock)
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		if [ "$(clock)" != "$before" ]; then
			pass "$1"
			return
		fi
	done
	fail "$1 (clock stayed at '$before')"
}

# row_of PATTERN: the 1-based screen row of the first line matching PATTERN.
row_of() { screen | grep -nE -- "$1" | head -1 | cut -d: -f1; }

if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi
mkdir -p "$TMP/home"

# Two minutes of old events, fields for completion, and messages with a
# tab, a CR and invisible formatting characters (U+202E, U+2066, U+200B,
# U+FEFF, U+061C, U+200F).
{
	echo '{"timestamp":"2020-01-01T10:00:05Z","level":"info","service":"web","host":"h1","message":"request alpha ok"}'
	echo '{"timestamp":"2020-01-01T10:00:10Z","level":"error","service":"db","host":"h2","message":"col1\tcol2 tabbed"}'
	printf '{"timestamp":"2020-01-01T10:00:20Z","level":"warn","service":"billing","host":"h3","message":"bidi \xe2\x80\xaeevil\xe2\x81\xa6x\xe2\x80\x8by\xef\xbb\xbfz\xd8\x9cw\xe2\x80\x8f end"}\n'
	echo '{"timestamp":"2020-01-01T10:01:05Z","level":"info","service":"web","host":"h1","message":"crlf line\r"}'
	echo '{"timestamp":"2020-01-01T10:01:20Z","level":"info","service":"cron","host":"h1","message":"heartbeat ok"}'
} >"$TMP/app.log"

# 1. A click and its release on a tail row or a chart bar leave the screen
# running: SGR reports on xterm-256color, X10 reports on screen.
start sgr 120 40 xterm-256color "$TMP/app.log"
check_screen "xterm dashboard starts" 'heartbeat ok'
y=$(row_of 'request alpha ok$')
text $'\e[<0;20;'"$y"'M'
text $'\e[<0;20;'"$y"'m'
check_screen "SGR click selects" '^Live tail PAUSED'
check_clock_runs "SGR click and release: clock runs"
bar=$(($(row_of '^ +[0-9]{2}:[0-9]{2} +10:01$') - 1))
col=$(screen | grep -E '^ +[0-9]{2}:[0-9]{2} +10:01$' | head -1 | awk '{ print length($0) }')
text $'\e[<0;'"$col;$bar"'M'
text $'\e[<0;'"$col;$bar"'m'
check_screen "SGR click on a bar filters" '^StreamLens \| time 10:01-10:02'
check_clock_runs "SGR click on a bar: clock runs"
text $'\e[<2;30;'"$y"'M'
text $'\e[<2;30;'"$y"'m'
check_clock_runs "SGR right click: clock runs"
keys q

start x10 120 40 screen "$TMP/app.log"
check_screen "screen dashboard starts" 'heartbeat ok'
y=$(row_of 'request alpha ok$')
text $'\e[M '"$(printf "\\$(printf '%03o' 52)")$(printf "\\$(printf '%03o' $((y + 32)))")"
text $'\e[M#'"$(printf "\\$(printf '%03o' 52)")$(printf "\\$(printf '%03o' $((y + 32)))")"
check_screen "X10 click selects" '^Live tail PAUSED'
check_clock_runs "X10 click and release: clock runs"

# 4, 5. Formatting characters are shown as '?', a tab and a CR as a space,
# in the tail, the results and the detail view.
check_screen "tab shown as a space" 'ERROR db +col1 col2 tabbed$'
check_screen "CR shown as a space" 'INFO  web +crlf line *$'
check_screen "format characters shown as ?" 'bidi \?evil\?x\?y\?z\?w\? end$'
if screen | grep -q $'\xe2\x80\xae\|\xe2\x81\xa6\|\xe2\x80\x8b\|\xef\xbb\xbf\|\xd8\x9c\|\xe2\x80\x8f'; then
	fail "no format character reaches the terminal"
else
	pass "no format character reaches the terminal"
fi
keys /
text 'bidi'
keys Enter
check_screen "results show format characters as ?" '^[0-9:]{8} WARN  billing +bidi \?evil\?x\?y\?z\?w\? end$'
keys Enter
check_screen "detail shows format characters as ?" '^message +bidi \?evil\?x\?y\?z\?w\? end$'
check_screen "detail raw line shows them as ?" '^raw .*bidi \?evil\?x'

# 6. q closes the detail view, the help and the pipeline view; q in the
# main view quits.
keys q
check_gone "q closes the detail" '^Event detail'
check_screen "q in the detail keeps the dashboard" '^Live tail'
keys '?'
check_screen "help open" 'Esc or q closes this help'
check_screen "help tells what q does" '│ q +quit, or close the open view or help'
keys q
check_gone "q closes the help" 'closes this help'
keys P
check_screen "pipeline view open" '^Pipeline '
keys q
check_gone "q closes the pipeline view" '^Pipeline '
check_screen "q in the pipeline view keeps the dashboard" '^Live tail'

# 12. The status line and the header: labelled counts, a focused chart
# title in the focus style, the collapse mark, notices that go away.
check_screen "header labels the stored count" '\| stored 5 this run \|'
check_screen "header labels the error total" '\| errors 1 total'
keys Tab
check_screen "chart focused" 'cursor 10:01-10:02'
# The focus style on an 8-colour terminal is black on yellow (SGR 43),
# as the focused results title had it.
if screen_sgr | grep -E 'Events per' | grep -Eq $'^(\e\\[[0-9;]*m)*\e\\[([0-9;]*;)?43(;[0-9;]*)?m(\e\\[[0-9;]*m)*Events per'; then
	pass "focused chart title in the focus style"
else
	fail "focused chart title in the focus style: $(screen_sgr | grep -E 'Events per' | cat -v)"
fi
keys Tab
keys c
check_screen "c marks the tail title" '^Live tail .*\[collapsed: c expands\]'
keys c
check_gone "c again removes the mark" 'collapsed: c expands'
keys Enter
check_screen "detail of a tail line" '^Event detail'
keys y
check_screen "y reports the copy" '^copied the raw line'
keys Escape
check_gone "notice cleared when the view closes" '^copied the raw line' 20
keys y
check_screen "y in the panes reports the copy" '^copied the raw line'
check_gone "notice cleared after some seconds" '^copied the raw line' 90
keys q

# 10. The chart cursor stays on its minute when the window moves: events
# of a later minute move the window of old logs, and the cursor with it.
cp "$TMP/app.log" "$TMP/moving.log"
start moving 120 40 screen "$TMP/moving.log"
check_screen "moving dashboard starts" 'heartbeat ok'
keys Tab Tab
check_screen "chart cursor on the newest bar" 'cursor 10:01-10:02'
keys h
check_screen "h moves to 10:00" 'cursor 10:00-10:01'
keys Enter
check_screen "Enter filters to 10:00" '^StreamLens \| time 10:00-10:01'
echo '{"timestamp":"2020-01-01T10:07:00Z","level":"info","service":"web","message":"later minute"}' >>"$TMP/moving.log"
check_screen "window moves to the new minute" '^ +[0-9]{2}:[0-9]{2} .*10:07$'
check_screen "cursor keeps its minute" 'cursor 10:00-10:01'
keys Enter
check_screen "Enter still filters to 10:00" '^StreamLens \| time 10:00-10:01'
keys q

# 2. Completion of the field of an aggregation is a bare name.
start comp 120 40 screen "$TMP/app.log"
check_screen "completion dashboard starts" 'heartbeat ok'
keys /
text 'level:error | count by ser'
keys Tab
text 'x'
check_screen "count by completes a bare field" '^/ level:error \| count by service x$'
keys C-u
text '| top 5 ho'
keys Tab
text 'x'
check_screen "top N completes a bare field" '^/ \| top 5 host x$'
keys C-u
text '| timechart 1m by lev'
keys Tab
text 'x'
check_screen "timechart by completes a bare field" '^/ \| timechart 1m by level x$'
keys C-u
text 'service:bi'
keys Tab
text 'x'
check_screen "a value still completes after field:" '^/ service:billing x$'
keys C-u
text 'ser'
keys Tab
check_screen "a field name still gets its colon" '^/ service:$'
keys C-u
text '| top 5 host'
keys Enter
check_screen "top title names the aggregation" '^Results: top 5 host of 5 matches'
keys / C-u
text '| timechart 1m'
keys Enter
check_screen "timechart title names the aggregation" '^Results: timechart 1m of 5 matches'
keys / C-u
text 'level:* | count by service'
keys Enter
check_screen "count by title names the field" '^Results: count by service of 5 matches'
keys q

# A completion list wider than the screen ends in an ellipsis.
for i in $(seq 10 30); do
	printf '{"level":"info","message":"m","field_number_%d":"v"}\n' "$i"
done >"$TMP/fields.log"
start fields 60 20 screen "$TMP/fields.log"
check_screen "fields dashboard starts" 'INFO'
keys /
text 'field_n'
keys Tab
check_screen "long completion list ends in an ellipsis" '^field_number_[0-9]+: .*…$'
keys Escape
sleep 0.3
keys q

# 3. Query bar scrolling: a short entry recalled after a long one starts
# at column 0, a long one shows its end, a wide character is never split.
start bar 60 20 screen "$TMP/app.log"
check_screen "bar dashboard starts" 'heartbeat ok'
wide="x$(for i in $(seq 1 12); do printf '日本語'; done) end"
long="y$(printf 'word%02d ' $(seq 1 30))"
for q in short "$wide" "$long"; do
	keys / C-u
	text "$q"
	keys Enter
	sleep 0.2
done
keys /
keys Up
check_screen "long entry shows its end" '^/ .*word29 word30 *$'
keys Up
check_screen "wide entry shows its end" '^/ .*日本語 end$'
keys Up
check_screen "short entry after long ones starts at column 0" '^/ short$'
keys Down
check_screen "wide entry again" '^/ .*日本語 end$'
keys C-a
check_screen "C-a shows the start of the wide entry" '^/ x日本語日本語'
for i in 1 2 3 4 5 6 7 8 9 10; do keys Right Right Right Right Right Right Right Right; done
sleep 0.3
bad=0
for i in 1 2 3 4 5 6 7 8; do
	keys Left Left Left
	sleep 0.1
	line=$(screen | grep -E '^/ ' | head -1 | sed 's/ *$//')
	if printf '%s' "$line" | grep -q $'\xef\xbf\xbd' || [ "$(printf '%s' "$line" | LC_ALL=C.UTF-8 wc -L)" -gt 60 ]; then
		bad=1
		echo "    | $line"
	fi
done
check "wide characters never split while scrolling" 0 "$bad"
keys Escape
sleep 0.3
keys q

# 7, 8. Narrow terminals: the needed size and "? help" / "q quit" stay.
start small 80 24 screen "$TMP/app.log"
check_screen "80x24 hints keep ? help" '^q quit .*\? help$'
"${TMUX_CMD[@]}" resize-window -t small -x 60 -y 15
check_screen "60x15 hints keep q quit and ? help" '^q quit .*\? help$'
"${TMUX_CMD[@]}" resize-window -t small -x 30 -y 8
check_screen "30x8 shows the size needed" 'need 60x15'
"${TMUX_CMD[@]}" resize-window -t small -x 20 -y 5
check_screen "20x5 shows the size needed" 'need 60x15'
"${TMUX_CMD[@]}" resize-window -t small -x 80 -y 24
check_screen "back to the panes" '^Live tail'
keys q

# 9. Results: G at the last hit loads the next page, with no hit lost or
# shown twice although many share a timestamp, and a search refreshes
# while not scrolled.
for i in $(seq 1 200); do
	printf '{"timestamp":"2020-01-01T10:00:%02dZ","level":"info","message":"seq %d"}\n' $((i / 10)) "$i"
done >"$TMP/many.log"
start many 120 24 screen "$TMP/many.log"
check_screen "paging dashboard starts" 'seq 200$'
keys /
text 'seq'
keys Enter
check_screen "first page of hits" '^Results: 200 matches for "seq" \([0-9]+ ms\), showing 35 \(G at the end loads more\)'
keys G
keys G
check_screen "G at the last hit loads a page" 'showing 70 \(G at the end loads more\)'
keys G G G G G G G G G G
check_screen "every page loaded" '^Results: 200 matches for "seq" \([0-9]+ ms\), showing 200$'
keys s C-u
text "$TMP/hits.jsonl"
keys Enter
check_screen "hits saved" "saved 200 lines to $TMP/hits.jsonl"
order=$(grep -o '"message":"seq [0-9]*"' "$TMP/hits.jsonl" | grep -o '[0-9]*' | sort -n | paste -sd' ')
check "pages hold every hit once" "$(seq 1 200 | paste -sd' ')" "$order"

# s requests a y before replacing a file.
keys s C-u
text "$TMP/hits.jsonl"
keys Enter
check_screen "s asks before replacing" 'hits.jsonl exists: press y to replace it'
keys n
check_screen "n keeps the file" '^not saved: .*hits.jsonl kept'
keys g
keys s C-u
text "$TMP/hits.jsonl"
keys Enter
check_screen "asked again" 'exists: press y'
keys y
check_screen "y replaces the file" "saved 200 lines to $TMP/hits.jsonl"

# A newest-first search refreshes on its own while not scrolled.
keys / C-u
text 'seq'
keys Enter
check_screen "search before new events" '^Results: 200 matches for "seq"'
for i in $(seq 201 205); do
	printf '{"timestamp":"2020-01-01T10:00:59Z","level":"info","message":"seq %d"}\n' "$i"
done >>"$TMP/many.log"
check_screen "results refresh with new events" '^Results: 205 matches for "seq"' 150
keys q

# 11. A chart minute no longer in the live tail gets a note: 1100 events
# at 10:01 push the five of 10:00 out of the 1000-line tail.
{
	for i in $(seq 1 5); do
		printf '{"timestamp":"2020-01-01T10:00:%02dZ","level":"info","message":"early %d"}\n' "$i" "$i"
	done
	for i in $(seq 1 1100); do
		printf '{"timestamp":"2020-01-01T10:01:%02dZ","level":"info","message":"late %d"}\n' $((i % 60)) "$i"
	done
} >"$TMP/pushed.log"
start pushed 120 40 screen "$TMP/pushed.log"
check_screen "pushed dashboard starts" 'late 1100$'
keys Tab Tab
check_screen "chart focused on 10:01" 'cursor 10:01-10:02'
keys h Enter
check_screen "filtered to 10:00" '^StreamLens \| time 10:00-10:01'
check_screen "tail notes the minute is not in it" '^no events of 10:00-10:01 in the live tail; the results pane lists'
check_screen "results list that minute" '^Results: 5 matches'
keys Escape
check_gone "note gone without the filter" '^no events of 10:00'
keys Tab

# The skipped note goes away with G: while paused, 1500 new lines push
# unread events out of the hot store.
keys p
check_screen "paused" 'PAUSED'
for i in $(seq 1 1500); do
	printf '{"level":"info","message":"flood %d"}\n' "$i"
done >>"$TMP/pushed.log"
check_screen "paused tail counts the flood" 'PAUSED \+1500 new'
keys p
check_screen "resumed tail notes the skipped events" 'skipped: pushed out of the hot store' 50
keys G
check_gone "G clears the skipped note" 'skipped: pushed out'
keys q

# An empty NO_COLOR keeps colour; a non-empty one turns it off.
colour_sgr() { screen_sgr | grep -Eo $'\e\\[[0-9;]*m' | grep -E '(^|[[;])(3[0-7]|4[0-7]|38;5|48;5|9[0-7])(;|m)'; }
"${TMUX_CMD[@]}" new-session -d -s nc -x 100 -y 30 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen NO_COLOR= $TOP --data-dir $TMP/data-nc --file $TMP/app.log --from-start --generate 0 --listen off; sleep 30"
TARGET=nc:0.0
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q .; then pass "empty NO_COLOR keeps colour"; else fail "empty NO_COLOR keeps colour"; fi
keys q
"${TMUX_CMD[@]}" new-session -d -s nc1 -x 100 -y 30 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen NO_COLOR=1 $TOP --data-dir $TMP/data-nc1 --file $TMP/app.log --from-start --generate 0 --listen off; sleep 30"
TARGET=nc1:0.0
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q .; then fail "NO_COLOR=1 turns colour off"; else pass "NO_COLOR=1 turns colour off"; fi
keys q

if finish; then
	echo "PASS: tui usability (all checks)"
	exit 0
fi
echo "FAIL: tui usability ($FAILS checks failed)"
exit 1
