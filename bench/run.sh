#!/bin/bash
# Runs the StreamLens benchmarks beside their reference programs on the same
# generated input, in one run, and writes bench/RESULTS.md. Called by
# `make bench`, which builds the binaries first.
#
# Environment variables:
#   BENCH_EVENTS           events to generate and ingest (default 1000000)
#   BENCH_RUNS             runs of each repeated timing but the longest: grep,
#                          the Redis sink, the Kafka reads, Kafka to OpenSearch,
#                          the first frame (default 2)
#   BENCH_LONG_RUNS        runs of the longest timings: section 1's ingest and
#                          its limit (default 1)
#   BENCH_PY_RUNS          runs of each program in section 5's comparison with
#                          the Python consumer (default 3)
#   BENCH_REQUESTS         sequential HTTP requests per search query (default 200)
#   BENCH_PROFILE_EVENTS   events ingested under callgrind (default 10000)
#   BENCH_WRK_SECONDS      duration of each wrk run (default 5)
#   BENCH_ES_EVENTS        events sent from Kafka to OpenSearch (default 100000)
#   BENCH_WARM_MAX         maximum number of untimed replays that warm the
#                          OpenSearch node before section 5's timed runs (default 8)
#   BENCH_TUI_SECONDS      seconds of each TUI CPU measurement (default 5)
#   BENCH_BIG_EVENTS       events in the store whose memory section 7 measures
#                          (default 10000000; 0 skips it)
#   BENCH_BIG_BUILD        how that store is built. copy (default): section
#                          1's store and copies of its rows, by the sqlite3
#                          shell. ingest: generated events piped into
#                          streamlens-top, which takes about 1.5 times as long
#                          and lays the file out as a user's store is.
#   BENCH_DIR              scratch folder (default: a new folder under /tmp)
#   XDG_CACHE_HOME         the Python consumer's virtualenv is kept in
#                          $XDG_CACHE_HOME/streamlens/bench-venv (default
#                          ~/.cache/streamlens/bench-venv)
# Every server started here listens on 127.0.0.1 on a free port and is stopped
# on exit.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
TOP="$BUILD/streamlens-top"
PRODUCER="$BUILD/streamlens-producer"
LIMIT="$BUILD/bench/sqlite_limit"
HTTP_LATENCY="$BUILD/bench/http_latency"
REDIS_SINK="$BUILD/bench/redis_sink"
KAFKA_DISCARD="$BUILD/bench/kafka_discard"
ES_BODIES="$BUILD/bench/es_bodies"
EVENTS=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-2}
LONG_RUNS=${BENCH_LONG_RUNS:-1}
PY_RUNS=${BENCH_PY_RUNS:-3}
WARM_MAX=${BENCH_WARM_MAX:-8}
REQUESTS=${BENCH_REQUESTS:-200}
PROFILE_EVENTS=${BENCH_PROFILE_EVENTS:-10000}
WRK_SECONDS=${BENCH_WRK_SECONDS:-5}
ES_EVENTS=${BENCH_ES_EVENTS:-100000}
TUI_SECONDS=${BENCH_TUI_SECONDS:-5}
BIG_EVENTS=${BENCH_BIG_EVENTS:-10000000}
BIG_BUILD=${BENCH_BIG_BUILD:-copy}
case $BIG_BUILD in
copy | ingest) ;;
*)
	echo "bench: invalid BENCH_BIG_BUILD '$BIG_BUILD': expected copy or ingest" >&2
	exit 2
	;;
esac
DIR=${BENCH_DIR:-$(mktemp -d /tmp/streamlens-bench.XXXXXX)}
OUT="$HERE/RESULTS.md"
BODY="$DIR/results-body.md"
PIDS=()
PROFILE_PID=
PREP_PID=
REDIS_STARTED=0
SERVERS_STARTED=0
TMUX_SOCKET="streamlens-bench-$$"

log() { echo "bench: $(date +%T) $*" >&2; }

# shellcheck disable=SC2317
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if [ "$REDIS_STARTED" = 1 ]; then
		"$ROOT/scripts/servers.sh" stop "$DIR/servers" redis >/dev/null 2>&1
	fi
	if [ "$SERVERS_STARTED" = 1 ]; then
		"$ROOT/scripts/servers.sh" stop "$DIR/kafka-os" >/dev/null 2>&1
	fi
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	rm -rf "$DIR/big" # section 7's store, several GB
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL waits up to 30 s for URL to return status 200.
wait_http() {
	local i
	for i in $(seq 300); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	log "timed out waiting for $1"
	return 1
}

# timed CMD... runs CMD and appends "wall cpu max_rss_kb" to $DIR/time.
timed() {
	/usr/bin/time -o "$DIR/time.one" -f '%e %U %S %M' "$@" >"$DIR/timed.out" 2>"$DIR/timed.err" || {
		log "failed: $*"
		cat "$DIR/timed.err" >&2
		return 1
	}
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$DIR/time.one" >>"$DIR/time"
}

# median prints the median of the numbers on its input, one per line: the
# middle one, or the mean of the two middle ones when their count is even,
# with as many decimals as the more precise of the two.
median() {
	sort -n | awk '
		function decimals(x) { return index(x, ".") ? length(x) - index(x, ".") : 0 }
		{ v[NR] = $1 }
		END {
			if (NR % 2) {
				print v[(NR + 1) / 2]
				exit
			}
			a = v[NR / 2]
			b = v[NR / 2 + 1]
			d = decimals(a) > decimals(b) ? decimals(a) : decimals(b)
			printf "%." d "f\n", (a + b) / 2
		}'
}
# runs_of N prints how N runs of each program were taken: "one run" or
# "the median of N runs that alternate".
runs_of() {
	if [ "$1" = 1 ]; then
		echo "one run"
	else
		echo "the median of $1 runs that alternate"
	fi
}

