#!/bin/bash
# Starts and stops the real servers that the tests and benchmarks use: an
# Apache Kafka broker in KRaft mode and an OpenSearch node, both run with
# Java 17 from their Maven Central jars, and redis-server from Debian. Every
# server listens on 127.0.0.1 on a free port and keeps its files in DIR.
#
# Usage:
#   scripts/servers.sh fetch                        copy the jars into the cache
#   scripts/servers.sh start [--keep] NAME... DIR   start kafka, opensearch, redis
#   scripts/servers.sh stop [--keep] DIR [NAME...]  stop what was started in DIR
#   scripts/servers.sh kafka-tool CLASS [ARG...]    run a tool class of the Kafka jars
#
# `start` waits until each server serves requests, then prints lines for the
# caller to eval:
#   KAFKA_BROKERS=127.0.0.1:PORT  KAFKA_PID=PID
#   OPENSEARCH_URL=http://127.0.0.1:PORT  OPENSEARCH_PID=PID
#   REDIS_ADDR=127.0.0.1:PORT  REDIS_PID=PID
# and, with STREAMLENS_KAFKA_SASL_PASSWORD_FILE set,
#   KAFKA_SASL_BROKERS=127.0.0.1:PORT  KAFKA_SASL_USER=streamlens
# and, with STREAMLENS_KAFKA_SSL_DIR set,
#   KAFKA_SSL_BROKERS=127.0.0.1:PORT
# The same lines are kept in DIR/NAME/env. Several names start in parallel.
# A start begins with empty data: a Kafka or OpenSearch data folder left in
# DIR by an earlier start is deleted.
#
# To restart a server with its data, stop it with `stop --keep DIR NAME`
# and start it with `start --keep NAME DIR`. It then listens on the ports
# of its last start (kept in DIR/NAME/ports), so clients reconnect to the
# same address, and Kafka topics and OpenSearch indices are still there.
# Redis runs without persistence, so it comes back empty. A plain `stop`
# of OpenSearch started as root removes its data (see
# prepare_opensearch_run).
#
# Environment:
#   STREAMLENS_SERVERS_CACHE    jar cache (default ~/.cache/streamlens/servers)
#   STREAMLENS_SERVERS_TIMEOUT  seconds a start may take (default 120)
#   STREAMLENS_KAFKA_HEAP       broker heap, as for -Xmx (default 512m)
#   STREAMLENS_OPENSEARCH_HEAP  node heap, as for -Xmx (default 512m)
#   STREAMLENS_OPENSEARCH_USER  user the node runs as when started by root
#                               (default nobody), because OpenSearch rejects root
#   JAVA_HOME                   the Java 17 or newer to run with (default: java on PATH)
#   STREAMLENS_REDIS_PASSWORD_FILE  file whose first line redis-server then
#                               requires with AUTH (requirepass)
#   STREAMLENS_KAFKA_SASL_PASSWORD_FILE  file whose first line is the
#                               password of user "streamlens" on an extra
#                               SASL_PLAINTEXT listener with mechanism PLAIN
#   STREAMLENS_KAFKA_SSL_DIR    folder with ca.pem, broker.pem (certificate
#                               chain) and broker.key (unencrypted PKCS#8
#                               private key, as openssl 3 writes by default)
#                               for an extra SSL listener
#   STREAMLENS_KAFKA_SSL_CLIENT_AUTH  ssl.client.auth of that listener: none
#                               (default), requested or required. Client
#                               certificates are checked against ca.pem.
set -u

KEEP=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POMS="$HERE/servers"
CACHE=${STREAMLENS_SERVERS_CACHE:-${HOME:-/tmp}/.cache/streamlens/servers}
TIMEOUT=${STREAMLENS_SERVERS_TIMEOUT:-120}
STOP_TIMEOUT=30
KAFKA_HEAP=${STREAMLENS_KAFKA_HEAP:-512m}
OPENSEARCH_HEAP=${STREAMLENS_OPENSEARCH_HEAP:-512m}
OPENSEARCH_USER=${STREAMLENS_OPENSEARCH_USER:-nobody}
if [ -n "${JAVA_HOME:-}" ]; then
	JAVA="$JAVA_HOME/bin/java"
else
	JAVA=java
fi

# Version of the home folder layout that fetch_opensearch builds. Raise it
# when that function changes, so that the next fetch builds the folder anew.
OPENSEARCH_LAYOUT=3

# OpenSearch modules: the profile in opensearch-pom.xml (also the folder name
# under home/modules) and the plugin class named in its descriptor.
OPENSEARCH_MODULES="
transport-netty4 org.opensearch.transport.Netty4Plugin
analysis-common org.opensearch.analysis.common.CommonAnalysisPlugin
mapper-extras org.opensearch.index.mapper.MapperExtrasPlugin
reindex org.opensearch.index.reindex.ReindexPlugin
"

die() {
	echo "servers.sh: $*" >&2
	exit 1
}

# --- fetch ----------------------------------------------------------------

