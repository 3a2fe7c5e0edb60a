#!/bin/bash
# A dashboard whose terminal goes away (tmux killed, SSH closed) gets
# SIGHUP and must exit instead of running on without a screen.
. "$(dirname "$0")/../lib.sh"

SOCK="sl-hup-$$"
DIR="$TMP/data"
tmux -L "$SOCK" new-session -d -x 100 -y 30 \
	"HOME=$TMP $TOP --data-dir $DIR --listen off --generate 20"
for i in $(seq 1 50); do
	pid=$(pgrep -f -- "--data-dir $DIR" | head -n 1)
	[ -n "$pid" ] && break
	sleep 0.1
done
if [ -z "$pid" ]; then
	fail "hangup: the dashboard did not start"
	tmux -L "$SOCK" kill-server 2>/dev/null
	finish
	exit
fi
sleep 1
tmux -L "$SOCK" kill-server
for i in $(seq 1 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	fail "hangup: the dashboard still runs 10 s after its terminal closed"
	kill -9 "$pid"
else
	pass "hangup: the dashboard exits when its terminal closes"
fi
finish
