#!/bin/sh
# Installs the Debian packages StreamLens builds, runs and tests with.
# Only packages that are missing are installed, so a second run is quick.
# Usage: scripts/install-deps.sh [build|test]   (default: test, a superset)
set -eu

mode=${1:-test}

build_pkgs="build-essential pkg-config libncurses-dev libreadline-dev
libcurl4-openssl-dev librdkafka-dev libhiredis-dev libsqlite3-dev
libmicrohttpd-dev zlib1g-dev libjsmn-dev"
test_pkgs="libcriterion-dev tmux curl jq mandoc redis-server clang"

case $mode in
build) want=$build_pkgs ;;
test) want="$build_pkgs $test_pkgs" ;;
*)
	echo "install-deps.sh: unknown mode '$mode' (expected build or test)" >&2
	exit 2
	;;
esac

missing=
for pkg in $want; do
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