# count_runs N prints "1 run" or "N runs".
count_runs() {
	if [ "$1" = 1 ]; then
		echo "1 run"
	else
		echo "$1 runs"
	fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

machine_info() {
	echo "| what | value |"
	echo "|---|---|"
	echo "| nproc | $(nproc) |"
	echo "| CPU | $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) |"
	echo "| memory | $(free -h | awk '/^Mem:/ { print $2 }') |"
	echo "| kernel | $(uname -sr) |"
	echo "| compiler | $(${CC:-cc} --version | head -n 1) |"
	echo "| SQLite | $(sqlite3 --version | cut -d' ' -f1) (sqlite3 shell; the library is linked through pkg-config) |"
	echo "| load average at start, at end | $LOAD_START; $(cut -d' ' -f1-3 /proc/loadavg) |"
	echo "| scratch file system | $(df -T "$DIR" | awk 'NR == 2 { print $2 }') at $DIR |"
}

# --- 1. embedded ingest ------------------------------------------------------

bench_ingest() {
	local i top_wall top_cpu lim_wall lim_cpu line load_start load_s
	log "generating $EVENTS events"
	"$PRODUCER" --seed 1 --count "$EVENTS" --rate 0 >"$DIR/events.jsonl"

	# The limit loads the rows of StreamLens's first run once, then stores
	# them each time it reads a line, so its runs alternate with
	# StreamLens's without loading again.
	: >"$DIR/time"
	: >"$DIR/limit.out"
	for i in $(seq "$LONG_RUNS"); do
		rm -rf "$DIR/ingest"
		log "ingest run $i: streamlens-top"
		timed "$TOP" --file "$DIR/events.jsonl" --from-start --once --query 'nothing-matches-this' \
			--data-dir "$DIR/ingest" --listen off || return 1
		if [ "$i" = 1 ]; then
			sqlite3 "$DIR/ingest/events.db" .schema | grep -v "'events_fts_" >"$DIR/schema.sql"
			cp "$DIR/ingest/events.db" "$DIR/source.db"
			log "ingest: sqlite_limit loads the rows"
			load_start=$(date +%s.%N)
			coproc LIMIT_CO { "$LIMIT" "$DIR/source.db" "$DIR/schema.sql" "$DIR/limit.db" 2000 \
				--runs-from-stdin 2>"$DIR/limit.err"; }
			PIDS+=("$LIMIT_CO_PID")
			read -r line <&"${LIMIT_CO[0]}" || line=
			load_s=$(awk -v a="$load_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		fi
		log "ingest run $i: sqlite_limit"
		echo run >&"${LIMIT_CO[1]}" && read -r line <&"${LIMIT_CO[0]}" || line=
		case $line in
		events*) echo "$line" >>"$DIR/limit.out" ;;
		*)
			log "failed: sqlite_limit"
			cat "$DIR/limit.err" >&2
			return 1
			;;
		esac
	done
	# Closing its stdin ends the limit process.
	line=${LIMIT_CO[1]}
	exec {line}>&-
	wait "$LIMIT_CO_PID"
	STORED=$(sqlite3 "$DIR/ingest/events.db" 'SELECT count(*) FROM events')
	cp "$DIR/time" "$DIR/time.ingest"
	rm -f "$DIR/limit.db"*

	top_wall=$(awk '{ print $1 }' "$DIR/time" | median)
	top_cpu=$(awk '{ print $2 }' "$DIR/time" | median)
	# The limit's own clocks leave out loading its rows.
	lim_wall=$(awk '{ print $4 }' "$DIR/limit.out" | median)
	lim_cpu=$(awk '{ print $8 }' "$DIR/limit.out" | median)
	TOP_CPU_RATE=$(awk -v n="$EVENTS" -v s="$top_cpu" 'BEGIN { printf "%.0f", n / s }')
	LIM_CPU_RATE=$(awk -v n="$EVENTS" -v s="$lim_cpu" 'BEGIN { printf "%.0f", n / s }')
	TOP_RATE=$(awk -v n="$EVENTS" -v s="$top_wall" 'BEGIN { printf "%.0f", n / s }')
	LIM_RATE=$(awk -v n="$EVENTS" -v s="$lim_wall" 'BEGIN { printf "%.0f", n / s }')

	cat <<EOF
## 1. Embedded ingest: decode, FTS5 index, counters

$EVENTS events from \`streamlens-producer --seed 1 --count $EVENTS --rate 0\`
($(du -h "$DIR/events.jsonl" | cut -f1) of JSON lines), $(runs_of "$LONG_RUNS") of each.
$STORED events were stored.

| program | command | wall s | CPU s (user+sys) | events/s (wall) | events/s (CPU) |
|---|---|---|---|---|---|
| StreamLens | \`streamlens-top --file F --from-start --once --query 'nothing-matches-this' --data-dir D --listen off\` | $top_wall | $top_cpu | $TOP_RATE | $TOP_CPU_RATE |
| SQLite limit | \`bench/sqlite_limit D/events.db schema.sql OUT.db 2000 --runs-from-stdin\` (its own clocks around open, schema, insert, commit) | $lim_wall | $lim_cpu | $LIM_RATE | $LIM_CPU_RATE |

Ratio StreamLens / limit: **$(ratio "$TOP_RATE" "$LIM_RATE")x** in wall time,
**$(ratio "$TOP_CPU_RATE" "$LIM_CPU_RATE")x** in CPU time (target >= 1.0x). Wall time
depends on what else the 2 cores run (see the load average above), so the CPU
ratio and the instruction ratio at the end of this page are the steadier ones.

The limit program reads back the rows StreamLens stored, with the FTS
\`extra\` text rebuilt from service, host and field values, and inserts them
with the schema from \`sqlite3 D/events.db .schema\` (FTS5 shadow tables
removed), \`journal_mode=WAL\`, \`synchronous=NORMAL\` and the same
statements: the event with its time-ordered seq, its FTS5 row, its
event_fields rows and the position, in transactions of 2000 rows, the
pipeline's default batch. It takes seq from the source rows, so it skips the
key lookups StreamLens makes for out-of-order timestamps, and it keeps
SQLite's default page cache. StreamLens decodes on one thread while a writer
thread stores the previous batch, and while the writer is busy a batch grows
up to 8000 events. \`sqlite_limit ... 8000\` gives the limit for those larger
transactions; this run leaves it out to stay short, and the findings below
give an earlier result. The limit's wall and CPU columns leave out loading the rows,
which StreamLens has no equivalent for, and StreamLens's include process
start, reading and decoding the file and the final query.

Raw timings. StreamLens, from /usr/bin/time (wall s, CPU s, max RSS KB):

\`\`\`
$(cat "$DIR/time")
\`\`\`

The limit, from its own clocks (loading its rows once took $load_s s before
its first run):

\`\`\`
$(cat "$DIR/limit.out")
\`\`\`

EOF
}

# --- 2. search latency ---------------------------------------------------------

# Each line: StreamLens query <TAB> equivalent shell command on the raw file F
# <TAB> the same in lnav's SQL over F, with the table that the format in
# bench/lnav-streamlens.json defines. lnav's log_time stays in UTC for
# timestamps ending in Z, as datetime('now') is.
write_queries() {
	cat >"$DIR/queries.tsv" <<'EOF'
cache refreshed	grep -c 'cache refreshed' F	SELECT count(*) FROM streamlens_gen WHERE log_body LIKE '%cache refreshed%'
"connection pool resized"	grep -c 'connection pool resized' F	SELECT count(*) FROM streamlens_gen WHERE log_body LIKE '%connection pool resized%'
level:error	grep -c '"level":"error"' F	SELECT count(*) FROM streamlens_gen WHERE log_level = 'error'
service:payments	grep -c '"service":"payments"' F	SELECT count(*) FROM streamlens_gen WHERE service = 'payments'
level:error NOT service:auth	grep '"level":"error"' F | grep -vc '"service":"auth"'	SELECT count(*) FROM streamlens_gen WHERE log_level = 'error' AND service != 'auth'
level:fatal OR level:error	grep -cE '"level":"(fatal|error)"' F	SELECT count(*) FROM streamlens_gen WHERE log_level IN ('fatal', 'error')
retry*	grep -ciE '"message":"[^"]*\bretry' F	SELECT count(*) FROM streamlens_gen WHERE log_body REGEXP '(?i)\bretry'
status:>=500	grep -cE '"status":5[0-9][0-9][,}]' F	SELECT count(*) FROM streamlens_gen WHERE status >= 500
since:1h unhandled	grep -c 'unhandled' F	SELECT count(*) FROM streamlens_gen WHERE log_time >= datetime('now', '-1 hour') AND log_body LIKE '%unhandled%'
status:>=500 | count by service	grep -E '"status":5[0-9][0-9][,}]' F | grep -o '"service":"[^"]*"' | sort | uniq -c	SELECT service, count(*) FROM streamlens_gen WHERE status >= 500 GROUP BY service
EOF
	cut -f1 "$DIR/queries.tsv" >"$DIR/queries.txt"
	# The queries of only full-text terms, with the FTS5 expression the
	# store counts their total with (query_sql.c quotes each term).
	cat >"$DIR/fts-counts.tsv" <<'EOF'
cache refreshed	"cache" AND "refreshed"
"connection pool resized"	"connection pool resized"
retry*	"retry"*
EOF
}

# fts_count_ms MATCH prints the median wall time, in ms, of counting the rows
# of the FTS5 expression MATCH in section 1's store, in the sqlite3 shell
# with a memory map as the viewer's: 5 timed runs after one untimed.
fts_count_ms() {
	local sql i
	sql="SELECT count(*) FROM events_fts WHERE events_fts MATCH '$1';"
	{
		echo "PRAGMA mmap_size=4294967296;"
		echo "$sql"
		echo ".timer on"
		for i in 1 2 3 4 5; do echo "$sql"; done
	} | sqlite3 "$DIR/ingest/events.db" | awk '/^Run Time:/ { print $4 * 1000 }' | median
}

# --- lnav over the raw file, for section 2 ---

# lnav_env CMD... runs CMD with HOME and XDG_CONFIG_HOME in the scratch folder,
# so the format install and lnav's state files stay out of the user's own.
lnav_env() { HOME="$DIR/lnav-home" XDG_CONFIG_HOME="$DIR/lnav-home/.config" "$@"; }

# The SQL that reads SQLite's clock inside lnav, in ms since the Julian day
# epoch, and that epoch's distance from the Unix one.
LNAV_CLOCK="SELECT julianday('now') * 86400000 AS lnav_clock_ms"
JULIAN_UNIX_MS=210866760000000

# lnav_run installs bench/lnav-streamlens.json into a private lnav
# configuration and runs one lnav process over the events file: a count of
# all events, then every query of queries.tsv, each between two readings of
# SQLite's clock. It writes "count<TAB>ms" of query N to line N of lnav.tsv
# and sets LNAV_LOAD_S (start to first reading), LNAV_OK=1 when lnav read
# every line as an event, or LNAV_NOTE with why the lnav columns stay empty.
lnav_run() {
	local args=(-c ";$LNAV_CLOCK" -c ':write-csv-to -') sql start first count lines
	LNAV_OK=0
	LNAV_NOTE=
	LNAV_LOAD_S=n/a
	if ! command -v lnav >/dev/null; then
		LNAV_NOTE="lnav is not installed (Debian package lnav), so the lnav columns are empty."
		return
	fi
	mkdir -p "$DIR/lnav-home/.config"
	if ! lnav_env lnav -i "$HERE/lnav-streamlens.json" </dev/null >"$DIR/lnav-install.log" 2>&1; then
		LNAV_NOTE="\`lnav -i bench/lnav-streamlens.json\` failed ($(tail -n 1 "$DIR/lnav-install.log")), so the lnav columns are empty."
		return
	fi
	while IFS=$'\t' read -r _ _ sql; do
		args+=(-c ";$sql" -c ':write-csv-to -' -c ";$LNAV_CLOCK" -c ':write-csv-to -')
	done < <(printf 'all\tall\t%s\n' 'SELECT count(*) FROM streamlens_gen'; cat "$DIR/queries.tsv")

	log "search: lnav loads the events file and runs the queries in one process"
	start=$(date +%s%N)
	lnav_env lnav -n "${args[@]}" "$DIR/events.jsonl" </dev/null >"$DIR/lnav.csv" 2>>"$DIR/lnav.log"
	# Results alternate with clock readings: clock, query 0 (all events),
	# clock, query 1, clock, ... Each result starts with its header line.
	awk -F, -v header="lnav_clock_ms" '
		$0 == header || /count\(\*\)/ { block++; next }
		block % 2 == 1 { clock[(block - 1) / 2] = $1 + 0; next }
		{ n[block / 2 - 1] += $NF }
		END {
			for (q = 0; (q + 1) in clock; q++)
				printf "%.0f\t%.1f\n", n[q], clock[q + 1] - clock[q]
		}' "$DIR/lnav.csv" >"$DIR/lnav.tsv"
	first=$(sed -n 2p "$DIR/lnav.csv")
	[ -n "$first" ] && LNAV_LOAD_S=$(awk -v a="$start" -v c="$first" -v e="$JULIAN_UNIX_MS" \
		'BEGIN { printf "%.1f", (c - e - a / 1e6) / 1000 }')
	count=$(head -n 1 "$DIR/lnav.tsv" | cut -f1)
	lines=$(wc -l <"$DIR/events.jsonl")
	if [ "$count" != "$lines" ] || [ "$(wc -l <"$DIR/lnav.tsv")" != $(($(wc -l <"$DIR/queries.tsv") + 1)) ]; then
		LNAV_NOTE="$(lnav_env lnav -V) read ${count:-none} of the $lines lines as streamlens_gen events or left queries out (see lnav.log in the scratch folder), so bench/lnav-streamlens.json does not fit this version and the lnav columns are empty."
		return
	fi
	LNAV_OK=1
	sed -i 1d "$DIR/lnav.tsv"
}

# sum_counts prints the sum of the first integer on each input line: the
# match count that grep -c, uniq -c and lnav's count(*) column print.
sum_counts() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { n += $i; break } } END { print n + 0 }'; }

# hyperfine_ms CMD prints the median wall time of the shell command CMD over
# $RUNS runs in milliseconds, or n/a. The caller runs CMD once before, untimed.
hyperfine_ms() {
	# --output=pipe: GNU grep stops at the first match when its output is
	# /dev/null (hyperfine's default), which would time almost nothing.
	# --ignore-failure: grep -c exits with 1 when it counts no match.
	hyperfine --runs "$RUNS" --output=pipe --ignore-failure --export-json "$DIR/hyperfine.json" \
		"$1" >/dev/null 2>&1 || { echo "n/a"; return; }
	python3 -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' \
		"$DIR/hyperfine.json"
}

# bold_ratio A B prints A / B in bold as "**R.RRx**", or n/a when A is n/a.
bold_ratio() {
	if [ "$1" = "n/a" ]; then
		echo "n/a"
	else
		echo "**$(ratio "$1" "$2")x**"
	fi
}

# search_totals URL writes to totals.txt the total that GET /search returns
# for each query of queries.txt.
search_totals() {
	local q
	while IFS= read -r q; do
		# The body has no final newline, which sed would keep.
		{ curl -fs -G --data-urlencode "q=$q" --data-urlencode limit=1 "$1/search"; echo; } |
			sed -n 's/^{"total":\([0-9]*\).*/\1/p'
	done <"$DIR/queries.txt" >"$DIR/totals.txt"
}

bench_search() {
	local port pid q cmd sql p50 p99 status line grep_cmd grep_ms grep_n lnav_ms lnav_n n=0
	local match count_ms
	local -A grep_of
	write_queries
	port=$(free_port)
	log "search: starting a viewer on 127.0.0.1:$port"
	"$TOP" --headless --no-ingest --data-dir "$DIR/ingest" --listen "127.0.0.1:$port" \
		2>"$DIR/viewer.log" &
	pid=$!
	PIDS+=("$pid")
	wait_http "http://127.0.0.1:$port/health" || return 1
	"$HTTP_LATENCY" "http://127.0.0.1:$port" "$DIR/queries.txt" "$REQUESTS" >"$DIR/latency.tsv"
	VIEWER_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	VIEWER_ANON=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
	search_totals "http://127.0.0.1:$port"
	kill "$pid" && wait "$pid" 2>/dev/null
	lnav_run

	echo "## 2. Search latency over the stored events"
	echo
	echo "$STORED events. StreamLens: \`streamlens-top --headless --no-ingest --data-dir D --listen 127.0.0.1:PORT\`,"
	echo "then \`bench/http_latency http://127.0.0.1:PORT queries.txt $REQUESTS\`: $REQUESTS sequential"
	echo "\`GET /search?q=Q&limit=100\` per query on one keep-alive connection, after one"
	echo "untimed request. p50 and p99 by nearest rank: p99 is the value that 99% of"
	echo "the $REQUESTS requests took at most."
	echo "grep: \`hyperfine --runs $RUNS --output=pipe\` of the command on the raw file F, median,"
	echo "after one untimed run that counts the matches and warms the page cache."
	echo "lnav: one \`lnav -n\` process over F loads it, then runs \`-c ';SQL' -c ':write-csv-to -'\`"
	echo "for each query, with the table \`streamlens_gen\` that \`bench/lnav-streamlens.json\`"
	echo "defines, installed by \`lnav -i\` into a configuration folder under the scratch"
	echo "folder. Before and after each query the process reads SQLite's clock"
	echo "(\`$LNAV_CLOCK\`), and lnav ms is the time between the two"
	echo "readings, one run. Matches: StreamLens's \`total\`, grep's count, lnav's count."
	echo
	echo "| query | p50 ms | p99 ms | HTTP | matches | grep command | grep ms | grep / p50 | lnav SQL | lnav ms | lnav / p50 |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	while IFS=$'\t' read -r q cmd sql; do
		n=$((n + 1))
		line=$(sed -n "${n}p" "$DIR/latency.tsv")
		p50=$(cut -f1 <<<"$line")
		p99=$(cut -f2 <<<"$line")
		status=$(cut -f3 <<<"$line")
		grep_cmd=${cmd//F/$DIR/events.jsonl}
		grep_n=$(bash -c "$grep_cmd" </dev/null 2>/dev/null | sum_counts)
		grep_ms=$(hyperfine_ms "$grep_cmd")
		grep_of[$q]=$grep_ms
		lnav_n=n/a
		lnav_ms=n/a
		if [ "$LNAV_OK" = 1 ]; then
			lnav_n=$(sed -n "${n}p" "$DIR/lnav.tsv" | cut -f1)
			lnav_ms=$(sed -n "${n}p" "$DIR/lnav.tsv" | cut -f2)
		fi
		echo "| \`${q//|/\\|}\` | $p50 | $p99 | $status | $(sed -n "${n}p" "$DIR/totals.txt") / $grep_n / $lnav_n | \`${cmd//|/\\|}\` | $grep_ms | $(bold_ratio "$grep_ms" "$p50") | \`$sql\` | $lnav_ms | $(bold_ratio "$lnav_ms" "$p50") |"
	done <"$DIR/queries.tsv"
	echo
	if [ "$LNAV_OK" = 1 ]; then
		echo "Loading and indexing F took lnav $LNAV_LOAD_S s, from its start to the first"
		echo "reading of the clock, before the queries ($(lnav_env lnav -V))."
	else
		echo "$LNAV_NOTE"
	fi
	echo
	echo "Targets: >= 10x faster than grep; p99 <= 20 ms. The viewer's peak RSS"
	echo "after these requests: ${VIEWER_RSS} KB (see section 7)."
	echo
	echo "The exact total of a query of full-text terms alone is counted in the"
	echo "FTS5 index, which reads the entries of every matching event. That count"
	echo "alone, as the sqlite3 shell runs it over the same file,"
	echo "\`SELECT count(*) FROM events_fts WHERE events_fts MATCH 'M'\` (median of 5"
	echo "runs after one untimed), against a tenth of grep's time:"
	echo
	echo "| query | M | count alone ms | grep ms / 10 |"
	echo "|---|---|---|---|"
	while IFS=$'\t' read -r q match; do
		count_ms=$(fts_count_ms "$match")
		echo "| \`$q\` | \`$match\` | $count_ms | $(awk -v g="${grep_of[$q]}" 'BEGIN { if (g + 0 > 0) printf "%.1f", g / 10; else print "n/a" }') |"
	done <"$DIR/fts-counts.tsv"
	echo
}

# --- 3. Redis hot store ---------------------------------------------------------

# redis_stat FILE NAME FIELD prints FIELD (calls or usec) of cmdstat_NAME.
redis_stat() {
	tr -d '\r' <"$1" | awk -F'[:=,]' -v name="cmdstat_$2" -v field="$3" \
		'$1 == name { for (i = 2; i < NF; i += 2) if ($i == field) print $(i + 1) }'
}

# redis_round_trips prints the RESP writes StreamLens sends while ingesting
# $DIR/profile.jsonl with --redis, counted by strace: one write is one round
# trip, whatever number of pipelined commands it carries.
redis_round_trips() {
	command -v strace >/dev/null || { echo "n/a"; return; }
	rm -rf "$DIR/redis-trace"
	strace -f -e trace=write,sendto,writev -s 24 -o "$DIR/redis.strace" \
		"$TOP" --file "$DIR/profile.jsonl" --from-start --once --query 'nothing-matches-this' \
		--data-dir "$DIR/redis-trace" --listen off --redis "$REDIS_ADDR" >/dev/null 2>&1
	grep -c '"\*[0-9]' "$DIR/redis.strace"
}

# redis_writes_with WORD prints how many of those writes carry WORD: MULTI
# starts the transaction of each batch, SCRIPT (LOAD) is one per connection
# at start-up and INFO the writer's version check.
redis_writes_with() {
	[ -f "$DIR/redis.strace" ] || { echo "n/a"; return; }
	grep -c "$1" "$DIR/redis.strace"
}

# per_event_rate USEC EVENTS prints the events/s that USEC microseconds of
# server time for EVENTS events allow.
per_event_rate() {
	awk -v u="$1" -v n="$2" 'BEGIN { if (u > 0) printf "%.0f", n / (u / 1e6); else print "n/a" }'
}

bench_redis() {
	local i evalsha lpush_rate calls bench_line port usec trips pbatches ceiling
	local sink2000 sink8000 loads infos exec_usec exec_calls
	log "redis: starting redis-server"
	eval "$("$ROOT/scripts/servers.sh" start redis "$DIR/servers")" || return 1
	REDIS_STARTED=1
	port=${REDIS_ADDR##*:}

	log "redis: counting round trips over $PROFILE_EVENTS events"
	"$PRODUCER" --seed 1 --count "$PROFILE_EVENTS" --rate 0 >"$DIR/profile.jsonl"
	trips=$(redis_round_trips)
	pbatches=$(redis_writes_with MULTI)
	loads=$(redis_writes_with SCRIPT)
	infos=$(redis_writes_with INFO)

	redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
	bench_line=$(redis-benchmark -h 127.0.0.1 -p "$port" -P 100 -t lpush -n "$EVENTS" -q 2>/dev/null |
		tr '\r' '\n' | grep -a 'LPUSH' | tail -n 1)
	lpush_rate=$(sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' <<<"$bench_line")

	log "redis: the sink alone, batches of 2000 and 8000, $(count_runs "$RUNS") each"
	: >"$DIR/sink2000.out"
	: >"$DIR/sink8000.out"
	: >"$DIR/sink.log"
	for i in $(seq "$RUNS"); do
		redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
		redis-cli -h 127.0.0.1 -p "$port" CONFIG RESETSTAT >/dev/null
		"$REDIS_SINK" "$DIR/events.jsonl" "$REDIS_ADDR" 2000 >>"$DIR/sink2000.out" 2>>"$DIR/sink.log"
		[ "$i" = 1 ] && redis-cli -h 127.0.0.1 -p "$port" INFO commandstats >"$DIR/commandstats.txt"
		redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
		"$REDIS_SINK" "$DIR/events.jsonl" "$REDIS_ADDR" 8000 >>"$DIR/sink8000.out" 2>>"$DIR/sink.log"
	done
	calls=$(tr -d '\r' <"$DIR/commandstats.txt" | awk -F'[:=,]' '/^cmdstat_/ { n += $3 } END { print n + 0 }')
	evalsha=$(redis_stat "$DIR/commandstats.txt" evalsha calls)
	exec_calls=$(redis_stat "$DIR/commandstats.txt" exec calls)
	# EXEC's time includes the commands it runs, the script among them
	exec_usec=$(redis_stat "$DIR/commandstats.txt" exec usec)
	usec=${exec_usec:-$(redis_stat "$DIR/commandstats.txt" evalsha usec)}
	ceiling=$(per_event_rate "${usec:-0}" "$EVENTS")
	sink2000=$(field_median 8 "$DIR/sink2000.out")
	sink8000=$(field_median 8 "$DIR/sink8000.out")

	cat <<EOF
## 3. Redis hot store

Same $EVENTS events, one redis-server (Debian) on loopback started by
\`scripts/servers.sh start redis DIR\`, \`CONFIG RESETSTAT\` before each of the sink's
runs at 2000 events per batch. $(if [ "$RUNS" = 1 ]; then echo "One run of each batch size;"; else echo "$RUNS alternating runs of each batch size, median;"; fi)
the commands and server time below are those of the first run at 2000.

| program | command | wall s | events/s |
|---|---|---|---|
| StreamLens Redis sink alone, batches of 2000 | \`bench/redis_sink F ADDR 2000\` | $(field_median 6 "$DIR/sink2000.out") | ${sink2000:-n/a} |
| StreamLens Redis sink alone, batches of 8000 | \`bench/redis_sink F ADDR 8000\` | $(field_median 6 "$DIR/sink8000.out") | ${sink8000:-n/a} |
| redis-benchmark | \`redis-benchmark -P 100 -t lpush -n $EVENTS -q\` | | ${lpush_rate:-n/a} LPUSH/s |

The sink alone, against redis-benchmark's pipelined LPUSH: **$(ratio "${sink2000:-0}" "${lpush_rate:-0}")x**
at 2000 events per batch (the pipeline's default batch) and **$(ratio "${sink8000:-0}" "${lpush_rate:-0}")x** at
8000 (the largest batch the pipeline forms while its writer is busy); target 500000 events/s.
\`bench/redis_sink\` decodes the file first, untimed, then times \`sl_hot_add_batch\`:
one MULTI/EXEC transaction per batch, written at once. It pushes the newest
entries (at most the list's cap of 1000) onto a staging list with LPUSH, and
an EVALSHA with the counters summed per minute, level and service in C
checks the offsets and renames the staging list to the latest list.

- Round trips: \`strace -f -e trace=write,sendto,writev\` of the same command over
  $PROFILE_EVENTS events saw **$trips RESP writes**: $loads SCRIPT LOAD (one per
  connection) and $infos INFO (the version check) at start-up, and $pbatches
  transactions, one per batch, so
  **$(ratio "$((trips - loads - infos))" "$pbatches") round trips per batch** after start-up (target:
  one per batch). The pipeline forms batches of 2000 events, and up to 8000
  while its writer thread is busy.
- Commands executed by Redis in the sink's run at 2000 events per batch,
  including those the Lua script runs: $calls, of which EXEC ${exec_calls:-0} and EVALSHA ${evalsha:-0}, one each per batch.
- Redis server time in EXEC, the transactions with the script: ${usec:-0} us in all, $(awk -v u="${usec:-0}" -v n="$EVENTS" 'BEGIN { printf "%.2f", u / n }') us per event,
  so the single-threaded server caps this sink at about **$ceiling events/s**
  (target: 500k events/s; redis-benchmark: ${lpush_rate:-n/a} LPUSH/s on the
  same server). Ratio of that cap to redis-benchmark: **$(ratio "$ceiling" "${lpush_rate:-0}")x**.

\`INFO commandstats\` after the sink's run at 2000 events per batch:

\`\`\`
$(tr -d '\r' <"$DIR/commandstats.txt" | grep '^cmdstat_')
\`\`\`

EOF
	"$ROOT/scripts/servers.sh" stop "$DIR/servers" redis >/dev/null 2>&1
	REDIS_STARTED=0
}

# --- 4. HTTP under ingest load -------------------------------------------------

bench_wrk() {
	local port pid path rps p99
	port=$(free_port)
	log "wrk: starting streamlens-top --headless --generate 10000"
	rm -rf "$DIR/live"
	"$TOP" --headless --generate 10000 --seed 2 --data-dir "$DIR/live" \
		--listen "127.0.0.1:$port" 2>"$DIR/live.log" &
	pid=$!
	PIDS+=("$pid")
	wait_http "http://127.0.0.1:$port/health" || return 1
	sleep 5

	echo "## 4. HTTP API under ingest (generator at 10000 events/s)"
	echo
	echo "Server: \`streamlens-top --headless --generate 10000 --seed 2 --data-dir D --listen 127.0.0.1:PORT\`,"
	echo "5 s of ingest before the first run. Client: \`wrk -t2 -c8 -d${WRK_SECONDS}s --latency URL\`."
	echo
	echo "| path | requests/s | p99 |"
	echo "|---|---|---|"
	for path in '/latest?n=50' '/search?q=level:error&limit=50' '/search?q=cache%20refreshed&limit=50'; do
		wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$port$path" >"$DIR/wrk.txt" 2>&1
		rps=$(awk '/^Requests\/sec/ { print $2 }' "$DIR/wrk.txt")
		p99=$(awk '$1 == "99%" { print $2 }' "$DIR/wrk.txt")
		echo "| \`$path\` | $rps | $p99 |"
	done
	echo
	echo "Events stored during the runs: $(curl -fs "http://127.0.0.1:$port/metrics" |
		awk '/^streamlens_events_stored_total / { print $2 }' | head -n 1)"
	echo
	kill "$pid" && wait "$pid" 2>/dev/null
}

# --- 5. Kafka: consumption and the way to OpenSearch -------------------------

# field_median N FILE prints the median of field N over the lines of FILE.
field_median() { awk -v f="$1" '{ print $f }' "$2" | median; }

# proc_cpu PID prints the CPU seconds (user + system) process PID has used
# so far, or 0 when it is gone.
proc_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# broker_cpu FILE CMD... runs CMD and appends to FILE the CPU seconds the
# Kafka broker used meanwhile.
broker_cpu() {
	local file=$1 before
	shift
	before=$(proc_cpu "$KAFKA_PID")
	"$@"
	awk -v a="$before" -v b="$(proc_cpu "$KAFKA_PID")" 'BEGIN { printf "%.2f\n", b - a }' >>"$file"
}

# server_cpu prints the CPU seconds the OpenSearch node, the Kafka broker and
# the redis-server of the Python runs (0 before it starts) have used so far.
server_cpu() {
	echo "$(proc_cpu "$OPENSEARCH_PID") $(proc_cpu "$KAFKA_PID") $(proc_cpu "${PY_REDIS_PID:-0}")"
}

# server_cpu_since BEFORE FILE appends to FILE the CPU seconds each server
# of server_cpu has used since BEFORE, one of its lines.
server_cpu_since() {
	awk -v a="$1" -v b="$(server_cpu)" 'BEGIN { split(a, x); split(b, y)
		printf "%.2f %.2f %.2f\n", y[1] - x[1], y[2] - x[2], y[3] - x[3] }' >>"$2"
}

# cpu_floor CPU FILE prints the shortest wall time that CPU seconds plus the
# median of each column of the server_cpu_since lines in FILE allow on this
# machine's cores.
cpu_floor() {
	local total=$1 f
	shift
	for f in 1 2 3; do
		total=$(awk -v a="$total" -v b="$(field_median "$f" "$1")" 'BEGIN { print a + b }')
	done
	awk -v t="$total" -v n="$(nproc)" 'BEGIN { printf "%.2f", t / n }'
}

# rate_of N SECONDS prints N / SECONDS, rounded.
rate_of() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }

# wait_stored PORT N waits up to 600 s until the server on PORT reports N
# stored events in /metrics, polling every 50 ms, so the time it ends is
# late by little more than that. One Python process polls, because starting
# curl and awk for each poll takes CPU from the node being measured on a
# small machine. Polling every 20 ms cost the poller 9% of a core.
wait_stored() {
	python3 - "$1" "$2" <<'PY' && return 0
import sys
import time
import urllib.request

port, want = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("streamlens_events_stored_total "):
                    if int(float(line.split()[1])) >= want:
                        sys.exit(0)
                    break
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
PY
	log "timed out waiting for $2 stored events on port $1"
	return 1
}

# write_bulk_bodies FILE DIR splits the JSON lines of FILE into _bulk bodies
# of 2000 documents each (the pipeline's default batch) in DIR, with no index in
# their actions, so each replay names its index in the URL.
write_bulk_bodies() {
	python3 - "$1" "$2" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
action = '{"index":{}}\n'
with open(src) as f:
    lines = f.readlines()
for n, i in enumerate(range(0, len(lines), 2000)):
    with open("%s/body-%05d.ndjson" % (out, n), "w") as body:
        for line in lines[i:i + 2000]:
            body.write(action)
            body.write(line if line.endswith("\n") else line + "\n")
PY
}

# es_count INDEX prints the document count of INDEX (a pattern is allowed).
es_count() {
	curl -fs "$OPENSEARCH_URL/$1/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}

# kafka_version prints the version of the Kafka jars scripts/servers.sh
# fetched, from the name of the tools jar.
kafka_version() {
	local jar
	jar=$(ls "${STREAMLENS_SERVERS_CACHE:-${HOME:-/tmp}/.cache/streamlens/servers}"/kafka/lib/kafka-tools-[0-9]*.jar 2>/dev/null | head -n 1)
	jar=${jar##*/kafka-tools-}
	echo "${jar%.jar}"
}

bench_kafka_read() {
	local i lines kc_wall kc_cpu kc_rate d_wall d_cpu d_rate n_wall n_cpu n_rate
	local kc_broker d_broker d_floor kp_wall kp_cpu kp_rate
	log "kafka: producing $EVENTS events"
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic bench --seed 1 --count "$EVENTS" --rate 0 \
		>/dev/null 2>"$DIR/produce.log" || return 1
	lines=$(kcat -C -b "$KAFKA_BROKERS" -t bench -e -o beginning -q 2>/dev/null | wc -l)
	: >"$DIR/kcat.time"
	: >"$DIR/discard.out"
	: >"$DIR/discard-n.out"
	: >"$DIR/kcat.broker"
	: >"$DIR/discard.broker"
	: >"$DIR/perf.time"
	for i in $(seq "$RUNS"); do
		log "kafka run $i: kcat, Kafka's ConsumerPerformance, kafka_discard, kafka_discard --no-decode"
		broker_cpu "$DIR/kcat.broker" /usr/bin/time -a -o "$DIR/kcat.time" -f '%e %U %S' \
			kcat -C -b "$KAFKA_BROKERS" -t bench -e -o beginning -q >/dev/null 2>>"$DIR/kcat.log"
		/usr/bin/time -a -o "$DIR/perf.time" -f '%e %U %S' "$ROOT/scripts/servers.sh" kafka-tool \
			org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$KAFKA_BROKERS" \
			--topic bench --messages "$EVENTS" --group "bench-perf-$i" \
			>>"$DIR/perf.out" 2>>"$DIR/perf.log"
		broker_cpu "$DIR/discard.broker" "$KAFKA_DISCARD" "$KAFKA_BROKERS" bench "$EVENTS" \
			>>"$DIR/discard.out" 2>>"$DIR/discard.log"
		"$KAFKA_DISCARD" --no-decode "$KAFKA_BROKERS" bench "$EVENTS" \
			>>"$DIR/discard-n.out" 2>>"$DIR/discard.log"
	done
	kc_wall=$(field_median 1 "$DIR/kcat.time")
	kc_cpu=$(awk '{ print $2 + $3 }' "$DIR/kcat.time" | median)
	kc_rate=$(rate_of "$EVENTS" "$kc_wall")
	kp_wall=$(field_median 1 "$DIR/perf.time")
	kp_cpu=$(awk '{ print $2 + $3 }' "$DIR/perf.time" | median)
	kp_rate=$(rate_of "$EVENTS" "$kp_wall")
	d_wall=$(field_median 4 "$DIR/discard.out")
	d_cpu=$(field_median 12 "$DIR/discard.out")
	d_rate=$(rate_of "$EVENTS" "$d_wall")
	n_wall=$(field_median 4 "$DIR/discard-n.out")
	n_cpu=$(field_median 12 "$DIR/discard-n.out")
	n_rate=$(rate_of "$EVENTS" "$n_wall")
	kc_broker=$(median <"$DIR/kcat.broker")
	d_broker=$(median <"$DIR/discard.broker")
	# No schedule on NPROC cores ends before the CPU time both processes
	# need, spread evenly over the cores.
	d_floor=$(awk -v a="$d_cpu" -v b="$d_broker" -v n="$(nproc)" 'BEGIN { printf "%.2f", (a + b) / n }')

	cat <<EOF
## 5. Kafka consumption and Kafka to OpenSearch

One Kafka broker (KRaft) and one OpenSearch node on loopback, started by
\`scripts/servers.sh start kafka DIR\`, and by \`start opensearch DIR\` after
the runs of this table. Topic \`bench\`: $EVENTS events
from \`streamlens-producer --brokers B --topic bench --seed 1 --count $EVENTS --rate 0\`
(kcat reads $lines of them), default topic settings. $(if [ "$RUNS" = 1 ]; then echo "One run."; else echo "$RUNS runs, median."; fi)

| program | command | wall s | CPU s | broker CPU s | records/s (wall) |
|---|---|---|---|---|---|
| kcat | \`kcat -C -b B -t bench -e -o beginning -q > /dev/null\` | $kc_wall | $kc_cpu | $kc_broker | $kc_rate |
| Kafka's consumer performance tool | \`scripts/servers.sh kafka-tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server B --topic bench --messages $EVENTS --group bench-perf-RUN\` | $kp_wall | $kp_cpu | | $kp_rate |
| StreamLens Kafka source + decoder, events discarded | \`bench/kafka_discard B bench $EVENTS\` | $d_wall | $d_cpu | $d_broker | $d_rate |
| the source alone, records not decoded | \`bench/kafka_discard --no-decode B bench $EVENTS\` | $n_wall | $n_cpu | | $n_rate |

Ratio StreamLens / kcat in records/s: **$(ratio "$d_rate" "$kc_rate")x** (target: at least 0.9x), and
**$(ratio "$n_rate" "$kc_rate")x** for the source alone, which does what kcat does.
Ratio StreamLens / Kafka's consumer performance tool (Kafka $(kafka_version)), the
other reference the target names: **$(ratio "$d_rate" "$kp_rate")x**. Its wall time
includes the JVM's start-up and its group join, as StreamLens's includes its own.
\`kafka_discard\` joins a new consumer group (kcat assigns the partitions
itself) and runs the real pipeline: the ingest thread polls the source, the
records are decoded on a decode thread and the ingest thread, and the writer
thread hands each batch to a store that discards it and to the in-memory hot
counters, after which the offsets are committed. Its time ends when the store
has received every record. \`--no-decode\` polls the source alone and drops
each record. Both wall times include the group join, and kcat's its
start-up. kcat only copies the bytes.

The broker's JVM runs on the same $(nproc) cores. Its CPU time (from
/proc/PID/stat around each run) and StreamLens's together need at least
$d_floor s of wall time spread evenly over $(nproc) cores; kcat's wall time
divided by 0.9 is $(awk -v w="$kc_wall" 'BEGIN { printf "%.2f", w / 0.9 }') s.

EOF
}

# time_top NAME RUN [OPTION...] times streamlens-top reading topic bench-es
# with group NAME-RUN into the indices NAMERUN-* (and, with --redis, the
# Redis keys NAMERUN:*, which the hot store prefixes with the index prefix),
# until /metrics reports every event stored. It appends "wall cpu" to
# NAME.time.
time_top() {
	local name=$1 run=$2 port pid start end servers
	shift 2
	port=$(free_port)
	servers=$(server_cpu)
	start=$(date +%s.%N)
	"$TOP" --headless --brokers "$KAFKA_BROKERS" --topic bench-es --group "$name-$run" \
		--es "$OPENSEARCH_URL" --es-index "$name$run" "$@" --data-dir "$DIR/$name-$run" \
		--listen "127.0.0.1:$port" 2>"$DIR/$name-$run.log" &
	pid=$!
	PIDS+=("$pid")
	wait_stored "$port" "$ES_EVENTS" || return 1
	end=$(date +%s.%N)
	server_cpu_since "$servers" "$DIR/$name.servers"
	awk -v a="$start" -v b="$end" -v c="$(proc_cpu "$pid")" 'BEGIN { printf "%.2f %s\n", b - a, c }' \
		>>"$DIR/$name.time"
	kill "$pid" && wait "$pid" 2>/dev/null
}

# es_time_replay BODIES PATH TIMES [JOBS] sends the _bulk bodies in the
# folder BODIES to URL/PATH with curl, JOBS requests at a time (default 1,
# in sequence), and appends the wall time to TIMES and the servers' CPU time
# (server_cpu_since) to the .servers file beside it.
es_time_replay() {
	local start end servers
	servers=$(server_cpu)
	start=$(date +%s.%N)
	printf '%s\n' "$1"/body-*.ndjson |
		xargs -P "${4:-1}" -I BODY curl -fs -o /dev/null -H 'Content-Type: application/x-ndjson' \
			--data-binary @BODY "$OPENSEARCH_URL/$2" || log "a bulk replay of $1 failed"
	end=$(date +%s.%N)
	[ "$3" = /dev/null ] || server_cpu_since "$servers" "${3%.time}.servers"
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' >>"$3"
}

# The query string StreamLens's OpenSearch sink sends with every _bulk request.
BULK_PATH='_bulk?filter_path=items.*.status,items.*.result,items.*.error'

# es_time_docs RUN [TIMES] [JOBS] writes StreamLens's own _bulk bodies for
# the events, untimed, with es_bodies, which installs the index template of
# bench-docRUN-*. It then times their replay, JOBS requests at a time, and
# appends the time to TIMES (default es-docs.time).
es_time_docs() {
	rm -rf "$DIR/docs-$1"
	mkdir -p "$DIR/docs-$1"
	"$ES_BODIES" "$DIR/es-events.jsonl" "$OPENSEARCH_URL" "bench-doc$1" "$DIR/docs-$1" \
		>/dev/null 2>>"$DIR/es-bodies.log" || return 1
	es_time_replay "$DIR/docs-$1" "$BULK_PATH" "${2:-$DIR/es-docs.time}" "${3:-1}"
	rm -rf "$DIR/docs-$1"
}

# node_quiet waits until the OpenSearch node has used less than a tenth of
# a core in two half-seconds in a row, for at most 10 s. After its last
# response to a run the node keeps using about one core for 2 to 3 s, and
# without the wait that work would count in the next run.
node_quiet() {
	local before after quiet=0 i
	before=$(proc_cpu "$OPENSEARCH_PID")
	for i in $(seq 20); do
		sleep 0.5
		after=$(proc_cpu "$OPENSEARCH_PID")
		if awk -v a="$before" -v b="$after" 'BEGIN { exit !(b - a < 0.05) }'; then
			quiet=$((quiet + 1))
			[ "$quiet" -ge 2 ] && return 0
		else
			quiet=0
		fi
		before=$after
	done
}

# es_warm replays StreamLens's documents for the events, two requests at a
# time, into the indices bench-docwarm-*, deleted after each replay. It
# stops after WARM_MAX replays, or sooner when a replay costs the node at
# least nine tenths of the CPU time of the one before and at most a third
# of the first one's. A node that had just started needed six or seven
# replays of 100000 documents, and then each cost about a quarter of the
# first. The second condition is needed because one warm-up paused at a
# third of the first replay's cost (23.23, then 22.69 s) before it fell to
# 12.77 s.
es_warm() {
	local n=0 prev=0 first=0 cur
	rm -rf "$DIR/docs-warm" "$DIR/es-warm.servers"
	mkdir -p "$DIR/docs-warm"
	: >"$DIR/es-warm.time"
	"$ES_BODIES" "$DIR/es-events.jsonl" "$OPENSEARCH_URL" bench-docwarm "$DIR/docs-warm" \
		>/dev/null 2>>"$DIR/es-bodies.log" || return 1
	while [ "$n" -lt "$WARM_MAX" ]; do
		n=$((n + 1))
		es_time_replay "$DIR/docs-warm" "$BULK_PATH" "$DIR/es-warm.time" 2
		curl -fs -o /dev/null -X DELETE "$OPENSEARCH_URL/$(curl -fs \
			"$OPENSEARCH_URL/_cat/indices/bench-docwarm-*?h=index" | paste -sd, -)"
		cur=$(tail -n 1 "$DIR/es-warm.servers" | cut -d' ' -f1)
		[ "$n" = 1 ] && first=$cur
		awk -v c="$cur" -v p="$prev" -v f="$first" \
			'BEGIN { exit !(c >= 0.9 * p && c <= f / 3) }' && break
		prev=$cur
	done
	rm -rf "$DIR/docs-warm"
}

bench_kafka_es() {
	local i sl_wall sl_cpu docs_wall docs2_wall
	log "kafka to opensearch: $ES_EVENTS events"
	"$PRODUCER" --brokers "$KAFKA_BROKERS" --topic bench-es --seed 3 --count "$ES_EVENTS" \
		--rate 0 >/dev/null 2>>"$DIR/produce.log" || return 1
	"$PRODUCER" --seed 3 --count "$ES_EVENTS" --rate 0 >"$DIR/es-events.jsonl"
	mkdir -p "$DIR/bulk"
	write_bulk_bodies "$DIR/es-events.jsonl" "$DIR/bulk"
	# A node that just started indexes several times slower until its JIT
	# has warmed up. One untimed replay of the raw lines warms the dynamic
	# mapping that the Python consumer uses. Then es_warm replays
	# StreamLens's documents until the node's cost per replay settles.
	log "kafka to opensearch: warming the node with untimed replays"
	es_time_replay "$DIR/bulk" bench-warm/_bulk /dev/null
	es_warm || return 1
	# StreamLens's requests differ from curl's (up to 4000 documents,
	# connections kept alive, compressed responses). On a node warmed by
	# replays alone its first run cost the node half as much again as its
	# next one (17.48 against 11.60 s of CPU), so one untimed run comes first.
	rm -f "$DIR"/bench-slwarm.time "$DIR"/bench-slwarm.servers
	node_quiet
	time_top bench-slwarm 0 || return 1
	: >"$DIR/bench-sl.time"
	: >"$DIR/es-docs.time"
	: >"$DIR/es-docs2.time"
	rm -f "$DIR"/bench-sl.servers "$DIR"/es-docs.servers "$DIR"/es-docs2.servers
	# The rounds alternate which program goes first, because the node
	# still gets a little faster from one run to the next.
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) = 1 ]; then
			log "kafka to opensearch run $i: streamlens-top, then the two curl replays"
			node_quiet
			time_top bench-sl "$i" || return 1
		else
			log "kafka to opensearch run $i: the two curl replays, then streamlens-top"
		fi
		node_quiet
		es_time_docs "$i" || return 1
		node_quiet
		es_time_docs "p$i" "$DIR/es-docs2.time" 2 || return 1
		if [ $((i % 2)) = 0 ]; then
			node_quiet
			time_top bench-sl "$i" || return 1
		fi
	done
	sl_wall=$(field_median 1 "$DIR/bench-sl.time")
	sl_cpu=$(field_median 2 "$DIR/bench-sl.time")
	docs_wall=$(field_median 1 "$DIR/es-docs.time")
	docs2_wall=$(field_median 1 "$DIR/es-docs2.time")
	curl -fs -o /dev/null -X POST "$OPENSEARCH_URL/bench-sl1-*,bench-doc1-*/_refresh"

	cat <<EOF
Kafka to OpenSearch, $ES_EVENTS events (topic \`bench-es\`, \`--seed 3\`):

| program | command | wall s | events/s | node CPU s | broker CPU s |
|---|---|---|---|---|---|
| StreamLens | \`streamlens-top --headless --brokers B --topic bench-es --group bench-sl-RUN --es URL --es-index bench-slRUN --data-dir D --listen 127.0.0.1:PORT\`, until \`/metrics\` reports $ES_EVENTS stored | $sl_wall | $(rate_of "$ES_EVENTS" "$sl_wall") | $(field_median 1 "$DIR/bench-sl.servers") | $(field_median 2 "$DIR/bench-sl.servers") |
| curl replay of StreamLens's own _bulk bodies | \`bench/es_bodies F URL bench-docRUN DIR\` (untimed), then \`curl --data-binary @body-N.ndjson 'URL/$BULK_PATH'\` for each body of 2000 documents, in sequence | $docs_wall | $(rate_of "$ES_EVENTS" "$docs_wall") | $(field_median 1 "$DIR/es-docs.servers") | |
| the same replay, two requests at a time | as above into bench-docpRUN, with \`xargs -P 2\` | $docs2_wall | $(rate_of "$ES_EVENTS" "$docs2_wall") | $(field_median 1 "$DIR/es-docs2.servers") | |

Ratio StreamLens / replay of its own documents in events/s:
**$(ratio "$docs_wall" "$sl_wall")x** (target: at least 0.9x, with the node as the limit).
StreamLens sends a batch of 1000 documents or more as bulk requests of
equal size, two running at a time, and starts the next batch's requests as
soon as the current batch has none left to send, so the replay with two
requests at a time is the like-for-like reference: **$(ratio "$docs2_wall" "$sl_wall")x** of it.
StreamLens used $sl_cpu s of CPU$([ "$RUNS" = 1 ] || echo " (median)"), start-up and group join included,
and its time runs from its start to the moment \`/metrics\` counts every event stored.

The node's CPU time decides these runs. It is read from /proc around each
run (node CPU s), and varies from run to run with the node's own merges and
collections, by a few seconds in either direction. StreamLens, the node and
the broker together used CPU time that needs at least
$(cpu_floor "$sl_cpu" "$DIR/bench-sl.servers") s on $(nproc) cores (medians added); StreamLens took
$(ratio "$sl_wall" "$(cpu_floor "$sl_cpu" "$DIR/bench-sl.servers")")x that. The node's time alone in the two-at-a-time replay
needs $(cpu_floor 0 "$DIR/es-docs2.servers") s, and that replay took $(ratio "$docs2_wall" "$(cpu_floor 0 "$DIR/es-docs2.servers")")x that.

The first replay sends the same documents StreamLens sends: \`bench/es_bodies\`
decodes the same events with StreamLens's decoder, writes the bulk action and
ECS document of each (event, raw line, fields, as described in
src/es_bulk.h) and installs StreamLens's index template for its indices, so it
measures what the node needs for these documents, uncompressed and in one
connection. StreamLens sends them uncompressed too, because the node is on
loopback (\`--es-compress auto\`).
Documents of the first run after a refresh: StreamLens $(es_count 'bench-sl1-*'), its bodies replayed $(es_count 'bench-doc1-*').
Each number is $(runs_of "$RUNS"): StreamLens runs first in odd rounds and
last in even ones. Untimed replays into other indices warmed the
node first: one of the generator's JSON lines as they are
(\`curl --data-binary @body-N.ndjson URL/bench-warm/_bulk\`, dynamic mapping),
then $(grep -c . "$DIR/es-warm.time") replays of StreamLens's documents, two requests at a time. The warm-up
stops at the first replay whose node CPU time is at least nine tenths of the one before and at
most a third of the first one's, or after BENCH_WARM_MAX=$WARM_MAX replays (node CPU s: $(cut -d' ' -f1 "$DIR/es-warm.servers" | paste -sd' ' -)), then one untimed run of StreamLens
($(cut -d' ' -f1 "$DIR/bench-slwarm.time") s, node CPU $(cut -d' ' -f1 "$DIR/bench-slwarm.servers") s). Before each timed run
the node was left until it used less than a tenth of a core (\`node_quiet\`, at most 10 s).
Wall times, StreamLens: $(awk '{ printf "%s ", $1 }' "$DIR/bench-sl.time")s; its bodies replayed: $(tr '\n' ' ' <"$DIR/es-docs.time")s; two at a time: $(tr '\n' ' ' <"$DIR/es-docs2.time")s.

EOF
}

# --- 5, continued: against a Python consumer -----------------------------------

PY_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/streamlens/bench-venv"

# python_venv installs the packages of bench/requirements.txt into the
# virtualenv $PY_VENV, the first time and again when that file changes.
# Returns 1 on a failure, with the output of python3 -m venv and pip in
# $DIR/venv.log.
python_venv() {
	local stamp
	stamp=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
	[ "$(cat "$PY_VENV/streamlens-stamp" 2>/dev/null)" = "$stamp" ] && return 0
	log "python: creating the virtualenv $PY_VENV"
	rm -rf "$PY_VENV"
	python3 -m venv "$PY_VENV" >"$DIR/venv.log" 2>&1 || return 1
	"$PY_VENV/bin/pip" install -q -r "$HERE/requirements.txt" >>"$DIR/venv.log" 2>&1 || return 1
	echo "$stamp" >"$PY_VENV/streamlens-stamp"
}

# py_time_python RUN times bench/python_consumer.py from topic bench-es into
# the index bench-pyRUN and the Redis keys bench-pyRUN:*, with group
# bench-py-RUN, and appends "wall cpu max_rss_kb" to py-python.time.
py_time_python() {
	local servers
	servers=$(server_cpu)
	/usr/bin/time -o "$DIR/py-python.one" -f '%e %U %S %M' \
		"$PY_VENV/bin/python" "$HERE/python_consumer.py" --brokers "$KAFKA_BROKERS" \
		--topic bench-es --group "bench-py-$1" --es "$OPENSEARCH_URL" --index "bench-py$1" \
		--redis "$REDIS_ADDR" --count "$ES_EVENTS" >>"$DIR/py-python.out" 2>"$DIR/py-python-$1.log" || {
		log "python_consumer.py failed in run $1:"
		tail -n 5 "$DIR/py-python-$1.log" >&2
		return 1
	}
	server_cpu_since "$servers" "$DIR/py-python.servers"
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$DIR/py-python.one" >>"$DIR/py-python.time"
}

# redis_level_total PREFIX prints the sum of the level:NAME fields of the
# per-minute hashes PREFIX:m:*, which both consumers count once per event.
redis_level_total() {
	local key
	redis-cli -h 127.0.0.1 -p "${REDIS_ADDR##*:}" --scan --pattern "$1:m:*" | while read -r key; do
		redis-cli -h 127.0.0.1 -p "${REDIS_ADDR##*:}" HGETALL "$key"
	done | awk 'NR % 2 == 1 { field = $0 } NR % 2 == 0 && field ~ /^level:/ { n += $0 } END { print n + 0 }'
}

redis_llen() { redis-cli -h 127.0.0.1 -p "${REDIS_ADDR##*:}" LLEN "$1"; }

bench_python() {
	local i sl_wall sl_cpu py_wall py_cpu sl_rate py_rate versions docs2_wall
	if ! python_venv; then
		log "python: the virtualenv failed, see $DIR/venv.log"
		cat <<EOF
Kafka to OpenSearch and Redis against a Python consumer: not measured,
because creating the virtualenv $PY_VENV (\`python3 -m venv\`, then
\`pip install -r bench/requirements.txt\`) failed:

\`\`\`
$(tail -n 15 "$DIR/venv.log")
\`\`\`

EOF
		return 0
	fi
	versions=$("$PY_VENV/bin/python" -c 'import platform, confluent_kafka
from importlib.metadata import version
print("Python %s, confluent-kafka %s (librdkafka %s), opensearch-py %s, redis-py %s" % (
    platform.python_version(), version("confluent-kafka"), confluent_kafka.libversion()[0],
    version("opensearch-py"), version("redis")))')

	log "python: starting redis-server"
	eval "$("$ROOT/scripts/servers.sh" start redis "$DIR/servers")" || return 1
	REDIS_STARTED=1
	PY_REDIS_PID=$REDIS_PID
	: >"$DIR/bench-slr.time"
	: >"$DIR/py-python.time"
	: >"$DIR/py-python.out"
	rm -f "$DIR/bench-slr.servers" "$DIR/py-python.servers"
	# The rounds alternate which program goes first, as in the runs above.
	for i in $(seq "$PY_RUNS"); do
		if [ $((i % 2)) = 1 ]; then
			log "kafka to opensearch and redis run $i: streamlens-top, then python_consumer.py"
			node_quiet
			time_top bench-slr "$i" --redis "$REDIS_ADDR" || return 1
		else
			log "kafka to opensearch and redis run $i: python_consumer.py, then streamlens-top"
		fi
		node_quiet
		py_time_python "$i" || return 1
		if [ $((i % 2)) = 0 ]; then
			node_quiet
			time_top bench-slr "$i" --redis "$REDIS_ADDR" || return 1
		fi
	done
	sl_wall=$(field_median 1 "$DIR/bench-slr.time")
	sl_cpu=$(field_median 2 "$DIR/bench-slr.time")
	py_wall=$(field_median 1 "$DIR/py-python.time")
	py_cpu=$(field_median 2 "$DIR/py-python.time")
	docs2_wall=$(field_median 1 "$DIR/es-docs2.time")
	sl_rate=$(rate_of "$ES_EVENTS" "$sl_wall")
	py_rate=$(rate_of "$ES_EVENTS" "$py_wall")
	curl -fs -o /dev/null -X POST "$OPENSEARCH_URL/bench-slr1-*,bench-py1/_refresh"

	cat <<EOF
Kafka to OpenSearch and Redis, the same $ES_EVENTS events of topic \`bench-es\`,
against the consumer a user would otherwise write in Python
(\`bench/python_consumer.py\`; $versions):

| program | command | wall s | events/s | CPU s | node CPU s | broker CPU s | redis-server CPU s |
|---|---|---|---|---|---|---|---|
| StreamLens | \`streamlens-top --headless --brokers B --topic bench-es --group bench-slr-RUN --es URL --es-index bench-slrRUN --redis ADDR --data-dir D --listen 127.0.0.1:PORT\`, until \`/metrics\` reports $ES_EVENTS stored | $sl_wall | $sl_rate | $sl_cpu | $(field_median 1 "$DIR/bench-slr.servers") | $(field_median 2 "$DIR/bench-slr.servers") | $(field_median 3 "$DIR/bench-slr.servers") |
| Python consumer | \`bench/python_consumer.py --brokers B --topic bench-es --group bench-py-RUN --es URL --index bench-pyRUN --redis ADDR --count $ES_EVENTS\`, until it exits | $py_wall | $py_rate | $py_cpu | $(field_median 1 "$DIR/py-python.servers") | $(field_median 2 "$DIR/py-python.servers") | $(field_median 3 "$DIR/py-python.servers") |

Ratio StreamLens / Python in events/s: **$(ratio "$sl_rate" "$py_rate")x** (target >= 3x); in
events per CPU second: **$(ratio "$py_cpu" "$sl_cpu")x**. The CPU time of StreamLens's runs, its own
and the three servers' (medians added), needs at least
$(cpu_floor "$sl_cpu" "$DIR/bench-slr.servers") s on $(nproc) cores, so with the node working as it did,
no schedule could reach more than $(ratio "$py_wall" "$(cpu_floor "$sl_cpu" "$DIR/bench-slr.servers")")x of Python here; StreamLens took
$(ratio "$sl_wall" "$(cpu_floor "$sl_cpu" "$DIR/bench-slr.servers")")x that least time. The curl replay two requests at a time
above sent the same documents in $docs2_wall s, without Kafka or Redis:
Python's time over that, **$(ratio "$py_wall" "$docs2_wall")x**, is about the highest ratio that a
program sending these documents to this node reaches. Each number is $(runs_of "$PY_RUNS"),
on the node that the runs above warmed, each after \`node_quiet\` as above, with one redis-server
started by \`scripts/servers.sh start redis DIR\`. Each run joins a new
consumer group and writes to its own index and Redis keys. CPU is user+sys
of the whole process, start-up and group join included: for StreamLens read
from /proc when \`/metrics\` reports every event stored, for Python from
\`/usr/bin/time\`, whose wall time also includes the interpreter's start-up
and leaving the group.

The Python consumer takes batches of up to 2000 records with
\`Consumer.consume\`, decodes each line with \`json.loads\`, and sends one
document per event (\`@timestamp\`, level, service, host, message, the other
fields as an object, the raw line) with \`helpers.bulk(chunk_size=2000)\` to
one index with dynamic mapping, using the topic, partition and offset as
\`_id\`. Then one Redis pipeline per batch runs LPUSH, LTRIM to 1000 and
HINCRBY of \`PREFIX:m:MINUTE\` field \`level:NAME\` per event, and EXPIRE per
minute key, and the offsets are committed with \`commit(asynchronous=False)\`.
StreamLens sends the same documents to OpenSearch as in the table above,
and in Redis runs one MULTI/EXEC per batch that pushes to the capped list and
counts per minute, level and service. Dynamic mapping indexes every string
of the Python documents, the raw line too, as text and as a keyword, while
StreamLens's index template leaves the raw line unindexed, so the node does
more work per Python document.

Checks after a refresh, first run: documents StreamLens $(es_count 'bench-slr1-*'),
Python $(es_count bench-py1); Redis list length StreamLens $(redis_llen bench-slr1:latest),
Python $(redis_llen bench-py1:latest) (cap 1000); per-minute level counts summed
StreamLens $(redis_level_total bench-slr1), Python $(redis_level_total bench-py1).
Wall times, StreamLens: $(awk '{ printf "%s ", $1 }' "$DIR/bench-slr.time")s; Python: $(awk '{ printf "%s ", $1 }' "$DIR/py-python.time")s.
The Python consumer's own clocks, from the start of its main function: wall
$(awk '{ printf "%s ", $4 }' "$DIR/py-python.out")s; CPU $(awk '{ printf "%s ", $6 }' "$DIR/py-python.out")s.

EOF
	"$ROOT/scripts/servers.sh" stop "$DIR/servers" redis >/dev/null 2>&1
	REDIS_STARTED=0
	PY_REDIS_PID=
}

# prepare_start fetches the jars of Kafka and OpenSearch (scripts/servers.sh
# fetch) and creates the Python consumer's virtualenv (python_venv) in the
# background, for section 5. Both are quick when the cache contains them.
prepare_start() {
	[ -z "$PREP_PID" ] || return 0
	log "fetching the jars and the virtualenv of section 5 in the background"
	{
		"$ROOT/scripts/servers.sh" fetch >"$DIR/fetch.log" 2>&1
		echo $? >"$DIR/fetch.rc"
		python_venv
	} &
	PREP_PID=$!
	PIDS+=("$PREP_PID")
}

# prepare_wait waits for prepare_start's work, starting it if nothing did.
# Returns 1, with the end of the log on stderr, when fetching the jars failed.
prepare_wait() {
	prepare_start
	wait "$PREP_PID" 2>/dev/null
	[ "$(cat "$DIR/fetch.rc" 2>/dev/null)" = 0 ] && return 0
	log "failed: scripts/servers.sh fetch"
	tail -n 20 "$DIR/fetch.log" >&2
	return 1
}

bench_kafka() {
	local rc=0
	# The node starts after the Kafka reads, because a JVM that just
	# started compiles and initialises on the same cores for a while. With
	# the node started beside the broker, kafka_discard used 2.9 s of CPU
	# for 1000000 records, against 1.8 to 1.9 s on a quiet machine.
	log "kafka: starting the broker"
	eval "$("$ROOT/scripts/servers.sh" start kafka "$DIR/kafka-os")" || return 1
	SERVERS_STARTED=1
	bench_kafka_read || rc=1
	if [ "$rc" = 0 ]; then
		log "opensearch: starting the node"
		eval "$("$ROOT/scripts/servers.sh" start opensearch "$DIR/kafka-os")" || rc=1
	fi
	[ "$rc" = 0 ] && { bench_kafka_es || rc=1; }
	[ "$rc" = 0 ] && { bench_python || rc=1; }
	"$ROOT/scripts/servers.sh" stop "$DIR/kafka-os" >/dev/null 2>&1
	SERVERS_STARTED=0
	return "$rc"
}

# --- 6. the dashboard ------------------------------------------------------------

# tui_pid prints the process id of the program in the bench tmux session.
tui_pid() { tmux -L "$TMUX_SOCKET" list-panes -F '#{pane_pid}' 2>/dev/null | head -n 1; }

# tui_start COMMAND starts COMMAND in a detached 160x48 tmux session.
tui_start() {
	tmux -L "$TMUX_SOCKET" new-session -d -x 160 -y 48 "exec $1"
}

# first_frame_ms START waits up to 30 s for the dashboard header and prints
# the milliseconds since START (date +%s%N), or "n/a".
first_frame_ms() {
	local i
	for i in $(seq 3000); do
		if tmux -L "$TMUX_SOCKET" capture-pane -p 2>/dev/null | grep -q 'StreamLens'; then
			awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'
			return
		fi
		sleep 0.01
	done
	echo "n/a"
}

# tui_cpu_row RATE prints the table row of the dashboard's CPU at RATE events/s.
tui_cpu_row() {
	local pid t0 t1 cpu
	rm -rf "$DIR/tui-$1"
	tui_start "$TOP --generate $1 --seed 4 --data-dir $DIR/tui-$1 --listen off"
	sleep 3
	pid=$(tui_pid)
	t0=$(proc_cpu "$pid")
	sleep "$TUI_SECONDS"
	t1=$(proc_cpu "$pid")
	cpu=$(awk -v a="$t0" -v b="$t1" -v s="$TUI_SECONDS" 'BEGIN { printf "%.1f", (b - a) / s * 100 }')
	echo "| $1 | $cpu | $(awk -v c="$cpu" -v r="$1" 'BEGIN { printf "%.1f", c / (r / 1000) }') | $(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status") |"
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	sleep 0.5
}

bench_tui() {
	local i start pid frames="" rss_first="" anon_first="" rows="" rc=0
	command -v tmux >/dev/null || { log "tmux is not installed: no dashboard numbers"; return 0; }
	for i in $(seq "$RUNS"); do
		log "dashboard run $i: time to first frame over $STORED events"
		start=$(date +%s%N)
		tui_start "$TOP --no-ingest --data-dir $DIR/ingest --listen off"
		frames+="$(first_frame_ms "$start") "
		sleep 1
		pid=$(tui_pid)
		if [ -n "$pid" ]; then
			rss_first=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
			anon_first=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
		fi
		tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
		sleep 0.5 # a new server on the same socket fails while the old one exits
	done
	log "dashboard: CPU at 1000 and 10000 events/s, $TUI_SECONDS s each"
	rows="$(tui_cpu_row 1000)"$'\n'"$(tui_cpu_row 10000)"
	bench_big || rc=1

	cat <<EOF
## 6. The dashboard in tmux

Time to first frame: \`streamlens-top --no-ingest --data-dir D --listen off\` over
the $STORED events of section 1 in a detached 160x48 tmux session, from
\`tmux new-session\` until \`tmux capture-pane\` shows the header (polled every
10 ms, so each number is late by up to about 15 ms): ${frames}ms in $(count_runs "$RUNS").

CPU of the whole process (generator, decoding, SQLite and the dashboard at
its default of 5 frames/s) for \`streamlens-top --generate RATE --seed 4 --data-dir D --listen off\`
in tmux, over $TUI_SECONDS s after 3 s of warm-up:

| events/s | CPU % of one core | CPU % per 1000 events/s | peak RSS KB |
|---|---|---|---|
$rows

## 7. Memory with many stored events

| process | peak RSS KB | anonymous RSS KB at the end |
|---|---|---|
| ingest of $EVENTS events (section 1, first run) | $(awk 'NR == 1 { print $3 }' "$DIR/time.ingest") | |
| \`--no-ingest\` HTTP viewer after the search requests of section 2 | ${VIEWER_RSS:-n/a} | ${VIEWER_ANON:-n/a} |
| dashboard viewer over $STORED events, 1 s after its first frame | ${rss_first:-n/a} | ${anon_first:-n/a} |
$(cat "$DIR/big-rows.md")

The ingest's peak includes the 64 MiB page cache of SQLite's writer
connection. The readers map the database file (\`PRAGMA mmap_size\`), and
the pages they touch count in their RSS as file-backed pages, which the
kernel shares with its page cache and can drop; the anonymous RSS is the
memory the process itself allocated.

$(cat "$DIR/big-text.md")

EOF
	return "$rc"
}

# --- 7, continued: a store of BENCH_BIG_EVENTS events ---------------------------

# Requests of each section 2 query sent to the HTTP viewer over the big store
# before its RSS is read.
BIG_REQUESTS=5

# big_build_ingest stores BIG_EVENTS generated events, piped into
# streamlens-top, in $DIR/big and sets BIG_WALL, BIG_CPU, BIG_RSS and
# BIG_SIZE. Returns 1, with the end of the log on stderr, when
# streamlens-top fails.
big_build_ingest() {
	local start
	rm -rf "$DIR/big"
	log "memory: storing $BIG_EVENTS events in $DIR/big"
	start=$(date +%s%N)
	"$PRODUCER" --seed 5 --count "$BIG_EVENTS" --rate 0 |
		/usr/bin/time -o "$DIR/big.time" -f '%e %U %S %M' "$TOP" --file - --once \
			--query 'nothing-matches-this' --data-dir "$DIR/big" --listen off \
			>/dev/null 2>"$DIR/big.log" || {
		log "failed: storing $BIG_EVENTS events"
		tail -n 5 "$DIR/big.log" >&2
		return 1
	}
	BIG_WALL=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	BIG_CPU=$(awk '{ printf "%.1f", $2 + $3 }' "$DIR/big.time")
	BIG_RSS=$(awk '{ print $4 }' "$DIR/big.time")
	BIG_SIZE=$(du -sb "$DIR/big" | cut -f1)
}

# big_copy_sql COPIES ARR_MAX SPAN_MS prints the SQL that writes a new store,
# $DIR/big/events.db, from section 1's store $DIR/ingest/events.db: its
# tables as declared there, every row of it and COPIES - 1 copies of its
# events, their field rows and their counts per group and minute, but no
# full-text rows (see big_fts_sql). Copy k is k * SPAN_MS older, SPAN_MS
# being the whole minutes of seq the rows cover. Its ts, recv and
# time-ordered seq (the time in ms times 2^20) move back by that much, so the
# copies follow one another without overlap, and its ids get the prefix
# "copyK:". Arrival numbers grow from the oldest copy to the original rows,
# which stay the latest. Rows go in oldest first, in the order of each
# table's key, so every insert appends to its B-tree. The indexes are created
# after the rows, which SQLite does by sorting. Both are much faster than
# inserting copies below the rows of a full store. The counts per group and
# minute that the store keeps in group_minutes get those of each copy.
big_copy_sql() {
	local copies=$1 amax=$2 span=$3 src="$DIR/ingest/events.db" k shift key id
	# With threads=2, CREATE INDEX may sort on a helper thread.
	echo "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA threads=2;"
	echo "PRAGMA user_version = $(sqlite3 "$src" 'PRAGMA user_version');"
	# Tables in the order the store created them. CREATE VIRTUAL TABLE makes
	# the full-text table's shadow tables itself.
	sqlite3 "$src" "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL
		AND name NOT GLOB 'sqlite_*' AND name NOT GLOB 'events_fts_*' ORDER BY rowid"
	echo "ATTACH '$src' AS src;"
	echo "BEGIN;"
	# Tables other than these three and the full-text table are copied as
	# they are: the group names, the read positions.
	sqlite3 "$src" "SELECT 'INSERT INTO main.' || name || ' SELECT * FROM src.' || name || ';' FROM sqlite_master
		WHERE type = 'table' AND sql IS NOT NULL AND name NOT IN ('events', 'event_fields', 'group_minutes')
		AND name NOT GLOB 'sqlite_*' AND name NOT GLOB 'events_fts*' ORDER BY rowid"
	for k in $(seq $((copies - 1)) -1 0); do
		shift=$((k * span))
		id=id
		[ "$k" = 0 ] || id="'copy$k:' || id"
		cat <<SQL
INSERT INTO events(seq, arr, id, ts, recv, level, service, host, message, fields, raw, flags)
 SELECT seq - $shift * 1048576, arr + $((copies - 1 - k)) * $amax, $id, ts - $shift, recv - $shift,
 level, service, host, message, fields, raw, flags FROM src.events ORDER BY seq;
SQL
	done
	# event_fields is keyed by (key, seq): all copies of one key, oldest
	# first, before the next key.
	for key in $(sqlite3 "$src" 'SELECT DISTINCT hex(key) FROM event_fields ORDER BY key'); do
		for k in $(seq $((copies - 1)) -1 0); do
			echo "INSERT INTO event_fields(key, seq, num, grp) SELECT key, seq - $((k * span)) * 1048576, num, grp"
			echo " FROM src.event_fields WHERE key = CAST(x'$key' AS TEXT) ORDER BY seq;"
		done
	done
	# SPAN_MS is whole minutes, so copy k's counts are those of the original
	# rows, k * SPAN_MS / 60000 minutes earlier.
	for k in $(seq $((copies - 1)) -1 0); do
		echo "INSERT INTO group_minutes(grp, minute, n)"
		echo " SELECT grp, minute - $((k * span / 60000)), n FROM src.group_minutes ORDER BY grp, minute;"
	done
	sqlite3 "$src" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
	echo "COMMIT;"
}

# big_fts_sql COPIES LO HI SPAN_MS prints the SQL that builds the full-text
# table of section 1's store, declared as in $DIR/ingest/events.db, in a
# database of its own. It contains the rows of the events in [LO, HI] and of
# their COPIES - 1 copies, inserted oldest first so that rowids only grow.
# A second sqlite3 process runs it beside big_copy_sql's. FTS5 keeps its
# whole index in the table's shadow tables, which then replace those of
# $DIR/big/events.db.
big_fts_sql() {
	local copies=$1 lo=$2 hi=$3 span=$4 k
	echo "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;"
	sqlite3 "$DIR/ingest/events.db" "SELECT sql || ';' FROM sqlite_master WHERE name = 'events_fts'"
	# FTS5 writes a segment whenever its pending terms pass hashsize
	# (FTS5_DEFAULT_HASHSIZE, 1 MiB, in SQLite's fts5 source), then merges
	# segments. 256 MB built 3000000 rows in 22.0 s instead of 31.6 s.
	echo "INSERT INTO events_fts(events_fts, rank) VALUES('hashsize', 268435456);"
	echo "ATTACH '$DIR/ingest/events.db' AS src;"
	echo "BEGIN;"
	# A row's full-text columns as the store builds them: the message, and
	# service, host and the field values joined by spaces.
	echo "CREATE TEMP TABLE fts_rows AS SELECT seq, message, trim(coalesce(service, '') || ' ' ||"
	echo " coalesce(host, '') || ' ' || coalesce((SELECT group_concat(value, ' ')"
	echo " FROM json_each(e.fields)), '')) AS extra FROM src.events e WHERE seq BETWEEN $lo AND $hi;"
	for k in $(seq $((copies - 1)) -1 0); do
		echo "INSERT INTO events_fts(rowid, message, extra)"
		echo " SELECT seq - $((k * span)) * 1048576, message, extra FROM fts_rows ORDER BY seq;"
	done
	echo "COMMIT;"
}

# seq_minute X prints the SQL for the minute of seq X, as the store rounds
# it: down, 60000 ms times 2^20 keys a minute.
seq_minute() {
	echo "(CASE WHEN $1 >= 0 THEN $1 / 62914560000 ELSE -((-$1 - 1) / 62914560000) - 1 END)"
}

# big_build_copy builds $DIR/big from section 1's store: its rows and as
# many copies of them as make BIG_EVENTS events, inserted by two sqlite3
# processes at once, one for the full-text index and one for the rest. The
# profile runs after the full-text process, on the same core, so the other
# process has one to itself. Sets BIG_WALL, BIG_CPU, BIG_SIZE and
# BIG_COPIES. Returns 1 when a statement fails, with the error of the sqlite3
# shell on stderr.
big_build_copy() {
	local start lo hi amax span fts_rc copy_end fts_end
	rm -rf "$DIR/big"
	mkdir -p "$DIR/big"
	BIG_COPIES=$(((BIG_EVENTS + STORED - 1) / STORED))
	log "memory: storing section 1's $STORED events and $((BIG_COPIES - 1)) copies of them in $DIR/big"
	start=$(date +%s%N)
	sqlite3 "$DIR/ingest/events.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null || return 1
	# The span, in ms, is the whole minutes of seq that the rows cover, as
	# minute_of in src/store_sqlite.c rounds them, so the copies' minutes do
	# not overlap either.
	read -r lo hi amax span <<<"$(sqlite3 -separator ' ' "$DIR/ingest/events.db" \
		"SELECT lo, hi, amax, ($(seq_minute hi) - $(seq_minute lo) + 1) * 60000
		 FROM (SELECT min(seq) AS lo, max(seq) AS hi, max(arr) AS amax FROM events)")"
	big_copy_sql "$BIG_COPIES" "$amax" "$span" >"$DIR/big-copy.sql"
	big_fts_sql "$BIG_COPIES" "$lo" "$hi" "$span" >"$DIR/big-fts.sql"
	# The last statement leaves the file in WAL mode, as the store keeps it.
	cat >"$DIR/big-fts-swap.sql" <<SQL
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;
ATTACH '$DIR/big-fts.db' AS fts;
BEGIN;
DELETE FROM main.events_fts_data;
DELETE FROM main.events_fts_idx;
INSERT INTO main.events_fts_data SELECT * FROM fts.events_fts_data;
INSERT INTO main.events_fts_idx SELECT * FROM fts.events_fts_idx;
COMMIT;
DETACH fts;
PRAGMA journal_mode=WAL;
SQL
	rm -f "$DIR/big-fts.db" "$DIR/big-fts.rc" "$DIR/big-fts.end"
	{
		/usr/bin/time -o "$DIR/big-fts.time" -f '%e %U %S %M' \
			sqlite3 -bail "$DIR/big-fts.db" <"$DIR/big-fts.sql" >/dev/null 2>"$DIR/big-fts.log"
		echo $? >"$DIR/big-fts.rc"
		date +%s%N >"$DIR/big-fts.end"
		bench_profile >"$DIR/profile.md"
	} &
	PROFILE_PID=$!
	PIDS+=("$PROFILE_PID")
	/usr/bin/time -o "$DIR/big.time" -f '%e %U %S %M' \
		sqlite3 -bail "$DIR/big/events.db" <"$DIR/big-copy.sql" >/dev/null 2>"$DIR/big.log" || {
		log "failed: copying the rows of section 1's store"
		tail -n 5 "$DIR/big.log" >&2
		return 1
	}
	copy_end=$(date +%s%N)
	profile_wait
	fts_rc=$(cat "$DIR/big-fts.rc" 2>/dev/null || echo 1)
	fts_end=$(cat "$DIR/big-fts.end" 2>/dev/null || echo "$copy_end")
	if [ "$fts_rc" != 0 ] || ! /usr/bin/time -o "$DIR/big-swap.time" -f '%e %U %S %M' \
		sqlite3 -bail "$DIR/big/events.db" <"$DIR/big-fts-swap.sql" >/dev/null 2>>"$DIR/big-fts.log"; then
		log "failed: building the full-text index of the copies"
		tail -n 5 "$DIR/big-fts.log" >&2
		return 1
	fi
	rm -f "$DIR/big-fts.db"
	# The wall time runs to the later end of the two sqlite3 processes, plus
	# the swap, so it leaves out the wait for the profile.
	BIG_WALL=$(awk -v a="$start" -v c="$copy_end" -v f="$fts_end" -v w="$(cut -d' ' -f1 "$DIR/big-swap.time")" \
		'BEGIN { e = c > f ? c : f; printf "%.1f", (e - a) / 1e9 + w }')
	BIG_CPU=$(cat "$DIR/big.time" "$DIR/big-fts.time" "$DIR/big-swap.time" |
		awk '{ s += $2 + $3 } END { printf "%.1f", s }')
	BIG_SIZE=$(du -sb "$DIR/big" | cut -f1)
}

# big_dashboard measures the dashboard viewer over $DIR/big as section 6 does
# over section 1's store, once, and sets BIG_FRAME, BIG_TUI_RSS, BIG_TUI_ANON.
big_dashboard() {
	local start pid
	log "memory: dashboard viewer over $DIR/big"
	BIG_TUI_RSS=n/a
	BIG_TUI_ANON=n/a
	start=$(date +%s%N)
	tui_start "$TOP --no-ingest --data-dir $DIR/big --listen off"
	BIG_FRAME=$(first_frame_ms "$start")
	sleep 1
	pid=$(tui_pid)
	if [ -n "$pid" ]; then
		BIG_TUI_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
		BIG_TUI_ANON=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
	fi
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	sleep 0.5
}

# big_http starts an HTTP viewer over $DIR/big, sends it BIG_REQUESTS requests
# of each section 2 query, and sets BIG_STORED, BIG_HTTP_RSS and BIG_HTTP_ANON.
big_http() {
	local port pid
	port=$(free_port)
	log "memory: HTTP viewer over $DIR/big on 127.0.0.1:$port"
	"$TOP" --headless --no-ingest --data-dir "$DIR/big" --listen "127.0.0.1:$port" \
		2>"$DIR/big-viewer.log" &
	pid=$!
	PIDS+=("$pid")
	wait_http "http://127.0.0.1:$port/health" || return 1
	BIG_STORED=$(curl -fs "http://127.0.0.1:$port/health" | sed -n 's/.*"events_stored":\([0-9]*\).*/\1/p')
	"$HTTP_LATENCY" "http://127.0.0.1:$port" "$DIR/queries.txt" "$BIG_REQUESTS" >"$DIR/big-latency.tsv"
	BIG_HTTP_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	BIG_HTTP_ANON=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
	kill "$pid" && wait "$pid" 2>/dev/null
}

# big_rows writes the section 7 rows of the big store to big-rows.md and the
# paragraph on it to big-text.md.
big_rows() {
	: >"$DIR/big-rows.md"
	[ "$BIG_BUILD" = ingest ] &&
		echo "| ingest of $BIG_EVENTS events from a pipe (below) | $BIG_RSS | |" >>"$DIR/big-rows.md"
	echo "| dashboard viewer over $BIG_STORED events, 1 s after its first frame | $BIG_TUI_RSS | $BIG_TUI_ANON |" >>"$DIR/big-rows.md"
	echo "| \`--no-ingest\` HTTP viewer over $BIG_STORED events after $((BIG_REQUESTS + 1)) requests of each section 2 query | $BIG_HTTP_RSS | $BIG_HTTP_ANON |" >>"$DIR/big-rows.md"
	if [ "$BIG_BUILD" = ingest ]; then
		cat >"$DIR/big-text.md" <<EOF
The store of $BIG_EVENTS events: \`streamlens-producer --seed 5 --count $BIG_EVENTS --rate 0 | streamlens-top --file - --once --query 'nothing-matches-this' --data-dir D --listen off\`
took $BIG_WALL s of wall time ($(rate_of "$BIG_EVENTS" "$BIG_WALL") events/s) and $BIG_CPU s of
CPU in streamlens-top.
EOF
	else
		cat >"$DIR/big-text.md" <<EOF
The store of $BIG_EVENTS events is section 1's store of $STORED events with
$((BIG_COPIES - 1)) copies of its rows (events, full-text rows, field rows and counts per
group and minute), from
SQL that bench/run.sh writes: each copy is older than the one before by the
minutes section 1's events cover, and its ids have the prefix \`copyK:\`.
\`sqlite3 D/events.db < big-copy.sql\` writes a new file with the tables of
section 1's store and all rows but the full-text ones, oldest first, and
creates the indexes after the rows. Beside it,
\`sqlite3 fts.db < big-fts.sql\` builds the full-text table of all
$BIG_EVENTS rows, whose shadow tables then replace those of D/events.db. That took
$BIG_WALL s of wall time and $BIG_CPU s of CPU; storing as many generated events through streamlens-top
(\`BENCH_BIG_BUILD=ingest\`) takes about one and a half times as long.
The rows are the same, but not their place in the file: the indexes, built
last, lie together at its end, while ingest interleaves the pages of every
table and index. Past the readers' memory map (the first 4 GiB) pages are
read with read(2) into SQLite's small page cache instead of being mapped,
so the peak RSS of the viewers below, which counts mapped file pages, is
lower than over an ingested store; their anonymous RSS is not.
EOF
	fi
	cat >>"$DIR/big-text.md" <<EOF

The store holds $BIG_STORED events in $(awk -v b="$BIG_SIZE" 'BEGIN { printf "%.2f", b / 1073741824 }') GiB in D ($(rate_of "$BIG_SIZE" "$BIG_STORED") bytes per
event, WAL included). Over it, the dashboard drew its first frame after
$BIG_FRAME ms (one run, measured as in section 6). The HTTP viewer's search
latency over it ($BIG_REQUESTS timed requests per query after one untimed, so
http_latency's p99 is the slowest of them), beside section 2's p50 over $STORED events:

| query | p50 ms, $STORED events | p50 ms, $BIG_STORED events | slowest ms, $BIG_STORED events |
|---|---|---|---|
$(paste "$DIR/latency.tsv" "$DIR/big-latency.tsv" |
	awk -F'\t' '{ gsub(/\|/, "\\|", $4); printf "| `%s` | %s | %s | %s |\n", $4, $1, $5, $6 }')

The store is deleted after these measurements.
EOF
}

# big_skip REASON writes one "not measured" row to big-rows.md and REASON to
# big-text.md.
big_skip() {
	echo "| ingest, dashboard and HTTP viewer over $BIG_EVENTS events | not measured | |" >"$DIR/big-rows.md"
	echo "$1" >"$DIR/big-text.md"
}

# bench_big builds a store of BIG_EVENTS events, measures the memory of the
# two viewers over it, deletes it, and writes the section 7 rows to
# big-rows.md and big-text.md. Returns 1 when a step failed.
bench_big() {
	local need avail rc=0
	if [ "$BIG_EVENTS" -le 0 ]; then
		big_skip "No store of BENCH_BIG_EVENTS events was built: BENCH_BIG_EVENTS=$BIG_EVENTS."
		return 0
	fi

	# The store is expected to take section 1's bytes per stored event times
	# BIG_EVENTS, and twice that must be free.
	need=$(du -sb "$DIR/ingest" | awk -v s="$STORED" -v n="$BIG_EVENTS" '{ printf "%.0f", 2 * $1 / s * n }')
	avail=$(df -B1 --output=avail "$DIR" | tail -n 1)
	if [ "$avail" -lt "$need" ]; then
		avail=$(awk -v b="$avail" 'BEGIN { printf "%.1f", b / 1073741824 }')
		need=$(awk -v b="$need" 'BEGIN { printf "%.1f", b / 2 / 1073741824 }')
		log "memory: skipped the store of $BIG_EVENTS events: $avail GiB free, 2 x $need GiB needed"
		big_skip "No store of $BIG_EVENTS events was built: $DIR had $avail GiB free, less than twice the $need GiB expected from the store of section 1."
		return 0
	fi

	# The profile counts instructions, which a build beside it does not
	# change, so it runs meanwhile (big_build_copy starts it itself). The
	# viewers are timed after both.
	[ "$BIG_BUILD" = copy ] || profile_start
	prepare_start
	if "big_build_$BIG_BUILD"; then
		profile_wait
		# The viewers are timed without the fetch beside them.
		wait "$PREP_PID" 2>/dev/null
		big_dashboard
		big_http || rc=1
		big_rows
	else
		profile_wait
		big_skip "Storing $BIG_EVENTS events failed; the end of the build's log is in the output of make bench."
		rc=1
	fi
	rm -rf "$DIR/big"
	return "$rc"
}

# --- profile ---------------------------------------------------------------------

# profile_start runs bench_profile in the background, writing profile.md.
profile_start() {
	bench_profile >"$DIR/profile.md" &
	PROFILE_PID=$!
	PIDS+=("$PROFILE_PID")
}

# profile_wait waits for the profile that profile_start began, if any.
profile_wait() { [ -z "$PROFILE_PID" ] || wait "$PROFILE_PID"; }

# profile_output prints profile.md, or runs bench_profile when profile_start
# was not called.
profile_output() {
	if [ -n "$PROFILE_PID" ]; then
		profile_wait
		cat "$DIR/profile.md"
	else
		bench_profile
	fi
}

# total_ir FILE prints the instruction total of a callgrind output.
total_ir() {
	callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

per_event() { awk -v i="$1" -v n="$2" 'BEGIN { printf "%.0f", i / n }'; }

bench_profile() {
	local top_ir lim_ir
	command -v valgrind >/dev/null || { echo "valgrind is not installed: no profile."; return 0; }
	[ -f "$DIR/profile.jsonl" ] ||
		"$PRODUCER" --seed 1 --count "$PROFILE_EVENTS" --rate 0 >"$DIR/profile.jsonl"
	log "callgrind: streamlens-top over $PROFILE_EVENTS events"
	rm -rf "$DIR/profile"
	valgrind --tool=callgrind --callgrind-out-file="$DIR/callgrind-top.out" \
		"$TOP" --file "$DIR/profile.jsonl" --from-start --once --query 'nothing-matches-this' \
		--data-dir "$DIR/profile" --listen off >/dev/null 2>"$DIR/callgrind.log"
	log "callgrind: sqlite_limit over the same events"
	rm -f "$DIR/profile-limit.db"*
	valgrind --tool=callgrind --toggle-collect=store_rows \
		--callgrind-out-file="$DIR/callgrind-limit.out" "$LIMIT" "$DIR/profile/events.db" \
		"$DIR/schema.sql" "$DIR/profile-limit.db" 2000 >/dev/null 2>>"$DIR/callgrind.log"
	top_ir=$(total_ir "$DIR/callgrind-top.out")
	lim_ir=$(total_ir "$DIR/callgrind-limit.out")

	cat <<EOF
## Where ingest spends its instructions

\`valgrind --tool=callgrind\` over $PROFILE_EVENTS events. These are instruction
counts, not time, so the other load on the machine does not change them.
\`perf stat -e instructions true\` prints <not supported> on this machine.

| program | instructions | per event |
|---|---|---|
| \`streamlens-top --file F --from-start --once ...\` (whole process) | $top_ir | $(per_event "$top_ir" "$PROFILE_EVENTS") |
| \`sqlite_limit\` (store_rows only, \`--toggle-collect=store_rows\`) | $lim_ir | $(per_event "$lim_ir" "$PROFILE_EVENTS") |

Instruction ratio limit / StreamLens: **$(ratio "$lim_ir" "$top_ir")x**. At 1.0x
StreamLens would do no more work per event than the bare inserts.

StreamLens, functions by their own (exclusive) instructions:

\`\`\`
$(callgrind_annotate "$DIR/callgrind-top.out" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,27p')
\`\`\`

StreamLens, inclusive instructions of its own functions:

\`\`\`
$(callgrind_annotate --inclusive=yes --auto=no "$DIR/callgrind-top.out" 2>/dev/null |
	grep 'streamlens-top\]' | head -n 30)
\`\`\`

EOF
}

main() {
	local rc=0
	mkdir -p "$DIR"
	log "scratch folder $DIR, $EVENTS events"
	START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	START_S=$(date +%s)
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	{
		bench_ingest || rc=1
		[ "$rc" = 0 ] && { bench_search || rc=1; }
		[ "$rc" = 0 ] && { bench_redis || rc=1; }
		command -v wrk >/dev/null && { bench_wrk || rc=1; }
	} >"$BODY"
	# Sections 6 and 7 run before 5, so that the jars and the virtualenv
	# section 5 needs are fetched while section 7 builds its store.
	: >"$DIR/section-5.md"
	: >"$DIR/section-6.md"
	[ "$rc" = 0 ] && { bench_tui >"$DIR/section-6.md" || rc=1; }
	[ "$rc" = 0 ] && { prepare_wait && bench_kafka >"$DIR/section-5.md" || rc=1; }
	cat "$DIR/section-5.md" "$DIR/section-6.md" >>"$BODY"
	[ "$rc" = 0 ] && profile_output >>"$BODY"
	{
		echo "# StreamLens benchmark results"
		echo
		echo "Written by \`make bench\` (bench/run.sh) at $START with BENCH_EVENTS=$EVENTS,"
		echo "BENCH_RUNS=$RUNS, BENCH_LONG_RUNS=$LONG_RUNS, BENCH_PY_RUNS=$PY_RUNS, BENCH_REQUESTS=$REQUESTS,"
		echo "BENCH_ES_EVENTS=$ES_EVENTS, BENCH_WARM_MAX=$WARM_MAX, BENCH_BIG_EVENTS=$BIG_EVENTS, BENCH_BIG_BUILD=$BIG_BUILD."
		echo "Every number in sections 1 to 7 and the profile comes from that one run,"
		echo "which took $(awk -v s="$(($(date +%s) - START_S))" 'BEGIN { printf "%d min %d s", s / 60, s % 60 }') from generating the events to writing this page"
		echo "(\`make bench\` also builds and checks what is installed first). The sections ran"
		echo "in the order 1, 2, 3, 4, 6, 7, 5: while section 7 built its store, the jars of"
		echo "Kafka and OpenSearch and the Python virtualenv of section 5 were fetched"
		echo "beside it, when they were not in the cache yet."
		echo
		echo "## Machine"
		echo
		machine_info
		echo
		cat "$BODY"
		# Findings and open fixes, written by hand from an earlier run.
		if [ -f "$HERE/findings.md" ]; then
			cat "$HERE/findings.md"
		fi
	} >"$OUT"
	log "wrote $OUT"
	[ "$rc" = 0 ] && [ -z "${BENCH_DIR:-}" ] && rm -rf "$DIR"
	return "$rc"
}

main "$@"
