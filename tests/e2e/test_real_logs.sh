#!/bin/bash
# End to end on real third-party logs: streamlens-top --headless ingests a
# file from its start; the HTTP API must count every line and answer queries
# with the counts grep finds in the same file.
. "$(dirname "$0")/../lib.sh"

if [ ! -d "$REAL" ]; then
	skip "real log files: $REAL is absent (it ships beside the repository, not in it)"
	exit 0
fi

# Lines that contain the token WORD as SQLite FTS5's unicode61 tokenizer splits
# them: letters and digits only, so '_' and '-' separate tokens.
count_word() {
	grep -ciE "(^|[^[:alnum:]])$1([^[:alnum:]]|$)" "$2"
}

# count_lines FILE: non-blank lines (blank lines are skipped on ingest).
count_lines() {
	grep -c '[^[:space:]]' "$1"
}

# last_offsets FILE N: byte offsets where the last N non-blank lines start,
# newest first, as StreamLens puts them at the end of each event id.
last_offsets() {
	python3 - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
starts, pos = [], 0
for m in re.finditer(rb"\r\n|\r|\n", data):
	if data[pos:m.start()].strip(b" \t"):
		starts.append(pos)
	pos = m.end()
if data[pos:].strip(b" \t"):
	starts.append(pos)
print(" ".join(str(s) for s in reversed(starts[-int(sys.argv[2]):])))
PY
}

# query PORT Q: the exact total /search gives for Q.
query() {
	http "$1" "/search?limit=1&q=$(urlencode "$2")" | json 'd["total"]'
}

# ingest NAME FILE: starts a fresh instance on FILE and waits for all lines.
ingest() {
	local name=$1 file=$2
	DIR="$TMP/$name"
	PORT=$(free_port)
	EXPECTED=$(count_lines "$file")
	start_headless "$DIR" "$PORT" --file "$file" --from-start --generate 0
	PID=$LAST_PID
	if ! wait_http "$PORT"; then
		fail "$name: HTTP API did not come up"
		cat "$DIR.out"
		return 1
	fi
	check "$name: every line ingested" "$EXPECTED" "$(wait_total "$PORT" "$EXPECTED")"
}

common_checks() {
	local name=$1 file=$2 latest expected_ids stats_sum
	latest=$(http "$PORT" "/latest?n=5" | json '" ".join(e["id"].rsplit(":", 1)[1] for e in d["events"])')
	expected_ids=$(last_offsets "$file" 5)
	check "$name: /latest returns the last lines newest first" "$expected_ids" "$latest"
	stats_sum=$(http "$PORT" "/stats?minutes=527040" | json 'sum(b["total"] for b in d["buckets"])')
	check "$name: /stats buckets add up to the total" "$EXPECTED" "$stats_sum"
	stats_sum=$(http "$PORT" "/stats?minutes=527040" | json 'd["totals"]["all"]')
	check "$name: /stats totals add up to the total" "$EXPECTED" "$stats_sum"
	stop "$PID"
	check "$name: SIGTERM exits 0" 0 "$STOP_STATUS"
}

f="$REAL/loghub/Apache_2k.log"
if ingest apache-error "$f"; then
	check "apache-error: level:error" "$(grep -c '^\[[^]]*\] \[error\]' "$f")" "$(query "$PORT" 'level:error')"
	check "apache-error: level:info is notice" "$(grep -cE '^\[[^]]*\] \[(notice|info)\]' "$f")" "$(query "$PORT" 'level:info')"
	check "apache-error: NOT level:error" "$(grep -vc '^\[[^]]*\] \[error\]' "$f")" "$(query "$PORT" 'NOT level:error')"
	check "apache-error: word workerEnv" "$(count_word workerenv "$f")" "$(query "$PORT" 'workerEnv')"
	check "apache-error: phrase" "$(grep -ci 'error state' "$f")" "$(query "$PORT" '"error state"')"
	check "apache-error: since:1h on 2005 data" 0 "$(query "$PORT" 'since:1h')"
	common_checks apache-error "$f"
fi

f="$REAL/loghub/OpenSSH_2k.log"
if ingest openssh "$f"; then
	check "openssh: service:sshd" "$(grep -c ' sshd\[' "$f")" "$(query "$PORT" 'service:sshd')"
	check "openssh: host:LabSZ" "$(grep -c ' LabSZ ' "$f")" "$(query "$PORT" 'host:LabSZ')"
	check "openssh: phrase" "$(grep -ci 'invalid user' "$f")" "$(query "$PORT" '"invalid user"')"
	check "openssh: OR" "$(grep -ciE 'invalid user|failed password' "$f")" \
		"$(query "$PORT" '"invalid user" OR "failed password"')"
	check "openssh: AND NOT" \
		"$(grep -iE '(^|[^[:alnum:]])preauth([^[:alnum:]]|$)' "$f" | grep -vciE '(^|[^[:alnum:]])disconnect([^[:alnum:]]|$)')" \
		"$(query "$PORT" 'preauth -disconnect')"
	check "openssh: --once prints the same matches" "$(grep -ci 'invalid user' "$f")" \
		"$("$TOP" --data-dir "$TMP/openssh" --once --query '"invalid user"' --listen off | wc -l)"
	common_checks openssh "$f"
fi

f="$REAL/loghub/Linux_2k.log"
if ingest linux-syslog "$f"; then
	check "linux-syslog: host:combo" "$(grep -c '^... .. ..:..:.. combo ' "$f")" "$(query "$PORT" 'host:combo')"
	check "linux-syslog: service:kernel" "$(grep -cE '^... .. ..:..:.. combo kernel(\[[0-9]+\])?:' "$f")" \
		"$(query "$PORT" 'service:kernel')"
	check "linux-syslog: word" "$(count_word authentication "$f")" "$(query "$PORT" 'authentication')"
	check "linux-syslog: two words" \
		"$(grep -iE '(^|[^[:alnum:]])authentication([^[:alnum:]]|$)' "$f" | grep -ciE '(^|[^[:alnum:]])failure([^[:alnum:]]|$)')" \
		"$(query "$PORT" 'authentication failure')"
	common_checks linux-syslog "$f"
fi

f="$REAL/lnav-test-fixtures/logfile_json.json"
if ingest json "$f"; then
	# Counted by hand from the file's "lvl" values.
	check "json: level:debug (DEBUG, DEBUG2..5)" 6 "$(query "$PORT" 'level:debug')"
	check "json: level:fatal (CRITICAL, FATAL)" 2 "$(query "$PORT" 'level:fatal')"
	check "json: level:warn" 1 "$(query "$PORT" 'level:warn')"
	check "json: word bad" 3 "$(query "$PORT" 'bad')"
	check "json: level:error OR level:fatal" 3 "$(query "$PORT" 'level:error OR level:fatal')"
	common_checks json "$f"
fi

f="$REAL/elastic-examples/apache_combined_access_first8000.log"
if ingest access "$f"; then
	check "access: 5xx is error" "$(grep -cE '" 5[0-9]{2} ' "$f")" "$(query "$PORT" 'level:error')"
	check "access: 4xx is warn" "$(grep -cE '" 4[0-9]{2} ' "$f")" "$(query "$PORT" 'level:warn')"
	check "access: word kibana" "$(count_word kibana "$f")" "$(query "$PORT" 'kibana')"
	check "access: kibana NOT level:info" \
		"$(grep -E '" [45][0-9]{2} ' "$f" | grep -ciE '(^|[^[:alnum:]])kibana([^[:alnum:]]|$)')" \
		"$(query "$PORT" 'kibana NOT level:info')"
	common_checks access "$f"
fi

finish
