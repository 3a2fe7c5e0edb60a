#!/usr/bin/env bash
# End-to-end test of the streamlens-top dashboard, driven through tmux: panes
# appear, queries run, invalid queries show a caret, resizes down to 1x1 and
# up to 300 columns never crash, untrusted text is drawn safely, and q
# restores the terminal.
#
# Usage: BUILD=build tests/tui/test_tui.sh
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) BIN=$BUILD/streamlens-top ;;
*) BIN=$ROOT/$BUILD/streamlens-top ;;
esac
CASES=$ROOT/../shared/cases/C18-terminal-resize-sequence.txt

SOCK=sl-test-$$
TMUX_CMD=(tmux -L "$SOCK" -f /dev/null)
TARGET=sl:0.0
FAILS=0
TMP=

cleanup() {
	"${TMUX_CMD[@]}" kill-server 2>/dev/null
	# The dashboards write their query history as they exit.
	sleep 0.3
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

screen() { "${TMUX_CMD[@]}" capture-pane -p -t "$TARGET"; }

# Waits until the pane matches the extended regex $1, for up to $2 tenths of
# a second. Returns 0 when it matched.
wait_for() {
	local pattern=$1 tenths=${2:-100} i
	for ((i = 0; i < tenths; i++)); do
		screen | grep -Eq -- "$pattern" && return 0
		sleep 0.1
	done
	return 1
}

check_screen() {
	local name=$1 pattern=$2 tenths=${3:-100}
	if wait_for "$pattern" "$tenths"; then
		pass "$name"
	else
		fail "$name (no line matches /$pattern/)"
		screen | sed 's/^/    | /'
	fi
}

alive() { [ -s "$TMP/pid" ] && kill -0 "$(cat "$TMP/pid")" 2>/dev/null; }

check_alive() {
	if alive; then pass "$1: process alive"; else fail "$1: process died"; fi
}

resize() { "${TMUX_CMD[@]}" resize-window -t sl -x "$1" -y "$2"; }

keys() { "${TMUX_CMD[@]}" send-keys -t "$TARGET" "$@"; }
text() { "${TMUX_CMD[@]}" send-keys -t "$TARGET" -l "$1"; }

# Prints the rows of the results pane: after its title, before the query bar.
results_rows() {
	screen | awk '/^Results/ { on = 1; next } /^Query: / { on = 0 } on && NF'
}

if [ ! -x "$BIN" ]; then
	echo "FAIL: $BIN is missing; run make first"
	exit 1
fi
if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed"
	exit 1
fi

TMP=$(mktemp -d /tmp/sl-tui-test.XXXXXX)
mkdir -p "$TMP/data" "$TMP/home"

# A plain shell runs the dashboard, so after q the pane shows that shell again.
cat >"$TMP/run.sh" <<RUN
sh -c 'echo \$\$ > "$TMP/pid"; exec "$BIN" --data-dir "$TMP/data" --generate 200 --listen off' 2>"$TMP/stderr"
echo \$? > "$TMP/status"
RUN
"${TMUX_CMD[@]}" new-session -d -s sl -x 120 -y 40 \
	"env -i HOME=$TMP/home PATH=$PATH TERM=screen LANG=C.UTF-8 PS1='sl-test\$ ' bash --norc --noprofile"
"${TMUX_CMD[@]}" set-option -t sl remain-on-exit on >/dev/null
keys "source $TMP/run.sh" Enter

# Panes.
check_screen "header shows product name" '^StreamLens \| '
check_screen "chart pane shows title" '^Events per minute'
check_screen "chart pane shows bars" '│ *.*[#=|]'
check_screen "tail pane shows title" '^Live tail \(following\)'
check_screen "tail shows levelled lines" '^[0-9]{2}:[0-9]{2}:[0-9]{2} (INFO |WARN |ERROR|DEBUG|TRACE|FATAL) '
check_screen "status line shows key hints" '^q quit'

# Pause and resume.
keys p
check_screen "p pauses tail" 'PAUSED \+[0-9]+ new'
before=$(screen | grep -A3 '^Live tail')
sleep 1
after=$(screen | grep -A3 '^Live tail' | sed 's/PAUSED +[0-9]* new/PAUSED/')
if [ "$(echo "$before" | sed 's/PAUSED +[0-9]* new/PAUSED/')" = "$after" ]; then
	pass "paused tail stays frozen"
else
	fail "paused tail changed while paused"
fi
keys p
check_screen "p again resumes tail" '^Live tail \(following\)'

# Help overlay.
keys '?'
check_screen "? shows help" 'Esc or q closes this help'
keys Escape
closed=0
for ((i = 0; i < 30; i++)); do
	if ! screen | grep -q 'Esc or q closes this help'; then
		closed=1
		break
	fi
	sleep 0.1
done
if [ "$closed" = 1 ]; then pass "Esc closes help"; else fail "Esc closes help"; fi

# A valid query.
keys /
text 'level:error'
keys Enter
check_screen "results show a count" '^Results: [0-9]+ matches for "level:error"'
rows=$(results_rows)
if [ -n "$rows" ] && ! echo "$rows" | grep -Evq '^[0-9:]{8} ERROR '; then
	pass "results show only error lines ($(echo "$rows" | wc -l) rows)"
else
	fail "results show only error lines"
	echo "$rows" | sed 's/^/    | /'
fi

# An invalid query: the error sits under the query text, caret first.
keys / C-u
text 'level:'
keys Enter
check_screen "invalid query shows an error" '^ *\^ invalid query'
caret=$(screen | grep -E '^ *\^ invalid query' | head -1 | awk '{ print index($0, "^") - 1 }')
if [ -n "$caret" ] && [ "$caret" -ge 7 ] && [ "$caret" -le 13 ]; then
	pass "caret under the query text (column $caret)"
else
	fail "caret under the query text (column ${caret:-none})"
fi

# Too small, then recovered with the query text kept.
resize 40 10
check_screen "too-small notice at 40x10" 'terminal too small \(40x10, need 60x15\)'
check_alive "at 40x10"
resize 120 40
check_screen "panes recover at 120x40" '^Live tail'
check_screen "chart recovers at 120x40" '^Events per minute'
check_screen "query text kept" '^Query: level:$'

# A sequence of sizes from the cases directory, applied while events stream.
if [ -r "$CASES" ]; then
	while read -r size; do
		case $size in '' | '#'*) continue ;; esac
		resize "${size%x*}" "${size#*x}"
		sleep 0.2
	done <"$CASES"
	check_alive "after the resize sequence"
	resize 120 40
	check_screen "panes recover after the resize sequence" '^Live tail'
