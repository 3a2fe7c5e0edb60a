#!/bin/bash
# Secured servers: Redis that requires a password (AUTH), OpenSearch behind
# TLS with a CA of the test's own (tests/tlsproxy.py in front of the runner's
# node), and a Kafka broker with a SASL_PLAINTEXT PLAIN listener. The right
# secret from a file or the environment works, a wrong one fails with a clear
# message, and no secret shows in the output, the log, /health, /metrics or
# the dashboard header.
. "$(dirname "$0")/../lib.sh"

SERVERS="$TMP/servers"
SOCK=sl-secrets-$$
TMUX_CMD=(tmux -L "$SOCK" -f /dev/null)
trap '"${TMUX_CMD[@]}" kill-server 2>/dev/null; "$ROOT/scripts/servers.sh" stop "$SERVERS" >/dev/null 2>&1; cleanup' EXIT

# leaks SECRET NAME FILE...: checks that no file contains SECRET.
leaks() {
	local secret=$1 name=$2 n
	shift 2
	n=$(cat "$@" 2>/dev/null | grep -cF -- "$secret")
	check "$name: secret never shown" 0 "$n"
}

# expect_failure NAME PATTERN CMD...: runs CMD (bounded to 30 s), which must
# exit non-zero with a line matching PATTERN.
expect_failure() {
	local name=$1 pattern=$2 status
	shift 2
	timeout 30 "$@" >"$TMP/fail.out" 2>&1
	status=$?
	check "$name: exits non-zero" yes "$([ "$status" -ne 0 ] && [ "$status" -ne 124 ] && echo yes || echo "no: status $status")"
	check "$name: message" 1 "$(grep -Eci -m 1 -- "$pattern" "$TMP/fail.out")"
	[ "$(grep -Eci -m 1 -- "$pattern" "$TMP/fail.out")" = 1 ] || sed 's/^/    | /' "$TMP/fail.out" | tail -n 5
}

# --- Redis AUTH -------------------------------------------------------------
if ! command -v redis-server >/dev/null || ! command -v tmux >/dev/null; then
	skip "Redis AUTH: redis-server and tmux are needed"