# pom_property FILE NAME prints the value of <NAME> in a pom's <properties>.
pom_property() {
	sed -n "s:.*<$2>\(.*\)</$2>.*:\1:p" "$1" | head -n 1
}

# stamp_of POM [TEXT] prints a checksum of what a cache folder is made from,
# so that a changed pom, module list or layout fetches again.
stamp_of() {
	{
		cat "$1"
		echo "${2:-}"
	} | sha256sum | cut -d' ' -f1
}

# mvn_copy POM OUTDIR [PROFILE] copies the runtime jars of a pom (or of one
# of its profiles) into OUTDIR. The local Maven repository is kept in the
# cache too, so the cache is all a CI job needs to save between runs.
mvn_copy() {
	local pom=$1 out=$2 profile=${3:-} log
	log=$(mktemp)
	if ! mvn -B -q -f "$pom" ${profile:+-P "$profile"} \
		-Dmaven.repo.local="$CACHE/m2" \
		org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$out" >"$log" 2>&1; then
		echo "servers.sh: mvn failed to fetch the jars of $pom${profile:+ (profile $profile)}:" >&2
		tail -n 20 "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

fetch_kafka() {
	local pom="$POMS/kafka-pom.xml" dest="$CACHE/kafka" stamp tmp
	stamp=$(stamp_of "$pom")
	if [ "$(cat "$dest/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	tmp="$dest.tmp.$$"
	rm -rf "$tmp"
	mvn_copy "$pom" "$tmp/lib" || { rm -rf "$tmp"; return 1; }
	pom_property "$pom" kafka.version >"$tmp/version"
	echo "$stamp" >"$tmp/stamp"
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

# Builds the home folder of a node: home/lib with the server's class path,
# home/modules/NAME with each module's jars and descriptor, and the empty
# home/bin and home/plugins that a node requires. Nothing in it is written
# to while a node runs.
fetch_opensearch() {
	local pom="$POMS/opensearch-pom.xml" dest="$CACHE/opensearch" stamp tmp version
	local name class jar
	stamp=$(stamp_of "$pom" "$OPENSEARCH_LAYOUT $OPENSEARCH_MODULES")
	if [ "$(cat "$dest/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	version=$(pom_property "$pom" opensearch.version)

	tmp="$dest.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp/home/bin" "$tmp/home/plugins"
	mvn_copy "$pom" "$tmp/home/lib" server || { rm -rf "$tmp"; return 1; }

	while read -r name class; do
		[ -n "$name" ] || continue
		mvn_copy "$pom" "$tmp/home/modules/$name" "$name" || { rm -rf "$tmp"; return 1; }
		# A module's dependencies that the server has too (opensearch-common,
		# reactor-core for reindex) come from the class path, as in the
		# distribution: a second copy fails the node's duplicate class check.
		for jar in "$tmp/home/modules/$name"/*.jar; do
			if [ -f "$tmp/home/lib/${jar##*/}" ]; then
				rm -f "$jar"
			fi
		done
		# The keys a node requires in a plugin descriptor; java.version is
		# the oldest Java the module runs on.
		cat >"$tmp/home/modules/$name/plugin-descriptor.properties" <<-EOF
			name=$name
			description=OpenSearch module $name, from its Maven Central jar
			version=$version
			opensearch.version=$version
			java.version=11
			classname=$class
		EOF
		write_module_policy "$name" "$tmp/home/modules/$name"
	done <<<"$OPENSEARCH_MODULES"

	echo "$version" >"$tmp/version"
	echo "$stamp" >"$tmp/stamp"
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

# write_module_policy NAME FOLDER writes the security policy of a module
# that needs permissions beyond the defaults of plugin code. The node's
# security manager reads it from FOLDER/plugin-security.policy and replaces
# ${codebase.JAR} with the URL of that jar in FOLDER.
write_module_policy() {
	case $1 in
	transport-netty4)
		# Netty accepts and opens connections, reads the kernel's listen
		# backlog limit, and reads and sets its threads' context class
		# loader. Without getClassLoader a node waits 30 s on shutdown for a
		# listener task that failed. Netty's NIO event loop sets
		# sun.nio.ch.bugLevel to work around JDK-6427854.
		cat >"$2/plugin-security.policy" <<-'EOF'
			grant codeBase "${codebase.netty-common}" {
			  permission java.io.FilePermission "/proc/sys/net/core/somaxconn", "read";
			  permission java.net.SocketPermission "*", "accept,connect";
			  permission java.lang.RuntimePermission "getClassLoader";
			  permission java.lang.RuntimePermission "setContextClassLoader";
			};
			grant codeBase "${codebase.netty-transport}" {
			  permission java.util.PropertyPermission "sun.nio.ch.bugLevel", "write";
			};
		EOF
		;;
	esac
}

cmd_fetch() {
	command -v mvn >/dev/null 2>&1 ||
		die "mvn not found; install Maven (scripts/install-deps.sh servers)"
	mkdir -p "$CACHE" || die "cannot create the cache folder $CACHE"
	# One fetch at a time per cache, so parallel CI jobs do not race.
	exec 9>"$CACHE/lock"
	flock 9 || die "cannot lock $CACHE/lock"
	fetch_kafka || exit 1
	fetch_opensearch || exit 1
	exec 9>&-
}

# --- helpers for start and stop --------------------------------------------

check_java() {
	local major
	command -v "$JAVA" >/dev/null 2>&1 ||
		die "java not found; install Java 17 (scripts/install-deps.sh servers) or set JAVA_HOME"
	major=$("$JAVA" -XshowSettings:properties -version 2>&1 |
		sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
	[ -n "$major" ] && [ "$major" -ge 17 ] ||
		die "$JAVA is Java ${major:-of unknown version}; Kafka 4 and OpenSearch 2.19 need Java 17 or newer"
}

require_jars() {
	[ -f "$CACHE/$1/stamp" ] || die "the $1 jars are not in $CACHE; run scripts/servers.sh fetch"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on. Another process
# may still take it before the server binds it; start_one then retries.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# pick_port KEY prints the port KEY (PORT, PORT2, PORT3 or PORT4) of a
# server: with --keep the one in WORK/NAME/ports from the last start, else a
# free one.
pick_port() {
	local port=
	if [ "$KEEP" -eq 1 ]; then
		port=$(sed -n "s/^$1=//p" "$WORK/$NAME/ports" 2>/dev/null)
		if [ -z "$port" ]; then
			echo "servers.sh: $NAME: no $1 in $WORK/$NAME/ports; start it without --keep first" >&2
			return 1
		fi
		echo "$port"
		return 0
	fi
	free_port
}

# save_ports KEY=PORT... writes WORK/NAME/ports for a later start --keep.
save_ports() {
	printf '%s\n' "$@" >"$WORK/$NAME/ports"
}

# rotate_log FILE moves a log of an earlier run aside, so that the checks
# for readiness and port conflicts read only the lines of this run.
rotate_log() {
	[ -f "$1" ] && mv -f "$1" "$1.prev"
	return 0
}

# Prints field 22 of /proc/PID/stat, the start time of a process. A pid file
# keeps it beside the pid, so that `stop` never signals a process that
# later reused the pid.
proc_start_time() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# pid_alive PIDFILE succeeds while the process recorded in PIDFILE runs.
# A zombie (state Z) has exited and counts as gone.
pid_alive() {
	local pid start fields
	read -r pid start <"$1" 2>/dev/null || return 1
	[ -n "$pid" ] || return 1
	fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "${fields%% *}" != Z ] && [ "$(echo "$fields" | cut -d' ' -f20)" = "$start" ]
}

# launch NAME LOG COMMAND... starts COMMAND in the background with its output
# in LOG, detached from the caller's stdin and stdout (so $(...) around
# `start` returns), and records it in DIR/NAME/pid.
launch() {
	local name=$1 log=$2
	shift 2
	"$@" </dev/null >>"$log" 2>&1 &
	SERVER_PID=$!
	echo "$SERVER_PID $(proc_start_time "$SERVER_PID")" >"$WORK/$name/pid"
}

# fail_start NAME REASON LOG... prints the reason and the last lines of each
# log that has any.
fail_start() {
	local name=$1 reason=$2 log
	shift 2
	echo "servers.sh: $name failed to start: $reason" >&2
	for log in "$@"; do
		[ -s "$log" ] || continue
		echo "servers.sh: last lines of $log:" >&2
		tail -n 30 "$log" | sed 's/^/  /' >&2
	done
}

# kill_pidfile PIDFILE stops the process: SIGTERM, then SIGKILL after
# STOP_TIMEOUT seconds. Succeeds once it is gone.
kill_pidfile() {
	local pidfile=$1 pid start i
	read -r pid start <"$pidfile" 2>/dev/null || return 0
	if pid_alive "$pidfile"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
			pid_alive "$pidfile" || break
			sleep 0.1
		done
		if pid_alive "$pidfile"; then
			echo "servers.sh: pid $pid did not exit ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				pid_alive "$pidfile" || break
				sleep 0.1
			done
		fi
	fi
	if pid_alive "$pidfile"; then
		echo "servers.sh: pid $pid is still running after SIGKILL" >&2
		return 1
	fi
	rm -f "$pidfile"
}

# deadline_passed succeeds once the current start has used its TIMEOUT.
deadline_passed() {
	[ "$SECONDS" -ge "$DEADLINE" ]
}

# A log line that means the port was taken between free_port and the bind.
port_taken() {
	grep -qE 'Address already in use|BindException' "$1" 2>/dev/null
}

# --- redis ------------------------------------------------------------------

# Each start_NAME function starts one attempt and sets SERVER_PID, PORT and
# ENV_LINES. It returns 0 when the server is ready, 2 when its port was
# taken (start_one then tries other ports) and 1 on any other failure.
start_redis() {
	local dir="$WORK/redis" log="$WORK/redis/redis.log"
	command -v redis-server >/dev/null 2>&1 ||
		{ echo "servers.sh: redis-server not found; install it (scripts/install-deps.sh servers)" >&2; return 1; }
	PORT=$(pick_port PORT) || return 1
	rotate_log "$log"
	# The password goes into a config file that only its owner reads, so
	# it never shows in the process list.
	: >"$dir/redis.conf"
	chmod 600 "$dir/redis.conf"
	if [ -n "${STREAMLENS_REDIS_PASSWORD_FILE:-}" ]; then
		[ -r "$STREAMLENS_REDIS_PASSWORD_FILE" ] ||
			{ echo "servers.sh: cannot read STREAMLENS_REDIS_PASSWORD_FILE=$STREAMLENS_REDIS_PASSWORD_FILE" >&2; return 1; }
		REDISCLI_AUTH=$(head -n 1 "$STREAMLENS_REDIS_PASSWORD_FILE")
		export REDISCLI_AUTH
		printf 'requirepass "%s"\n' "$REDISCLI_AUTH" >"$dir/redis.conf"
	fi
	# No snapshots and no append-only file: a test server keeps data in memory.
	launch redis "$log" redis-server "$dir/redis.conf" --bind 127.0.0.1 --port "$PORT" \
		--dir "$dir" --save "" --appendonly no --daemonize no \
		--logfile "$log"
	while ! deadline_passed; do
		if [ "$(redis-cli --no-auth-warning -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]; then
			save_ports "PORT=$PORT"
			ENV_LINES="REDIS_ADDR=127.0.0.1:$PORT
REDIS_PID=$SERVER_PID"
			return 0
		fi
		if ! pid_alive "$dir/pid"; then
			port_taken "$log" && return 2
			fail_start redis "redis-server exited" "$log"
			return 1
		fi
		sleep 0.1
	done
	fail_start redis "no PONG to PING within ${TIMEOUT}s" "$log"
	return 1
}

# --- kafka ------------------------------------------------------------------

# Prints a random Kafka cluster id: 16 random bytes in unpadded base64url,
# the form kafka-storage random-uuid prints. Like Kafka, it avoids a leading
# '-', which command line parsers take for an option.
kafka_cluster_id() {
	local id
	while :; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		case $id in -*) ;; *) break ;; esac
	done
	echo "$id"
}

write_kafka_config() {
	local dir=$1 port=$2 controller_port=$3 sasl_port=${4:-} ssl_port=${5:-} listeners
	listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
	[ -z "$sasl_port" ] || listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$sasl_port"
	[ -z "$ssl_port" ] || listeners="$listeners,SSL://127.0.0.1:$ssl_port"
	# The file may contain a SASL password.
	: >"$dir/server.properties"
	chmod 600 "$dir/server.properties"
	# A single node that is both broker and KRaft controller. Its quorum is
	# dynamic (controller.quorum.bootstrap.servers, formatted --standalone),
	# as kafka-storage sets up a new single-node cluster.
	cat >"$dir/server.properties" <<-EOF
		process.roles=broker,controller
		node.id=1
		controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
		listeners=$listeners
		advertised.listeners=$listeners
		controller.listener.names=CONTROLLER
		inter.broker.listener.name=PLAINTEXT
		listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
		log.dirs=$dir/data
		num.partitions=3
		auto.create.topics.enable=true
		# Every internal topic has one replica, on the only node.
		offsets.topic.replication.factor=1
		transaction.state.log.replication.factor=1
		transaction.state.log.min.isr=1
		share.coordinator.state.topic.replication.factor=1
		share.coordinator.state.topic.min.isr=1
		# A consumer group's first rebalance starts at once, not after 3 s.
		group.initial.rebalance.delay.ms=0
	EOF
	if [ -n "$sasl_port" ]; then
		# The PLAIN login module of the broker accepts each user_NAME with
		# that password. The broker itself talks PLAINTEXT to itself, so
		# this listener needs no username and password of its own.
		cat >>"$dir/server.properties" <<-EOF
			sasl.enabled.mechanisms=PLAIN
			listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_streamlens="$KAFKA_SASL_PASSWORD";
		EOF
	fi
	if [ -n "$ssl_port" ]; then
		# Kafka 2.7 and newer read a PEM key store: one file with the
		# private key and the certificate chain. The key is
		# unencrypted, so ssl.key.password stays unset. The trust store is
		# used only to check client certificates.
		cat >>"$dir/server.properties" <<-EOF
			listener.name.ssl.ssl.keystore.type=PEM
			listener.name.ssl.ssl.keystore.location=$dir/ssl-keystore.pem
			listener.name.ssl.ssl.truststore.type=PEM
			listener.name.ssl.ssl.truststore.location=$dir/ssl-ca.pem
			listener.name.ssl.ssl.client.auth=$KAFKA_SSL_CLIENT_AUTH
		EOF
	fi
	cat >"$dir/log4j2.xml" <<-EOF
		<?xml version="1.0" encoding="UTF-8"?>
		<Configuration status="warn">
		  <Appenders>
		    <File name="server" fileName="$dir/server.log">
		      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
		    </File>
		  </Appenders>
		  <Loggers>
		    <Root level="info"><AppenderRef ref="server"/></Root>
		    <Logger name="org.apache.kafka.clients" level="warn"/>
		  </Loggers>
		</Configuration>
	EOF
	cat >"$dir/tools-log4j2.xml" <<-EOF
		<?xml version="1.0" encoding="UTF-8"?>
		<Configuration status="warn">
		  <Appenders>
		    <Console name="stderr" target="SYSTEM_ERR">
		      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
		    </Console>
		  </Appenders>
		  <Loggers>
		    <Root level="warn"><AppenderRef ref="stderr"/></Root>
		  </Loggers>
		</Configuration>
	EOF
}

# kafka_java CLASS ARGS... runs a Kafka tool in the foreground. Tools log
# warnings to stderr, not to the broker's log. A short-lived JVM starts in
# about half the time with only the C1 compiler and the serial collector.
kafka_java() {
	"$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$WORK/kafka/tools-log4j2.xml" \
		-cp "$CACHE/kafka/lib/*" "$@"
}

# prepare_kafka_ssl DIR SSL_DIR checks the files of STREAMLENS_KAFKA_SSL_DIR
# and writes DIR/ssl-keystore.pem (key, then certificate chain) and
# DIR/ssl-ca.pem. Sets KAFKA_SSL_CLIENT_AUTH. Returns 1 with a message when a
# file or value is invalid.
prepare_kafka_ssl() {
	local dir=$1 ssl_dir=$2 name
	for name in ca.pem broker.pem broker.key; do
		[ -r "$ssl_dir/$name" ] ||
			{ echo "servers.sh: cannot read $ssl_dir/$name (STREAMLENS_KAFKA_SSL_DIR)" >&2; return 1; }
	done
	# Kafka's PEM key store accepts only PKCS#8 keys.
	grep -q -- '-----BEGIN PRIVATE KEY-----' "$ssl_dir/broker.key" || {
		echo "servers.sh: $ssl_dir/broker.key must be an unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it with openssl pkcs8 -topk8 -nocrypt" >&2
		return 1
	}
	KAFKA_SSL_CLIENT_AUTH=${STREAMLENS_KAFKA_SSL_CLIENT_AUTH:-none}
	case $KAFKA_SSL_CLIENT_AUTH in
	none | requested | required) ;;
	*)
		echo "servers.sh: invalid STREAMLENS_KAFKA_SSL_CLIENT_AUTH=$KAFKA_SSL_CLIENT_AUTH: expected none, requested or required" >&2
		return 1
		;;
	esac
	# The key store contains the private key, so only its owner reads it.
	: >"$dir/ssl-keystore.pem"
	chmod 600 "$dir/ssl-keystore.pem"
	cat "$ssl_dir/broker.key" "$ssl_dir/broker.pem" >"$dir/ssl-keystore.pem" &&
		cp "$ssl_dir/ca.pem" "$dir/ssl-ca.pem"
}

start_kafka() {
	local dir="$WORK/kafka" log="$WORK/kafka/server.log" controller_port sasl_port= ssl_port= out
	require_jars kafka
	PORT=$(pick_port PORT) || return 1
	controller_port=$(pick_port PORT2) || return 1
	while [ "$controller_port" = "$PORT" ]; do controller_port=$(free_port); done
	KAFKA_SASL_PASSWORD=
	if [ -n "${STREAMLENS_KAFKA_SASL_PASSWORD_FILE:-}" ]; then
		[ -r "$STREAMLENS_KAFKA_SASL_PASSWORD_FILE" ] ||
			{ echo "servers.sh: cannot read STREAMLENS_KAFKA_SASL_PASSWORD_FILE=$STREAMLENS_KAFKA_SASL_PASSWORD_FILE" >&2; return 1; }
		KAFKA_SASL_PASSWORD=$(head -n 1 "$STREAMLENS_KAFKA_SASL_PASSWORD_FILE")
		case $KAFKA_SASL_PASSWORD in
		*'"'* | *'\'* | "")
			echo "servers.sh: the Kafka SASL password must be non-empty, without '\"' or '\\'" >&2
			return 1
			;;
		esac
		sasl_port=$(pick_port PORT3) || return 1
		while [ "$sasl_port" = "$PORT" ] || [ "$sasl_port" = "$controller_port" ]; do
			sasl_port=$(free_port)
		done
	fi
	if [ -n "${STREAMLENS_KAFKA_SSL_DIR:-}" ]; then
		prepare_kafka_ssl "$dir" "$STREAMLENS_KAFKA_SSL_DIR" || return 1
		ssl_port=$(pick_port PORT4) || return 1
		while [ "$ssl_port" = "$PORT" ] || [ "$ssl_port" = "$controller_port" ] ||
			[ "$ssl_port" = "$sasl_port" ]; do
			ssl_port=$(free_port)
		done
	fi
	rotate_log "$log"
	rotate_log "$dir/stdout.log"
	write_kafka_config "$dir" "$PORT" "$controller_port" "$sasl_port" "$ssl_port"

	if [ "$KEEP" -eq 1 ]; then
		[ -f "$dir/data/meta.properties" ] ||
			{ echo "servers.sh: kafka: no data in $dir/data to keep; start it without --keep" >&2; return 1; }
	else
		rm -rf "$dir/data"
		if ! out=$(kafka_java kafka.tools.StorageTool format --standalone \
			--cluster-id "$(kafka_cluster_id)" --config "$dir/server.properties" 2>&1); then
			echo "$out" >>"$log"
			fail_start kafka "kafka-storage format failed" "$log"
			return 1
		fi
	fi

	launch kafka "$dir/stdout.log" "$JAVA" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
		-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
		-Djava.io.tmpdir="$dir/tmp" \
		-Dkafka.logs.dir="$dir" -Dlog4j2.configurationFile="$dir/log4j2.xml" \
		-cp "$CACHE/kafka/lib/*" kafka.Kafka "$dir/server.properties"

	# The broker logs "Kafka Server started" once it is registered with its
	# controller and unfenced. A topic listing then checks that it serves
	# metadata requests on the advertised listener.
	while ! deadline_passed; do
		if ! pid_alive "$dir/pid"; then
			port_taken "$log" && return 2
			port_taken "$dir/stdout.log" && return 2
			fail_start kafka "the broker exited" "$log" "$dir/stdout.log"
			return 1
		fi
		if grep -q 'Kafka Server started' "$log" 2>/dev/null; then
			if kafka_java org.apache.kafka.tools.TopicCommand \
				--bootstrap-server "127.0.0.1:$PORT" --list >/dev/null 2>>"$dir/stdout.log"; then
				ENV_LINES="KAFKA_BROKERS=127.0.0.1:$PORT
KAFKA_PID=$SERVER_PID"
				save_ports "PORT=$PORT" "PORT2=$controller_port" ${sasl_port:+"PORT3=$sasl_port"} \
					${ssl_port:+"PORT4=$ssl_port"}
				if [ -n "$sasl_port" ]; then
					ENV_LINES="$ENV_LINES
KAFKA_SASL_BROKERS=127.0.0.1:$sasl_port
KAFKA_SASL_USER=streamlens"
				fi
				if [ -n "$ssl_port" ]; then
					ENV_LINES="$ENV_LINES
KAFKA_SSL_BROKERS=127.0.0.1:$ssl_port"
				fi
				return 0
			fi
		fi
		sleep 0.2
	done
	fail_start kafka "not ready within ${TIMEOUT}s" "$log" "$dir/stdout.log"
	return 1
}

# --- opensearch -------------------------------------------------------------

write_opensearch_config() {
	local dir=$1 port=$2 transport_port=$3
	mkdir -p "$dir/config"
	# Single-node discovery on loopback runs the node in development mode, so
	# failed bootstrap checks are warnings. Without mmap the node does not
	# need vm.max_map_count raised. The disk threshold is off so that a full
	# CI disk does not turn the test indices read-only.
	cat >"$dir/config/opensearch.yml" <<-EOF
		cluster.name: streamlens-test
		node.name: node-1
		path.data: $dir/data
		path.logs: $dir/logs
		network.host: 127.0.0.1
		http.port: $port
		transport.port: $transport_port
		discovery.type: single-node
		node.store.allow_mmap: false
		cluster.routing.allocation.disk.threshold_enabled: false
		action.auto_create_index: true
	EOF
	cat >"$dir/config/log4j2.properties" <<-'EOF'
		status = error
		appender.file.type = File
		appender.file.name = file
		appender.file.fileName = ${sys:opensearch.logs.base_path}${sys:file.separator}${sys:opensearch.logs.cluster_name}.log
		appender.file.layout.type = PatternLayout
		appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
		rootLogger.level = info
		rootLogger.appenderRef.file.ref = file
	EOF
}

# opensearch_status URL prints the HTTP status of a GET, or 000.
opensearch_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true
}

