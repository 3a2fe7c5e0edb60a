#!/bin/bash
# HTTP API edges: loopback by default, the optional bearer token, bounded
# parameters, malformed requests, 1000 requests from 100 clients at once,
# and 1000 idle or slow (slowloris-style) connections that must neither stop
# ingestion nor take the server down.
. "$(dirname "$0")/../lib.sh"

DIR="$TMP/data"
PORT=$(free_port)
TOKEN="s3cr3t-$$-token"
printf '%s\n' "$TOKEN" >"$TMP/token"
start_headless "$DIR" "$PORT" --generate 200 --http-token-file "$TMP/token"
PID=$LAST_PID

# authed PATH: GET with the token; the status goes to $TMP/status.
authed() {
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$PORT$1" >"$TMP/status"
	cat "$TMP/body" 2>/dev/null
}

for i in $(seq 1 100); do
	[ "$(authed /health >/dev/null; cat "$TMP/status")" = 200 ] && break
	sleep 0.1
done
check "token: request with the token" 200 "$(cat "$TMP/status")"
http "$PORT" /health >/dev/null
check "token: request without it is rejected" 401 "$(cat "$TMP/status")"
check "token: 401 body is a JSON error" True \
	"$(json '"bearer token" in d["error"]' <"$TMP/body")"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" \
	"http://127.0.0.1:$PORT/search" >"$TMP/status"
check "token: longer wrong token" 401 "$(cat "$TMP/status")"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN%?}" \
	"http://127.0.0.1:$PORT/metrics" >"$TMP/status"
check "token: shorter wrong token" 401 "$(cat "$TMP/status")"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $TOKEN" \
	"http://127.0.0.1:$PORT/latest" >"$TMP/status"
check "token: other scheme" 401 "$(cat "$TMP/status")"
check "token: never logged" 0 "$(grep -c -- "$TOKEN" "$DIR.out" "$DIR/streamlens.log" 2>/dev/null |
	awk -F: '{ s += $NF } END { print s + 0 }')"

# Every parameter is bounded; bad values get 400 with a JSON error.
while read -r path; do
	authed "$path" >/dev/null
	status=$(cat "$TMP/status")
	is_json=$(json '"error" in d' <"$TMP/body" 2>/dev/null)
	check "bounded: $path" "400 True" "$status $is_json"