else
	REDIS_SECRET="r3dis-pw-$$-$RANDOM"
	printf '%s\n' "$REDIS_SECRET" >"$TMP/redis.pass"
	printf 'wrong-%s\n' "$REDIS_SECRET" >"$TMP/redis.wrong"
	if ! STREAMLENS_REDIS_PASSWORD_FILE="$TMP/redis.pass" "$ROOT/scripts/servers.sh" start redis \
		"$SERVERS" >"$TMP/redis.env" 2>"$TMP/redis.err"; then
		fail "Redis with a password did not start: $(tail -n 3 "$TMP/redis.err")"
	else
		RADDR=$(sed -n 's/^REDIS_ADDR=//p' "$TMP/redis.env")
		check "Redis AUTH: the server requires the password" 1 \
			"$(redis-cli -h "${RADDR%:*}" -p "${RADDR##*:}" ping 2>&1 | grep -c NOAUTH)"

		PORT=$(free_port)
		start_headless "$TMP/rfile" "$PORT" --redis "$RADDR" --redis-password-file "$TMP/redis.pass" \
			--es-index "sl-sec-$$" --generate 200 --verbose
		PID=$LAST_PID
		wait_http "$PORT" || fail "Redis AUTH: HTTP API did not come up: $(tail -n 5 "$TMP/rfile.out")"
		sleep 2
		http "$PORT" /health >"$TMP/rfile.health"
		http "$PORT" /metrics >"$TMP/rfile.metrics"
		check "Redis AUTH: password file, hot store not degraded" False \
			"$(json 'd["hot_store"]["degraded"]' <"$TMP/rfile.health")"
		check "Redis AUTH: password file, events counted in Redis" True \
			"$(http "$PORT" "/stats?minutes=60" | json 'd["source"] == "hot" and d["totals"]["all"] > 0')"
		stop "$PID"
		leaks "$REDIS_SECRET" "Redis AUTH: output, log, /health, /metrics" \
			"$TMP/rfile.out" "$TMP/rfile/streamlens.log" "$TMP/rfile.health" "$TMP/rfile.metrics"

		PORT=$(free_port)
		STREAMLENS_REDIS_PASSWORD="$REDIS_SECRET" start_headless "$TMP/renv" "$PORT" \
			--redis "$RADDR" --es-index "sl-sec-$$" --generate 200
		PID=$LAST_PID
		wait_http "$PORT" || fail "Redis AUTH: HTTP API did not come up: $(tail -n 5 "$TMP/renv.out")"
		check "Redis AUTH: password from STREAMLENS_REDIS_PASSWORD" False \
			"$(http "$PORT" /health | json 'd["hot_store"]["degraded"]')"
		stop "$PID"

		expect_failure "Redis AUTH: wrong password" 'Redis at .* rejected the password' \
			"$TOP" --headless --data-dir "$TMP/rwrong" --listen off --generate 0 \
			--redis "$RADDR" --redis-password-file "$TMP/redis.wrong"
		leaks "wrong-$REDIS_SECRET" "Redis AUTH: wrong password message" "$TMP/fail.out"
		expect_failure "Redis AUTH: no password" 'Redis at .* requires a password: give --redis-password-file' \
			"$TOP" --headless --data-dir "$TMP/rnone" --listen off --generate 0 --redis "$RADDR"

		# The dashboard's header names the stores; the password must not
		# show there or anywhere else on the screen.
		mkdir -p "$TMP/home"
		"${TMUX_CMD[@]}" new-session -d -s sec -x 200 -y 30 \
			"env -i HOME=$TMP/home PATH=$PATH LANG=C.UTF-8 TERM=screen $TOP --data-dir $TMP/rtui --redis $RADDR --redis-password-file $TMP/redis.pass --es-index sl-sec-$$ --generate 50 --listen off; sleep 30"
		for i in $(seq 1 100); do
			"${TMUX_CMD[@]}" capture-pane -p -t sec:0.0 >"$TMP/screen" 2>/dev/null
			grep -q '^Live tail' "$TMP/screen" && break
			sleep 0.1
		done
		check "Redis AUTH: dashboard runs" 1 "$(grep -c '^Live tail' "$TMP/screen")"
		leaks "$REDIS_SECRET" "Redis AUTH: dashboard screen" "$TMP/screen"
		"${TMUX_CMD[@]}" kill-server 2>/dev/null
		redis-cli -h "${RADDR%:*}" -p "${RADDR##*:}" -a "$REDIS_SECRET" --no-auth-warning \
			--scan --pattern "*sl-sec-$$*" |
			xargs -r redis-cli -h "${RADDR%:*}" -p "${RADDR##*:}" -a "$REDIS_SECRET" --no-auth-warning del >/dev/null
	fi
fi

# --- OpenSearch over TLS ----------------------------------------------------
if [ -z "${OPENSEARCH_URL:-}" ] || ! command -v openssl >/dev/null; then
	skip "OpenSearch TLS: OPENSEARCH_URL and openssl are needed"
else
	fails_before=$FAILS
	CERTS="$TMP/certs"
	mkdir -p "$CERTS"
	# make_ca NAME: a throwaway CA valid for one day.
	make_ca() {
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=StreamLens test $1" \
			-keyout "$CERTS/$1.key" -out "$CERTS/$1.pem" 2>>"$CERTS/openssl.err"
	}
	make_ca ca && make_ca other-ca &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$CERTS/server.key" \
			-out "$CERTS/server.csr" 2>>"$CERTS/openssl.err" &&
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$CERTS/ext" &&
		openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
			-CAcreateserial -days 1 -extfile "$CERTS/ext" -out "$CERTS/server.pem" 2>>"$CERTS/openssl.err"
	check "TLS: throwaway CA and server certificate" 0 "$?"

	ES_SECRET="es-pw-$$-$RANDOM"
	API_SECRET="api-key-$$-$RANDOM"
	printf '%s\n' "$ES_SECRET" >"$TMP/es.pass"
	printf '%s\n' "$API_SECRET" >"$TMP/es.key"
	# tls_proxy NAME TEXT: starts a TLS relay to the node that counts the
	# connections whose request contains TEXT; sets TLS_URL.
	tls_proxy() {
		python3 "$ROOT/tests/tlsproxy.py" --upstream "$OPENSEARCH_URL" --cert "$CERTS/server.pem" \
			--key "$CERTS/server.key" --port-file "$TMP/$1.port" --count-text "$2" \
			--count-file "$TMP/$1.count" --lifetime 120 >"$TMP/$1.proxy.out" 2>&1 &
		PIDS="$PIDS $!"
		for i in $(seq 1 50); do
			[ -s "$TMP/$1.port" ] && break
			sleep 0.1
		done
		TLS_URL="https://127.0.0.1:$(cat "$TMP/$1.port" 2>/dev/null)"
	}
	PREFIX="sl-tls-$$"
	python3 -c 'import json, time
ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for i in range(100):
    print(json.dumps({"timestamp": ts, "level": "info", "service": "tls", "message": "tls line %d" % i}))
' >"$TMP/tls.log"

	basic=$(printf 'elastic:%s' "$ES_SECRET" | base64 -w0)
	tls_proxy basic "Authorization: Basic $basic"
	"$TOP" --es "$TLS_URL" --es-index "$PREFIX" --es-ca-cert "$CERTS/ca.pem" --es-user elastic \
		--es-password-file "$TMP/es.pass" --file "$TMP/tls.log" --from-start --once --query 'service:tls' \
		--listen off --data-dir "$TMP/tlsonce" --verbose >"$TMP/tls.jsonl" 2>"$TMP/tls.err"
	check "TLS: --es-ca-cert with the right CA exits 0" 0 "$?"
	check "TLS: every line stored and found" 100 "$(grep -c '"service":"tls"' "$TMP/tls.jsonl")"
	check "TLS: basic auth sent" True "$(python3 -c 'import sys; print(int(open(sys.argv[1]).read()) > 0)' "$TMP/basic.count" 2>/dev/null)"
	leaks "$ES_SECRET" "TLS: password file, verbose log" "$TMP/tls.err" "$TMP/tls.jsonl"
	curl -s -X POST "$OPENSEARCH_URL/$PREFIX-*/_refresh" >/dev/null
	docs=$(curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$PREFIX-*/_count" \
		-d '{"query":{"exists":{"field":"event.id"}}}' | json 'd["count"]')
	distinct=$(grep -o '"id":"[^"]*"' "$TMP/tls.jsonl" | sort -u | wc -l)
	result=PASS
	[ "$FAILS" -eq "$fails_before" ] || result=FAIL
	"$ROOT/tests/reliability.sh" record "OpenSearch behind TLS with a test CA, basic auth" \
		"file source, OpenSearch store" 100 "$distinct" "$((docs - distinct))" 0 $result

	tls_proxy apikey "Authorization: ApiKey $API_SECRET"
	PORT=$(free_port)
	start_headless "$TMP/tlskey" "$PORT" --es "$TLS_URL" --es-index "$PREFIX" \
		--es-ca-cert "$CERTS/ca.pem" --es-api-key-file "$TMP/es.key" --generate 0 --verbose
	PID=$LAST_PID
	wait_http "$PORT" || fail "TLS: HTTP API did not come up: $(tail -n 5 "$TMP/tlskey.out")"
	check "TLS: API key, search through the relay" 100 \
		"$(http "$PORT" "/search?limit=1&q=service:tls" | json 'd["total"]')"
	http "$PORT" /health >"$TMP/tlskey.health"
	http "$PORT" /metrics >"$TMP/tlskey.metrics"
	stop "$PID"
	check "TLS: API key sent" True "$(python3 -c 'import sys; print(int(open(sys.argv[1]).read()) > 0)' "$TMP/apikey.count" 2>/dev/null)"
	leaks "$API_SECRET" "TLS: API key file, output, log, /health, /metrics" \
		"$TMP/tlskey.out" "$TMP/tlskey/streamlens.log" "$TMP/tlskey.health" "$TMP/tlskey.metrics"

	# Verification is on by default: the system CAs do not know the test CA.
	expect_failure "TLS: no --es-ca-cert" 'certificate' \
		"$TOP" --es "$TLS_URL" --es-index "$PREFIX" --once --query '' --listen off \
		--data-dir "$TMP/tlsnone"
	expect_failure "TLS: the wrong CA" 'certificate' \
		"$TOP" --es "$TLS_URL" --es-index "$PREFIX" --es-ca-cert "$CERTS/other-ca.pem" --once \
		--query '' --listen off --data-dir "$TMP/tlswrong"
	expect_failure "TLS: unreadable CA file" 'CA certificate.*missing\.pem' \
		"$TOP" --es "$TLS_URL" --es-index "$PREFIX" --es-ca-cert "$CERTS/missing.pem" --once \
		--query '' --listen off --data-dir "$TMP/tlsmissing"
	curl -s -X DELETE "$OPENSEARCH_URL/$PREFIX-*" >/dev/null
	curl -s -X DELETE "$OPENSEARCH_URL/_index_template/$PREFIX" >/dev/null
fi

# --- Kafka SASL_PLAINTEXT with PLAIN ----------------------------------------
if [ -z "${KAFKA_BROKERS:-}" ]; then
	skip "Kafka SASL: KAFKA_BROKERS must be set (the runner starts a broker when Java and the jars are there)"
else
	fails_before=$FAILS
	KAFKA_SECRET="k4fka-pw-$$-$RANDOM"
	printf '%s\n' "$KAFKA_SECRET" >"$TMP/kafka.pass"
	if ! STREAMLENS_KAFKA_SASL_PASSWORD_FILE="$TMP/kafka.pass" "$ROOT/scripts/servers.sh" start kafka \
		"$SERVERS" >"$TMP/kafka.env" 2>"$TMP/kafka.err"; then
		fail "Kafka SASL: the broker did not start: $(tail -n 5 "$TMP/kafka.err")"
	else
		SASL=$(sed -n 's/^KAFKA_SASL_BROKERS=//p' "$TMP/kafka.env")
		SASL_USER=$(sed -n 's/^KAFKA_SASL_USER=//p' "$TMP/kafka.env")
		TOPIC="sasl-$$"
		sasl_props() {
			echo -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN \
				-X "sasl.username=$SASL_USER" -X "sasl.password=$1"
		}
		# shellcheck disable=SC2046 # the properties are words without spaces
		timeout 60 "$PRODUCER" --brokers "$SASL" --topic "$TOPIC" --count 300 --rate 0 --seed 40 \
			$(sasl_props "$KAFKA_SECRET") 2>"$TMP/sasl-produce.err"
		check "Kafka SASL: producer with -X sasl.* exits 0" 0 "$?"
		PORT=$(free_port)
		# shellcheck disable=SC2046
		start_headless "$TMP/sasl" "$PORT" --brokers "$SASL" --topic "$TOPIC" --group "g-$TOPIC" \
			$(sasl_props "$KAFKA_SECRET") --verbose
		PID=$LAST_PID
		wait_http "$PORT" || fail "Kafka SASL: HTTP API did not come up: $(tail -n 5 "$TMP/sasl.out")"
		check "Kafka SASL: every record consumed" 300 "$(wait_total "$PORT" 300)"
		http "$PORT" "/search?limit=1000" >"$TMP/sasl.search"
		distinct=$(json 'len(set(h["id"] for h in d["hits"]))' <"$TMP/sasl.search")
		rows=$(json 'len(d["hits"])' <"$TMP/sasl.search")
		http "$PORT" /health >"$TMP/sasl.health"
		http "$PORT" /metrics >"$TMP/sasl.metrics"
		stop "$PID"
		check "Kafka SASL: SIGTERM exits 0" 0 "$STOP_STATUS"
		leaks "$KAFKA_SECRET" "Kafka SASL: output, log, /health, /metrics" "$TMP/sasl.out" \
			"$TMP/sasl/streamlens.log" "$TMP/sasl.health" "$TMP/sasl.metrics" "$TMP/sasl-produce.err"

		# A wrong password: the consumer keeps retrying, reports the failure
		# in its log and /health, and consumes nothing.
		PORT=$(free_port)
		# shellcheck disable=SC2046
		start_headless "$TMP/saslbad" "$PORT" --brokers "$SASL" --topic "$TOPIC" \
			--group "g2-$TOPIC" $(sasl_props "wrong-$KAFKA_SECRET")
		PID=$LAST_PID
		wait_http "$PORT" || fail "Kafka SASL: HTTP API did not come up: $(tail -n 5 "$TMP/saslbad.out")"
		for i in $(seq 1 100); do
			grep -qi 'authentication' "$TMP/saslbad.out" && break
			sleep 0.1
		done
		check "Kafka SASL: wrong password logged as an authentication failure" 1 \
			"$(grep -ci -m 1 'SASL authentication.*fail\|authentication failed' "$TMP/saslbad.out")"
		check "Kafka SASL: wrong password consumes nothing" 0 \
			"$(http "$PORT" "/search?limit=1" | json 'd["total"]')"
		stop "$PID"
		leaks "wrong-$KAFKA_SECRET" "Kafka SASL: wrong password output" "$TMP/saslbad.out" \
			"$TMP/saslbad/streamlens.log"
		result=PASS
		[ "$FAILS" -eq "$fails_before" ] || result=FAIL
		"$ROOT/tests/reliability.sh" record "Kafka SASL_PLAINTEXT PLAIN listener, then a wrong password" \
			"Kafka source, SQLite store" 300 "$distinct" "$((rows - distinct))" 0 $result
	fi
fi
finish