# OpenSearch rejects running as root. As root, the node runs as
# OPENSEARCH_USER instead, from a run folder under /tmp that this user owns,
# with a hard-linked copy of the home folder. The reason is that DIR and
# the jar cache may sit in folders only root can enter, such as /root or a
# mktemp -d folder.
# DIR/opensearch/rundir names that folder, and `stop` copies its logs back
# into DIR/opensearch/logs and removes it. Otherwise DIR/opensearch is the
# run folder and the home folder is the one in the cache.
prepare_opensearch_run() {
	local dir=$1
	if [ "$KEEP" -eq 1 ] && [ -f "$dir/rundir" ] && [ "$(id -u)" -eq 0 ]; then
		# The run folder of the last start, with its data, kept by stop --keep.
		RUN=$(cat "$dir/rundir")
		HOME_DIR="$RUN/home"
		RUN_AS=(setpriv --reuid="$OPENSEARCH_USER" --regid="$(id -g "$OPENSEARCH_USER")" --clear-groups --)
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		RUN=$dir
		HOME_DIR="$CACHE/opensearch/home"
		RUN_AS=()
		return 0
	fi
	id "$OPENSEARCH_USER" >/dev/null 2>&1 ||
		{ echo "servers.sh: user $OPENSEARCH_USER not found; OpenSearch does not run as root, so set STREAMLENS_OPENSEARCH_USER to an unprivileged user" >&2; return 1; }
	RUN=$(mktemp -d /tmp/streamlens-opensearch.XXXXXX) || return 1
	echo "$RUN" >"$dir/rundir"
	HOME_DIR="$RUN/home"
	cp -al "$CACHE/opensearch/home" "$HOME_DIR" 2>/dev/null ||
		cp -a "$CACHE/opensearch/home" "$HOME_DIR" || return 1
	RUN_AS=(setpriv --reuid="$OPENSEARCH_USER" --regid="$(id -g "$OPENSEARCH_USER")" --clear-groups --)
}

