#!/usr/bin/env bash
# Keys of the streamlens-top dashboard, driven through tmux on a file with
# known lines. Covered: the cursor, the detail view, error jumps, pause with
# a count of new lines, collapsing repeats and aggregations. Also chart
# windows, saving to a file, help, colour modes (256, 8, NO_COLOR) and the
# narrow header.
#
# Usage: BUILD=build tests/tui/test_keys.sh
set -u
. "$(dirname "$0")/../lib.sh"

TMUX_SESSION=keys
. "$(dirname "$0")/../tmux.sh"

# The row drawn in reverse video (the cursor), without escape sequences.
cursor_row() {
	screen_sgr | grep -E $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m[0-9]{2}:' | head -1 |
		sed $'s/\e\\[[0-9;]*m//g'
}

# start NAME COLS ROWS ENV...: runs the dashboard on $TMP/app.log in a new
# tmux session with the given extra environment.
start() {
	local name=$1 cols=$2 rows=$3
	shift 3
	"${TMUX_CMD[@]}" new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 $* $TOP --data-dir $TMP/data-$name --file $TMP/app.log --from-start --generate 0 --listen off; sleep 30"
	TARGET=$name:0.0
}

if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi
mkdir -p "$TMP/home"

# The log: distinct info lines, two errors with fields, then a run of equal
# heartbeats, so the newest lines are the repeats.
{
	for i in $(seq 1 30); do
		echo "{\"level\":\"info\",\"service\":\"web\",\"host\":\"h1\",\"message\":\"request $i ok\"}"
	done
	echo '{"level":"error","service":"db","host":"h2","message":"disk failure on sda","user":"alice","path":"/var/lib/db/data/base/16384/2619_fsm/segment/0001/0002/0003/0004/0005","code":507}'
	for i in $(seq 31 40); do
		echo "{\"level\":\"info\",\"service\":\"web\",\"host\":\"h1\",\"message\":\"request $i ok\"}"
	done
	echo '{"level":"error","service":"api","host":"h3","message":"timeout, \"upstream\" gone","user":"bob"}'
	for i in $(seq 1 20); do
		echo '{"level":"info","service":"cron","host":"h1","message":"heartbeat ok"}'
	done
} >"$TMP/app.log"

start keys 120 40 TERM=screen
check_screen "dashboard starts" '^Live tail \(following\)'
check_screen "last line read" 'heartbeat ok'

# Help lists every key.
keys '?'
check_screen "help open" 'Esc or q closes this help'
for k in 'j/k, arrows' 'PgUp/PgDn' 'g/G' 'e/E' 'Tab' 'Enter' 'Esc' 'p, space' '│ c +collapse' '1 2 3 4' '│ s ' '│ \? ' '│ q '; do
	if screen | grep -Eq -- "$k"; then pass "help lists '$k'"; else fail "help lists '$k'"; fi
done
keys Escape
check_gone "Esc closes help" 'Esc or q closes this help'

# The cursor follows the newest line; k pauses and moves it up.
row=$(cursor_row)
case $row in
*"heartbeat ok"*) pass "cursor on the newest line" ;;
*) fail "cursor on the newest line (row: '$row')" ;;
esac
keys k
check_screen "k pauses the tail" 'PAUSED \+0 new'

# e and E jump between error lines.
keys g
keys e
sleep 0.3
row=$(cursor_row)
case $row in
*ERROR*"disk failure on sda"*) pass "e jumps to the first error" ;;
*) fail "e jumps to the first error (row: '$row')" ;;
esac
keys e
sleep 0.3
row=$(cursor_row)
case $row in
*ERROR*"timeout"*) pass "e again jumps to the next error" ;;
*) fail "e again jumps to the next error (row: '$row')" ;;
esac
keys E
sleep 0.3
row=$(cursor_row)
case $row in
*"disk failure"*) pass "E jumps back" ;;
*) fail "E jumps back (row: '$row')" ;;
esac