done <<'CASES'
/search?limit=0
/search?limit=100001
/search?limit=-5
/search?limit=abc
/search?limit=99999999999999999999999
/search?from=yesterday-ish
/search?from=1h&to=2h
/search?q=%ff%fe
/search?q=level:
/search?q=(unclosed
/latest?n=0
/latest?n=1000000
/latest?n=1e3
/stats?minutes=0
/stats?minutes=100000000
/stats?minutes=
CASES
long=$(head -c 20000 /dev/zero | tr '\0' a)
authed "/search?q=$long" >/dev/null
check "bounded: 20000-byte query" 400 "$(cat "$TMP/status")"

# The largest accepted value of each bound, and one past it.
while read -r path expected; do
	authed "$path" >/dev/null
	check "bound edge: $path" "$expected" "$(cat "$TMP/status")"
done <<'CASES'
/search?limit=10000 200
/search?limit=10001 400
/latest?n=1000 200
/latest?n=1001 400
/stats?minutes=527040 200
/stats?minutes=527041 400
/search?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z 200
/search?from=10000-01-01T00:00:00Z 400
/search?to=9999999999999999999 400
/search?from=99999999999999d 400
/search?from=-5m 400
CASES
authed "/search?q=$(head -c 4096 /dev/zero | tr '\0' a)" >/dev/null
check "bound edge: 4096-byte query" 200 "$(cat "$TMP/status")"
authed "/search?q=$(head -c 4097 /dev/zero | tr '\0' a)" >/dev/null
check "bound edge: 4097-byte query" 400 "$(cat "$TMP/status")"

# Malformed requests do not take the server down.
python3 - "$PORT" >"$TMP/malformed" <<'PY'
import socket, sys
port = int(sys.argv[1])
for raw in [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET /health HTTP/9.9\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"\x00\xff\xfe\r\n\r\n", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"]:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(raw)
        reply = s.recv(64)
        print(reply.split(b"\r\n")[0].decode("latin-1") or "closed")
    except OSError as e:
        print("closed: %s" % e)
    s.close()
PY
check "malformed: every request answered 4xx/5xx or closed" 0 \
	"$(grep -cv '^HTTP/1.[01] [45][0-9][0-9]\|^closed' "$TMP/malformed")"
check "malformed: server still answers" 200 "$(authed /health >/dev/null; cat "$TMP/status")"

# 1000 requests at once: 100 clients with 10 requests each, searches and
# stats in turn. Each gets a response (200, or 503 when the server is busy).
before=$(authed /health | json 'd["ingest"]["events_in"]' 2>/dev/null)
python3 - "$PORT" "$TOKEN" >"$TMP/concurrent" <<'PY'
import collections, http.client, sys, threading
port, token = int(sys.argv[1]), sys.argv[2]
codes, lock = collections.Counter(), threading.Lock()
def client():
    for j in range(10):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/search?limit=100&q=level:error" if j % 2 else "/stats?minutes=60",
                      headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            code = str(r.status)
            c.close()
        except OSError as e:
            code = type(e).__name__
        with lock:
            codes[code] += 1
threads = [threading.Thread(target=client) for _ in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(" ".join("%s=%d" % kv for kv in sorted(codes.items())))
PY
echo "concurrent requests: $(cat "$TMP/concurrent")"
check "concurrent: 1000 requests answered 200 or 503" 1000 \
	"$(tr ' ' '\n' <"$TMP/concurrent" | awk -F= '$1 == 200 || $1 == 503 { s += $2 } END { print s + 0 }')"
check "concurrent: process still running" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"

# 1000 connections: 500 idle, 500 sending a request one header line per
# second, held for 5 s, then closed. Bounded by count and time.
python3 - "$PORT" >"$TMP/flood" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
socks, refused = [], 0
for i in range(1000):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if i % 2:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)
    except OSError:
        refused += 1
for second in range(5):
    time.sleep(1)
    for i, s in enumerate(socks):
        if i % 2:
            try:
                s.sendall(b"X-Slow-%d: %d\r\n" % (second, i))
            except OSError:
                pass
for s in socks:
    s.close()
print("opened %d refused %d" % (len(socks), refused))
PY
check "flood: client ran to the end" 1 "$(grep -c '^opened' "$TMP/flood")"
check "flood: process still running" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
for i in $(seq 1 100); do
	[ "$(authed /health >/dev/null; cat "$TMP/status")" = 200 ] && break
	sleep 0.1
done
check "flood: /health answers afterwards" 200 "$(cat "$TMP/status")"
sleep 1
after=$(authed /health | json 'd["ingest"]["events_in"]' 2>/dev/null)
check "flood: ingestion kept going" yes "$([ "${after:-0}" -gt "${before:-0}" ] && echo yes || echo "no: $before -> $after")"

stop "$PID"
check "SIGTERM exits 0" 0 "$STOP_STATUS"

# A token file that cannot be read stops the start with a message.
"$TOP" --headless --data-dir "$TMP/data2" --listen "127.0.0.1:$(free_port)" --generate 0 \
	--http-token-file "$TMP/missing" >"$TMP/missing.out" 2>&1
check "token: missing file exits 2" 2 "$?"
check "token: message names the file" 1 "$(grep -c "$TMP/missing" "$TMP/missing.out")"

# listening_addresses PID PORT: prints the local addresses (hex, as in
# /proc/net/tcp) of the sockets of PID that listen on PORT.
listening_addresses() {
	local hexport
	hexport=$(printf '%04X' "$2")
	cat "/proc/$1/net/tcp" "/proc/$1/net/tcp6" 2>/dev/null |
		awk -v p="$hexport" '$4 == "0A" { split($2, a, ":"); if (a[2] == p) print a[1] }'
}

# Loopback unless --listen names another address: the default address is
# 127.0.0.1:8080, and "localhost" always means 127.0.0.1.
if python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 8080))' 2>/dev/null; then
	# No config file and no STREAMLENS_LISTEN: the built-in default.
	env -u STREAMLENS_LISTEN XDG_CONFIG_HOME="$TMP/no-config" \
		"$TOP" --headless --data-dir "$TMP/default" --generate 0 >"$TMP/default.out" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	if wait_http 8080; then
		check "default listen: only 127.0.0.1" 0100007F "$(listening_addresses "$PID" 8080 | sort -u | paste -sd,)"
	else
		fail "default listen: no answer on 127.0.0.1:8080: $(tail -n 3 "$TMP/default.out")"
	fi
	stop "$PID"
else
	skip "default listen: port 8080 is in use here"
fi
PORT=$(free_port)
start_headless "$TMP/localhost" "$PORT" --generate 0 --listen "localhost:$PORT"
PID=$LAST_PID
wait_http "$PORT" || fail "listen localhost: no answer: $(tail -n 3 "$TMP/localhost.out")"
check "listen localhost: only 127.0.0.1" 0100007F "$(listening_addresses "$PID" "$PORT" | sort -u | paste -sd,)"
stop "$PID"
finish