start_opensearch() {
	local dir="$WORK/opensearch" transport_port url log
	require_jars opensearch
	command -v curl >/dev/null 2>&1 ||
		{ echo "servers.sh: curl not found; install it (scripts/install-deps.sh servers)" >&2; return 1; }
	if [ "$KEEP" -eq 0 ]; then
		finish_opensearch_run "$dir"
		rm -rf "$dir/data" "$dir/logs"
	fi
	prepare_opensearch_run "$dir" || return 1
	log="$RUN/logs/streamlens-test.log"
	if [ "$KEEP" -eq 1 ] && [ ! -d "$RUN/data/nodes" ]; then
		echo "servers.sh: opensearch: no data in $RUN/data to keep; start it without --keep" >&2
		return 1
	fi
	mkdir -p "$RUN/data" "$RUN/logs" "$RUN/tmp"
	rotate_log "$log"
	rotate_log "$RUN/stdout.log"
	PORT=$(pick_port PORT) || return 1
	transport_port=$(pick_port PORT2) || return 1
	while [ "$transport_port" = "$PORT" ]; do transport_port=$(free_port); done
	write_opensearch_config "$RUN" "$PORT" "$transport_port"
	if [ ${#RUN_AS[@]} -gt 0 ]; then
		chown -R "$OPENSEARCH_USER:" "$RUN/config" "$RUN/data" "$RUN/logs" "$RUN/tmp"
		chmod 755 "$RUN"
	fi

	# The JVM options of the tar distribution's launcher and jvm.options:
	# the locale providers keep the date formats the server expects, and
	# Netty stays off Unsafe and its per-thread recyclers.
	# NOTE: written from the Elasticsearch 7 lineage of jvm.options; not
	# compared line by line with the 2.19.6 tar distribution.
	launch opensearch "$RUN/stdout.log" "${RUN_AS[@]}" "$JAVA" \
		-Xms"$OPENSEARCH_HEAP" -Xmx"$OPENSEARCH_HEAP" \
		-XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
		-Dfile.encoding=UTF-8 -Djava.locale.providers=SPI,COMPAT \
		-Djava.awt.headless=true -Djna.nosys=true \
		-Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
		-Dio.netty.recycler.maxCapacityPerThread=0 \
		-Dio.netty.allocator.numDirectArenas=0 \
		-Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
		-Dlog4j2.formatMsgNoLookups=true \
		-Djava.io.tmpdir="$RUN/tmp" \
		-Dopensearch.path.home="$HOME_DIR" -Dopensearch.path.conf="$RUN/config" \
		-Dopensearch.distribution.type=tar -Dopensearch.bundled_jdk=false \
		-cp "$HOME_DIR/lib/*" org.opensearch.bootstrap.OpenSearch

	url="http://127.0.0.1:$PORT"
	while ! deadline_passed; do
		if ! pid_alive "$dir/pid"; then
			if port_taken "$log" || port_taken "$RUN/stdout.log"; then
				return 2
			fi
			fail_start opensearch "the node exited" "$log" "$RUN/stdout.log"
			return 1
		fi
		if [ "$(opensearch_status "$url/_cluster/health?wait_for_status=yellow&timeout=5s")" = 200 ]; then
			ENV_LINES="OPENSEARCH_URL=$url
OPENSEARCH_PID=$SERVER_PID"
			save_ports "PORT=$PORT" "PORT2=$transport_port"
			return 0
		fi
		sleep 0.5
	done
	fail_start opensearch "no yellow cluster health within ${TIMEOUT}s" "$log" "$RUN/stdout.log"
	return 1
}

# finish_opensearch_run DIR keeps the logs of a run folder under /tmp in
# DIR/opensearch/logs and removes the folder, once the node has exited.
finish_opensearch_run() {
	local dir=$1 run
	[ -f "$dir/rundir" ] || return 0
	run=$(cat "$dir/rundir")
	case $run in
	/tmp/streamlens-opensearch.*) ;;
	*)
		echo "servers.sh: $dir/rundir names '$run', not a run folder; leaving it" >&2
		return 0
		;;
	esac
	if [ -d "$run" ]; then
		rm -rf "$dir/logs"
		mkdir -p "$dir/logs"
		cp -r "$run/logs/." "$run/stdout.log" "$dir/logs/" 2>/dev/null
		rm -rf "$run"
	fi
	rm -f "$dir/rundir"
}