# Enter opens the detail view with every field and the raw line.
keys Enter
check_screen "Enter opens the detail" '^Event detail'
check_screen "detail shows the message" '^message +disk failure on sda'
check_screen "detail shows an extra field" '^user +alice'
check_screen "detail shows the raw line" '^raw +\{"level":"error","service":"db"'
check_screen "detail wraps the raw line" '^ {13}.*"code":507\}$'
keys Escape
check_gone "Esc closes the detail" '^Event detail'
check_screen "panes back after the detail" '^Live tail PAUSED'

# While paused, new lines are counted, not shown; p goes back to live.
for i in 1 2 3; do
	echo "{\"level\":\"warn\",\"service\":\"web\",\"message\":\"late line $i\"}" >>"$TMP/app.log"
done
check_screen "paused tail counts new lines" 'PAUSED \+3 new'
if screen | grep -q 'late line'; then
	fail "paused tail hides new lines"
else
	pass "paused tail hides new lines"
fi
keys p
check_screen "p goes back to live" '^Live tail \(following\)'
check_screen "new lines shown after resume" 'late line 3'

# c folds the heartbeats into one row with a count.
keys c
check_screen "c collapses repeats" 'cron +\[20x\] heartbeat ok'
n=$(screen | grep -c 'heartbeat ok')
check "collapsed heartbeats take one row" 1 "$n"
keys c
check_screen "c again expands" 'cron +heartbeat ok'

# Chart windows.
keys 3
check_screen "3 shows 6 hours" '^Events per [0-9]+ min, last 6h'
keys 4
check_screen "4 shows 24 hours" '^Events per [0-9]+ min, last 24h'
keys 1
check_screen "1 shows 15 minutes" '^Events per minute, last 15m'
keys 2
check_screen "2 shows 1 hour" '^Events per minute, last 1h'

# Aggregations.
keys /
text 'level:* | count by level'
keys Enter
check_screen "count by shows a title" '^Results: count by level of 65 matches'
check_screen "count by shows the info row" '^info +60 #+'
check_screen "count by shows the error row" '^error +2 #'
keys / C-u
text '| top 2 service'
keys Enter
check_screen "top shows the largest service" '^web +43 #+'
check_screen "top shows the second service" '^cron +20 #+'
if screen | grep -Eq '^db +1 '; then fail "top 2 shows two rows"; else pass "top 2 shows two rows"; fi
keys / C-u
text '| timechart 1m by level'
keys Enter
check_screen "timechart shows a legend" 'bucket 60s +. (info|error|warn)'
check_screen "timechart shows bars" '│[#=*+o.]'
keys / C-u
text '| count by nosuchfield x'
keys Enter
check_screen "invalid aggregation shows an error" '\^ invalid query'

# Search results: cursor, Enter, save as CSV.
keys / C-u
text 'user:*'
keys Enter
check_screen "search shows two hits" '^Results: 2 matches for "user:\*"'
keys Enter
check_screen "Enter on a hit opens its detail" '^user +bob'
keys Escape
keys s
check_screen "s prompts for a path" "^Save to: $TMP/home/streamlens-export-[0-9-]+\\.jsonl"
keys C-u
text "$TMP/hits.csv"
keys Enter
check_screen "save reports lines" "saved 2 lines to $TMP/hits.csv"
if [ "$(head -1 "$TMP/hits.csv" | tr -d '\r')" = "id,timestamp,level,service,host,message" ]; then
	pass "CSV has the header row"
else
	fail "CSV has the header row: $(head -1 "$TMP/hits.csv")"
fi
if grep -q ',error,api,h3,"timeout, ""upstream"" gone"' "$TMP/hits.csv"; then
	pass "CSV quotes a message with a comma and quotes"
else
	fail "CSV quotes a message with a comma and quotes"
	sed 's/^/    | /' "$TMP/hits.csv"
fi
keys s Enter
check_screen "save to the default path" "saved 2 lines to $TMP/home/streamlens-export-"
f=$(ls "$TMP"/home/streamlens-export-*.jsonl 2>/dev/null | head -1)
if [ -n "$f" ] && [ "$(wc -l <"$f")" = 2 ] && grep -q '"user":"bob"' "$f"; then
	pass "default save is JSON lines"