else
	echo "SKIP: resize sequence ($CASES not found)"
fi

# Quit.
keys q
for ((i = 0; i < 50; i++)); do
	[ -s "$TMP/status" ] && break
	sleep 0.1
done
status=$(cat "$TMP/status" 2>/dev/null)
if [ "$status" = 0 ]; then
	pass "q exits with status 0"
else
	fail "q exits with status 0 (status ${status:-none}; stderr: $(head -c 300 "$TMP/stderr" 2>/dev/null))"
fi
check_screen "shell prompt shown again" '^sl-test\$' 30
if [ "$("${TMUX_CMD[@]}" display-message -p -t "$TARGET" '#{alternate_on}')" = 0 ]; then
	pass "alternate screen left"
else
	fail "alternate screen left"
fi

# Untrusted text: escape sequences, control characters, invalid UTF-8 and
# wide characters in a followed file. Nothing raw reaches the terminal, and a
# wide line is cut by display width.
TARGET=bad:0.0
wide=$(printf 'wide '; for ((i = 0; i < 60; i++)); do printf '日本語'; done)
printf 'plain line\n\033[2J\033[31mred escape\a bell\n%s\n\377\376 invalid bytes\n' "$wide" >"$TMP/bad.log"
mkdir -p "$TMP/data-bad"
"${TMUX_CMD[@]}" new-session -d -s bad -x 80 -y 24 \
	"env -i HOME=$TMP/home PATH=$PATH TERM=screen LANG=C.UTF-8 sh -c 'echo \$\$ > $TMP/pid; exec $BIN --data-dir $TMP/data-bad --file $TMP/bad.log --from-start --generate 0 --listen off'; echo \$? > $TMP/status-bad; sleep 30"
# The decoder may drop the escape sequences from the message; the raw line
# in the detail view keeps them, drawn as '?'.
check_screen "bad input: control character shown as ?" '(\?\[2J\?\[31m)?red escape\? bell'
keys /
text 'bell'
keys Enter
check_screen "bad input: search finds the line" '^Results: 1 matches for "bell"'
keys Enter
check_screen "bad input: raw escape shown as ?" '^raw +\?\[2J\?\[31mred escape\? bell'
keys Escape
check_screen "bad input: header not cleared" '^StreamLens \| '
check_screen "bad input: wide line shown" 'wide 日本語'
wide_row=$(screen | grep 'wide 日本語' | sed 's/ *$//')
wide_cols=$(printf '%s' "$wide_row" | LC_ALL=C.UTF-8 wc -L)
if printf '%s' "$wide_row" | grep -Eq 'wide (日本語)*(日|日本)?$' && [ "$wide_cols" -le 80 ]; then
	pass "bad input: wide line cut whole at $wide_cols columns"
else
	fail "bad input: wide line cut badly: $wide_row"
fi
check_alive "bad input"

# SIGTERM ends the dashboard like q does.
kill -TERM "$(cat "$TMP/pid")"
for ((i = 0; i < 50; i++)); do
	[ -s "$TMP/status-bad" ] && break
	sleep 0.1
done
if [ -s "$TMP/status-bad" ]; then
	pass "SIGTERM ends the dashboard (status $(cat "$TMP/status-bad"))"
else
	fail "SIGTERM ends the dashboard"
fi
if [ "$("${TMUX_CMD[@]}" display-message -p -t "$TARGET" '#{alternate_on}')" = 0 ]; then
	pass "SIGTERM leaves the alternate screen"
else
	fail "SIGTERM leaves the alternate screen"
fi

if [ "$FAILS" -eq 0 ]; then
	echo "PASS: tui (all checks)"
	exit 0
fi
echo "FAIL: tui ($FAILS checks failed)"
exit 1
