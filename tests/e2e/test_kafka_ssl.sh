#!/bin/bash
# Kafka over SSL with mutual TLS, set through -X librdkafka properties. The
# test makes a throwaway CA, a broker certificate and a client certificate
# whose key is encrypted, and starts its own broker with an SSL listener that
# requires client certificates. Records written with the producer are stored
# once each. With the wrong CA the consumer stores nothing, logs a
# certificate verification failure and still stops on SIGTERM. Without a
# client certificate the broker closes the connection. The key password
# never shows in the output or the log.
. "$(dirname "$0")/../lib.sh"

SERVERS="$TMP/servers"
trap '"$ROOT/scripts/servers.sh" stop "$SERVERS" >/dev/null 2>&1; cleanup' EXIT
COUNT=200

# leaks SECRET NAME FILE...: checks that no file contains SECRET.
leaks() {
	local secret=$1 name=$2 n
	shift 2
	n=$(cat "$@" 2>/dev/null | grep -cF -- "$secret")
	check "$name: secret never shown" 0 "$n"
}

# stop_within NAME SECONDS PID: sends SIGTERM and checks that PID exits
# within SECONDS; a process still running then gets SIGKILL.
stop_within() {
	local name=$1 limit=$2 pid=$3 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "$name: still running ${limit}s after SIGTERM"
	else
		wait "$pid"
		check "$name: SIGTERM exits 0 within ${limit}s" 0 "$?"
	fi
}

# wait_log FILE PATTERN: waits up to 15 s for a line matching PATTERN.
wait_log() {
	local i
	for i in $(seq 1 150); do
		grep -Eqi -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

if [ -z "${KAFKA_BROKERS:-}" ] || ! command -v openssl >/dev/null; then
	skip "Kafka SSL: KAFKA_BROKERS (the runner starts a broker when Java and the jars are there) and openssl are needed"
	finish
	exit
fi

# --- Certificates -----------------------------------------------------------
CERTS="$TMP/certs"
mkdir -p "$CERTS"
KEY_SECRET="k3y-pw-$$-$RANDOM"
printf '%s\n' "$KEY_SECRET" >"$TMP/key.pass"

# make_ca NAME: a throwaway CA valid for one day.
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=StreamLens test $1" \
		-keyout "$CERTS/$1.key" -out "$CERTS/$1.pem" 2>>"$CERTS/openssl.err"
}

# sign NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA.
# openssl 3 writes the key unencrypted in PKCS#8, as Kafka's PEM key store
# requires.
sign() {
	openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$CERTS/$1.key" \
		-out "$CERTS/$1.csr" 2>>"$CERTS/openssl.err" &&
		printf '%s\n' "$3" >"$CERTS/$1.ext" &&
		openssl x509 -req -in "$CERTS/$1.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
			-CAcreateserial -days 1 -extfile "$CERTS/$1.ext" -out "$CERTS/$1.pem" \
			2>>"$CERTS/openssl.err"
}

# librdkafka checks that the broker certificate names 127.0.0.1, so the
# broker's certificate carries it as an IP subject alternative name.
make_ca ca && make_ca other-ca &&
	sign broker "/CN=127.0.0.1" $'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth' &&
	sign client "/CN=streamlens-client" 'extendedKeyUsage=clientAuth' &&
	openssl pkey -in "$CERTS/client.key" -aes256 -passout "file:$TMP/key.pass" \
		-out "$CERTS/client-enc.key" 2>>"$CERTS/openssl.err"
status=$?
check "Kafka SSL: throwaway CA and certificates" 0 "$status"
[ "$status" = 0 ] || sed 's/^/    | /' "$CERTS/openssl.err" | tail -n 5
check "Kafka SSL: client key is encrypted" 1 "$(grep -c 'BEGIN ENCRYPTED PRIVATE KEY' "$CERTS/client-enc.key")"

# --- Broker -----------------------------------------------------------------
BROKER_CERTS="$TMP/broker-certs"
mkdir -p "$BROKER_CERTS"
cp "$CERTS/ca.pem" "$BROKER_CERTS/ca.pem"
cp "$CERTS/broker.pem" "$BROKER_CERTS/broker.pem"
cp "$CERTS/broker.key" "$BROKER_CERTS/broker.key"
started=$SECONDS
if ! STREAMLENS_KAFKA_SSL_DIR="$BROKER_CERTS" STREAMLENS_KAFKA_SSL_CLIENT_AUTH=required \
	"$ROOT/scripts/servers.sh" start kafka "$SERVERS" >"$TMP/kafka.env" 2>"$TMP/kafka.err"; then
	fail "Kafka SSL: the broker did not start: $(tail -n 5 "$TMP/kafka.err")"
	finish
	exit
fi
echo "Kafka SSL: broker with an SSL listener ready in $((SECONDS - started)) s"
SSL=$(sed -n 's/^KAFKA_SSL_BROKERS=//p' "$TMP/kafka.env")
check "Kafka SSL: servers.sh prints KAFKA_SSL_BROKERS" 1 "$(grep -c '^KAFKA_SSL_BROKERS=127\.0\.0\.1:[0-9]*$' "$TMP/kafka.env")"