else
	fail "default save is JSON lines (${f:-no file})"
fi
keys s C-u
text "$TMP/no/such/dir/x.csv"
keys Enter
check_screen "save to a bad path reports the error" 'save failed: .*No such file or directory'

keys q
check_gone "q quits" '^Live tail'

# Colours: 8 colours by default, 256 colours on a 256-colour terminal, and
# none at all with NO_COLOR.
colour_sgr() { screen_sgr | grep -Eo $'\e\\[[0-9;]*m' | grep -E '(^|[[;])(3[0-7]|4[0-7]|38;5|48;5|9[0-7])(;|m)'; }

start col8 100 30 TERM=screen
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q .; then pass "colours on an 8-colour terminal"; else fail "colours on an 8-colour terminal"; fi

start col256 100 30 TERM=screen-256color
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q '38;5;'; then pass "256-colour palette"; else fail "256-colour palette"; fi

start mono 100 30 TERM=screen-256color NO_COLOR=1
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q .; then
	fail "NO_COLOR draws no colour ($(colour_sgr | sort -u | head -3 | tr '\033' 'E' | tr '\n' ' '))"
else
	pass "NO_COLOR draws no colour"
fi
if screen_sgr | grep -Eq $'\e\\[([0-9;]*;)?7(;[0-9;]*)?m'; then
	pass "NO_COLOR keeps reverse video"
else
	fail "NO_COLOR keeps reverse video"
fi

start nocolor 100 30 TERM=screen-256color
keys q
"${TMUX_CMD[@]}" kill-session -t nocolor
"${TMUX_CMD[@]}" new-session -d -s nc2 -x 100 -y 30 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen-256color $TOP --no-color --data-dir $TMP/data-nc2 --file $TMP/app.log --from-start --generate 0 --listen off; sleep 30"
TARGET=nc2:0.0
wait_for 'heartbeat ok' 100
if colour_sgr | grep -q .; then fail "--no-color draws no colour"; else pass "--no-color draws no colour"; fi

# A narrow header drops whole items instead of cutting numbers: what is
# left has the error count whole, and no item is a cut-off stored count.
"${TMUX_CMD[@]}" resize-window -t nc2 -x 62 -y 30
wait_for '^StreamLens.*errors' 50
header=$(screen | head -1 | sed -E 's/ *[0-9]{2}:[0-9]{2}:[0-9]{2} *$//')
items=$(echo "$header" | sed 's/ | /\n/g')
if echo "$items" | grep -qx 'errors 2 total'; then
	pass "narrow header keeps whole items ($header)"
else
	fail "narrow header keeps whole items: '$header'"
fi
if echo "$items" | grep -E '^(stored|errors)' | grep -Evxq '(stored 68 this run|errors 2 total)'; then
	fail "narrow header cut a number: '$header'"
else
	pass "narrow header cuts no number"
fi

# Old logs: the chart window ends at the newest event, not now, so the
# bars and time labels show the data's own range (UTC, since TZ is unset).
for m in $(seq 0 30); do
	printf '{"timestamp":"2020-01-01T10:%02d:00Z","level":"%s","message":"old %d"}\n' \
		"$m" "$([ $((m % 5)) = 0 ] && echo error || echo info)" "$m"
done >"$TMP/old.log"
"${TMUX_CMD[@]}" new-session -d -s old -x 100 -y 30 \
	"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $TOP --data-dir $TMP/data-old --file $TMP/old.log --from-start --generate 0 --listen off; sleep 30"
TARGET=old:0.0
check_screen "old logs: chart labels end at the newest event" '^ +09:31 +10:30$'
check_screen "old logs: chart shows bars" '│ *.*[#|]'
keys 1
check_screen "old logs: 15m window ends there too" '^ +10:16 +10:30$'

if finish; then
	echo "PASS: tui keys (all checks)"
	exit 0
fi
echo "FAIL: tui keys ($FAILS checks failed)"
exit 1
