#!/bin/sh
# Installs the Debian packages StreamLens builds, runs and tests with.
# Only packages that are missing are installed, so a second run is quick.
# Usage: scripts/install-deps.sh [build|test|servers|bench]   (default: test)
# test is a superset of build. servers installs what scripts/servers.sh
# needs to fetch and run the Kafka, OpenSearch and Redis test servers.
# bench installs build, servers and the tools bench/run.sh calls.
set -eu

mode=${1:-test}

build_pkgs="build-essential pkg-config libncurses-dev libreadline-dev
libcurl4-openssl-dev librdkafka-dev libhiredis-dev libsqlite3-dev
libmicrohttpd-dev zlib1g-dev libjsmn-dev"
test_pkgs="libcriterion-dev tmux curl jq mandoc redis-server clang libclang-rt-14-dev sqlite3 valgrind"
# Java 17 runs Kafka 4 and OpenSearch 2.19, and Maven fetches their jars.
# kcat is the Kafka client of the server smoke test.
servers_pkgs="openjdk-17-jre-headless maven redis-server kcat curl python3"
# bench/run.sh: /usr/bin/time is package time, free is procps, redis-cli and
# redis-benchmark come with redis-server, callgrind_annotate with valgrind.
# python3-venv creates the virtualenv of the Python consumer, and lnav is the
# peer of the search section.
bench_pkgs="kcat hyperfine wrk tmux valgrind strace sqlite3 time procps python3 python3-venv
redis-server curl jq lnav"

case $mode in
build) want=$build_pkgs ;;
test) want="$build_pkgs $test_pkgs" ;;
servers) want=$servers_pkgs ;;
bench) want="$build_pkgs $servers_pkgs $bench_pkgs" ;;
*)
	echo "install-deps.sh: unknown mode '$mode' (expected build, test, servers or bench)" >&2
	exit 2
	;;
esac

missing=
for pkg in $want; do
	# The lists share some packages, so each one is named once.
	case " $missing " in
	*" $pkg "*) continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps.sh: installing:$missing"
sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-deps.sh: missing packages:$missing; run as root or install sudo" >&2
		exit 1
	fi
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