# --- start and stop ---------------------------------------------------------

# start_one NAME starts one server in WORK/NAME, trying new ports up to three
# times when another process takes a port first. On success it writes the
# KEY=VALUE lines to WORK/NAME/env.
start_one() {
	local name=$1 attempt status
	NAME=$name
	mkdir -p "$WORK/$name" "$WORK/$name/tmp"
	if [ -f "$WORK/$name/pid" ] && pid_alive "$WORK/$name/pid"; then
		echo "servers.sh: $name already runs in $WORK/$name; stop it first" >&2
		return 1
	fi
	DEADLINE=$((SECONDS + TIMEOUT))
	for attempt in 1 2 3; do
		"start_$name"
		status=$?
		if [ "$status" -eq 0 ]; then
			echo "$ENV_LINES" >"$WORK/$name/env"
			return 0
		fi
		kill_pidfile "$WORK/$name/pid" 2>/dev/null
		[ "$status" -eq 2 ] || return 1
		if [ "$KEEP" -eq 1 ]; then
			fail_start "$name" "port $PORT of the last start is taken by another process"
			return 1
		fi
		echo "servers.sh: $name: port $PORT was taken; trying another (attempt $attempt)" >&2
	done
	fail_start "$name" "no free port after 3 attempts"
	return 1
}