fails_before=$FAILS
TOPIC="ssl-$$"
# ssl_props CA: the client properties, trusting CA and with the client
# certificate whose key is encrypted with the test's password.
ssl_props() {
	echo -X security.protocol=ssl -X "ssl.ca.location=$1" \
		-X "ssl.certificate.location=$CERTS/client.pem" \
		-X "ssl.key.location=$CERTS/client-enc.key" -X "ssl.key.password=$KEY_SECRET"
}

# --- Right CA and client certificate ------------------------------------------
# shellcheck disable=SC2046 # the properties are words without spaces
timeout 60 "$PRODUCER" --brokers "$SSL" --topic "$TOPIC" --count "$COUNT" --rate 0 --seed 41 \
	--verbose $(ssl_props "$CERTS/ca.pem") 2>"$TMP/produce.err"
check "Kafka SSL: producer with -X ssl.* exits 0" 0 "$?"

PORT=$(free_port)
# shellcheck disable=SC2046
start_headless "$TMP/ssl" "$PORT" --brokers "$SSL" --topic "$TOPIC" --group "g-$TOPIC" \
	$(ssl_props "$CERTS/ca.pem") --verbose
PID=$LAST_PID
wait_http "$PORT" || fail "Kafka SSL: HTTP API did not come up: $(tail -n 5 "$TMP/ssl.out")"
check "Kafka SSL: every record consumed" "$COUNT" "$(wait_total "$PORT" "$COUNT")"
http "$PORT" "/search?limit=1000" >"$TMP/ssl.search"
distinct=$(json 'len(set(h["id"] for h in d["hits"]))' <"$TMP/ssl.search")
rows=$(json 'len(d["hits"])' <"$TMP/ssl.search")
check "Kafka SSL: every record stored once" "$COUNT $COUNT" "$rows $distinct"
http "$PORT" /health >"$TMP/ssl.health"
http "$PORT" /metrics >"$TMP/ssl.metrics"
stop_within "Kafka SSL: consumer" 10 "$PID"
leaks "$KEY_SECRET" "Kafka SSL: key password in output, log, /health, /metrics" "$TMP/ssl.out" \
	"$TMP/ssl/streamlens.log" "$TMP/ssl.health" "$TMP/ssl.metrics" "$TMP/produce.err"

# --- Wrong CA -----------------------------------------------------------------
# The broker's certificate does not chain to other-ca: the consumer keeps
# retrying, logs why, and stores nothing.
PORT=$(free_port)
# shellcheck disable=SC2046
start_headless "$TMP/sslbad" "$PORT" --brokers "$SSL" --topic "$TOPIC" --group "g2-$TOPIC" \
	$(ssl_props "$CERTS/other-ca.pem")
PID=$LAST_PID
wait_http "$PORT" || fail "Kafka SSL: HTTP API did not come up: $(tail -n 5 "$TMP/sslbad.out")"
wait_log "$TMP/sslbad.out" 'certificate verify failed'
check "Kafka SSL: wrong CA logged as a certificate verification failure" 1 \
	"$(grep -ci -m 1 'certificate verify failed' "$TMP/sslbad.out")"
[ "$(grep -ci -m 1 'certificate verify failed' "$TMP/sslbad.out")" = 1 ] ||
	sed 's/^/    | /' "$TMP/sslbad.out" | tail -n 5
check "Kafka SSL: wrong CA stores nothing" 0 "$(http "$PORT" "/search?limit=1" | json 'd["total"]')"
stop_within "Kafka SSL: consumer with the wrong CA" 10 "$PID"
leaks "$KEY_SECRET" "Kafka SSL: key password in wrong CA output" "$TMP/sslbad.out" \
	"$TMP/sslbad/streamlens.log"

# --- No client certificate ----------------------------------------------------
# The listener requires a client certificate, so the broker ends the handshake.
PORT=$(free_port)
start_headless "$TMP/sslnocert" "$PORT" --brokers "$SSL" --topic "$TOPIC" --group "g3-$TOPIC" \
	-X security.protocol=ssl -X "ssl.ca.location=$CERTS/ca.pem"
PID=$LAST_PID
wait_http "$PORT" || fail "Kafka SSL: HTTP API did not come up: $(tail -n 5 "$TMP/sslnocert.out")"
# The broker sends the TLS alert bad_certificate (seen with Kafka 4.1 on
# Java 17) or, under TLS 1.3, possibly certificate_required.
NOCERT='alert (bad certificate|certificate required)'
wait_log "$TMP/sslnocert.out" "$NOCERT"
check "Kafka SSL: no client certificate logged as rejected" 1 \
	"$(grep -Eci -m 1 "$NOCERT" "$TMP/sslnocert.out")"
check "Kafka SSL: no client certificate stores nothing" 0 "$(http "$PORT" "/search?limit=1" | json 'd["total"]')"
stop_within "Kafka SSL: consumer without a client certificate" 10 "$PID"

"$ROOT/scripts/servers.sh" stop "$SERVERS" >/dev/null 2>&1
check "Kafka SSL: broker stopped" 0 "$?"
result=PASS
[ "$FAILS" -eq "$fails_before" ] || result=FAIL
"$ROOT/tests/reliability.sh" record "Kafka SSL listener with mutual TLS, then a wrong CA" \
	"Kafka source, SQLite store" "$COUNT" "$distinct" "$((rows - distinct))" 0 $result
finish
