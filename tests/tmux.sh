# Helpers for the tests that drive streamlens-top in tmux. Source it after
# tests/lib.sh with TMUX_SESSION set: it starts nothing, but gives each test
# script a tmux server of its own and removes it, and the temp folder, on
# exit.

SOCK=sl-$TMUX_SESSION-$$
TMUX_CMD=(tmux -L "$SOCK" -f /dev/null)
TARGET=$TMUX_SESSION:0.0

tmux_cleanup() {
	"${TMUX_CMD[@]}" kill-server 2>/dev/null
	# The dashboards write their query history as they exit.
	sleep 0.3
	cleanup
}
trap tmux_cleanup EXIT INT TERM

screen() { "${TMUX_CMD[@]}" capture-pane -p -t "$TARGET"; }
# The screen with SGR escape sequences (colours, reverse video).
screen_sgr() { "${TMUX_CMD[@]}" capture-pane -p -e -t "$TARGET"; }
keys() { "${TMUX_CMD[@]}" send-keys -t "$TARGET" "$@"; }
text() { "${TMUX_CMD[@]}" send-keys -t "$TARGET" -l -- "$1"; }
# resize COLS ROWS: resizes the window that contains $TARGET.
resize() { "${TMUX_CMD[@]}" resize-window -t "${TARGET%.*}" -x "$1" -y "$2"; }

# wait_for PATTERN [TENTHS]: waits until a line matches the extended regex.
wait_for() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# wait_gone PATTERN [TENTHS]: waits until no line matches.
wait_gone() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.1
	done
	return 1
}

# check_screen NAME PATTERN [TENTHS]: passes when a line matches in time.
check_screen() {
	if wait_for "$2" "${3:-100}"; then
		pass "$1"
	else
		fail "$1 (no line matches /$2/)"
		screen | sed 's/^/    | /'
	fi
}

# check_gone NAME PATTERN [TENTHS]: passes when no line matches in time.
check_gone() {
	if wait_gone "$2" "${3:-50}"; then
		pass "$1"
	else
		fail "$1 (still shown: /$2/)"
	fi
}