check_name() {
	case $1 in
	kafka | opensearch | redis) ;;
	*) die "unknown server '$1' (expected kafka, opensearch or redis)" ;;
	esac
}

cmd_start() {
	local names=() name failed=0 pids=()
	if [ "${1:-}" = --keep ]; then
		KEEP=1
		shift
	fi
	[ $# -ge 2 ] || die "usage: servers.sh start [--keep] kafka|opensearch|redis... DIR"
	WORK=${!#}
	names=("${@:1:$#-1}")
	for name in "${names[@]}"; do
		check_name "$name"
		case $name in
		kafka | opensearch) check_java ;;
		esac
	done
	[ "$(printf '%s\n' "${names[@]}" | sort | uniq -d)" = "" ] ||
		die "a server name is given twice: ${names[*]}"
	mkdir -p "$WORK" || die "cannot create $WORK"
	WORK=$(cd "$WORK" && pwd)
	for name in "${names[@]}"; do
		rm -f "$WORK/$name/env"
	done

	# Each server starts in a subshell of its own, so two slow JVM starts
	# overlap. The output comes from their env files, in the given order.
	for name in "${names[@]}"; do
		start_one "$name" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	if [ "$failed" -ne 0 ]; then
		# Leave nothing half started: stop the ones that came up, and print
		# no lines that a caller could eval. Data to keep stays.
		if [ "$KEEP" -eq 1 ]; then
			cmd_stop --keep "$WORK" "${names[@]}" >/dev/null
		else
			cmd_stop "$WORK" "${names[@]}" >/dev/null
		fi
		exit 1
	fi
	for name in "${names[@]}"; do
		cat "$WORK/$name/env"
	done
}

cmd_stop() {
	local dir name status=0 keep=0
	if [ "${1:-}" = --keep ]; then
		keep=1
		shift
	fi
	dir=$1
	shift
	if [ $# -eq 0 ]; then
		set -- kafka opensearch redis
	fi
	for name in "$@"; do
		check_name "$name"
	done
	[ -d "$dir" ] || return 0
	for name in "$@"; do
		[ -f "$dir/$name/pid" ] || continue
		kill_pidfile "$dir/$name/pid" || status=1
		rm -f "$dir/$name/env"
	done
	if [ "$keep" -eq 0 ] && [ -f "$dir/opensearch/rundir" ] && [ ! -f "$dir/opensearch/pid" ]; then
		finish_opensearch_run "$dir/opensearch"
	fi
	return "$status"
}

# cmd_kafka_tool CLASS ARGS... runs a tool class of the fetched Kafka jars,
# such as org.apache.kafka.tools.ConsumerPerformance, with the JVM's default
# compilers and collector, so that a benchmark measures its steady-state speed.
cmd_kafka_tool() {
	require_jars kafka
	exec "$JAVA" -cp "$CACHE/kafka/lib/*" "$@"
}

case ${1:-} in
fetch)
	cmd_fetch
	;;
kafka-tool)
	[ $# -ge 2 ] || die "usage: servers.sh kafka-tool CLASS [ARG...]"
	shift
	cmd_kafka_tool "$@"
	;;
start)
	shift
	cmd_start "$@"
	;;
stop)
	[ $# -ge 2 ] || die "usage: servers.sh stop [--keep] DIR [kafka|opensearch|redis...]"
	shift
	cmd_stop "$@"
	;;
*)
	echo "usage: servers.sh fetch | start [--keep] NAME... DIR | stop [--keep] DIR [NAME...] | kafka-tool CLASS [ARG...]" >&2
	echo "NAME is kafka, opensearch or redis" >&2
	exit 2
	;;
esac
