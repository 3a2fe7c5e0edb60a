/* options.c: the option table and its three layers. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

enum opt_kind { KIND_FLAG, KIND_VALUE, KIND_LIST };

typedef struct opt_def {
	const char *name;
	int short_name; /* 0 for none */
	enum opt_kind kind;
	const char *arg; /* argument name for --help */
	const char *def; /* default value, or NULL */
	const char *help;
} opt_def;

/* Indexed by enum sl_opt_id. */
static const opt_def opt_table[OPT_COUNT] = {
	[OPT_FILE] = {"file", 'f', KIND_LIST, "PATH", NULL,
		      "follow a file like tail -F; '-' reads stdin; repeatable"},
	[OPT_FROM_START] = {"from-start", 0, KIND_FLAG, NULL, NULL,
			    "read files not seen before from the beginning, not the end"},
	[OPT_FORMAT] = {"format", 0, KIND_VALUE, "FMT", "auto",
			"input format: auto (detected per source), json, logfmt, syslog, combined, "
			"apache_error, log4j, python, glog, zap, zerolog, logcat, redis or plain"},
	[OPT_GENERATE] = {"generate", 'g', KIND_VALUE, "RATE", NULL,
			  "run the bundled generator at RATE events/s; 0 is off "
			  "(default 100 when no other source is given)"},
	[OPT_SEED] = {"seed", 0, KIND_VALUE, "N", NULL, "generator seed, for a repeatable sequence"},
	[OPT_MAX_LINE] = {"max-line", 0, KIND_VALUE, "BYTES", "1048576",
			  "longer lines are cut at this length and flagged"},
	[OPT_DATA_DIR] = {"data-dir", 'd', KIND_VALUE, "DIR", NULL,
			  "embedded store location (default $XDG_DATA_HOME/streamlens)"},
	[OPT_RETENTION] = {"retention", 0, KIND_VALUE, "DURATION", "7d",
			   "delete events received longer ago than this (e.g. 12h, 7d, 4w)"},
	[OPT_LISTEN] = {"listen", 'l', KIND_VALUE, "ADDR:PORT", "127.0.0.1:8080",
			"HTTP API address; 'off' disables it"},
	[OPT_HEADLESS] = {"headless", 0, KIND_FLAG, NULL, NULL,
			  "no dashboard: ingest and serve HTTP until SIGTERM"},
	[OPT_NO_INGEST] = {"no-ingest", 0, KIND_FLAG, NULL, NULL,
			   "viewer only: read the stores, consume nothing"},
	[OPT_QUERY] = {"query", 'q', KIND_VALUE, "QUERY", NULL,
		       "initial query; with --once, the query to print"},
	[OPT_ONCE] = {"once", 0, KIND_FLAG, NULL, NULL,
		      "ingest the given files to their end, print the events matching "
		      "--query as JSON lines (oldest first) and exit"},
	[OPT_LIMIT] = {"limit", 0, KIND_VALUE, "N", "10000",
		       "with --once, print at most the N newest matches (at most 10000)"},
	[OPT_NO_COLOR] = {"no-color", 0, KIND_FLAG, NULL, NULL,
			  "monochrome dashboard (also when NO_COLOR is set and not empty)"},
	[OPT_NO_MOUSE] = {"no-mouse", 0, KIND_FLAG, NULL, NULL,
			  "leave the mouse to the terminal, so text can be selected there"},
	[OPT_FPS] = {"fps", 0, KIND_VALUE, "N", "5",
		     "dashboard redraws per second at most when data changes (1 to 60)"},
	[OPT_LOG_FILE] = {"log-file", 0, KIND_VALUE, "PATH", NULL,
			  "internal log file while the dashboard runs (default DATA_DIR/streamlens.log)"},
	[OPT_VERBOSE] = {"verbose", 'v', KIND_FLAG, NULL, NULL, "log debug messages"},
	[OPT_BROKERS] = {"brokers", 'b', KIND_VALUE, "LIST", NULL, "consume from these Kafka brokers"},
	[OPT_TOPIC] = {"topic", 't', KIND_VALUE, "NAME", "logs", "Kafka topic"},
	[OPT_GROUP] = {"group", 0, KIND_VALUE, "ID", "streamlens", "Kafka consumer group"},
	[OPT_XPROP] = {"property", 'X', KIND_LIST, "KEY=VALUE", NULL,
		       "extra librdkafka property; repeatable"},
	[OPT_ES] = {"es", 0, KIND_VALUE, "URL", NULL, "Elasticsearch/OpenSearch search store"},
	[OPT_ES_INDEX] = {"es-index", 0, KIND_VALUE, "PREFIX", "streamlens", "index name prefix"},
	[OPT_ES_USER] = {"es-user", 0, KIND_VALUE, "NAME", NULL,
			 "Elasticsearch basic-auth user; the password comes from --es-password-file "
			 "or STREAMLENS_ES_PASSWORD"},
	[OPT_ES_PASSWORD_FILE] = {"es-password-file", 0, KIND_VALUE, "FILE", NULL,
				  "file whose first line is the Elasticsearch password"},
	[OPT_ES_API_KEY_FILE] = {"es-api-key-file", 0, KIND_VALUE, "FILE", NULL,
				 "file whose first line is an Elasticsearch API key "
				 "(or STREAMLENS_ES_API_KEY)"},
	[OPT_ES_CA_CERT] = {"es-ca-cert", 0, KIND_VALUE, "FILE", NULL,
			    "CA certificate (PEM) that signed the Elasticsearch TLS certificate"},
	[OPT_ES_INSECURE] = {"es-insecure", 0, KIND_FLAG, NULL, NULL,
			     "skip TLS certificate verification (testing only)"},
	[OPT_ES_COMPRESS] = {"es-compress", 0, KIND_VALUE, "WHEN", "auto",
			     "gzip _bulk requests: always, never, or auto (unless the node is on a "
			     "loopback address)"},
	[OPT_REDIS] = {"redis", 0, KIND_VALUE, "HOST:PORT", NULL, "Redis hot store"},
	[OPT_REDIS_PASSWORD_FILE] = {"redis-password-file", 0, KIND_VALUE, "FILE", NULL,
				     "file whose first line is the Redis password "
				     "(or STREAMLENS_REDIS_PASSWORD)"},
	[OPT_HTTP_TOKEN_FILE] = {"http-token-file", 0, KIND_VALUE, "FILE", NULL,
				 "file whose first line is a bearer token that every HTTP API "
				 "request must send (or STREAMLENS_HTTP_TOKEN)"},
	[OPT_OUTPUT] = {"output", 'o', KIND_VALUE, "FILE", NULL,
			"with --once, write every match (no --limit cap, newest first) to FILE"},
	[OPT_OUTPUT_FORMAT] = {"output-format", 0, KIND_VALUE, "FMT", NULL,
			       "format of --output: jsonl or csv (default: csv for a .csv FILE, "
			       "else jsonl)"},
	[OPT_CONFIG] = {"config", 'c', KIND_VALUE, "FILE", NULL,
			"key = value file with long option names "
			"(default $XDG_CONFIG_HOME/streamlens/config)"},
	[OPT_HELP] = {"help", 'h', KIND_FLAG, NULL, NULL, "show this help and exit"},
	[OPT_VERSION] = {"version", 'V', KIND_FLAG, NULL, NULL, "show the version and exit"},
};

static void set_value(sl_options *o, int id, const char *value, int layer)
{
	sl_optval *v = &o->v[id];
	size_t i;

	/* A higher layer replaces what lower layers gave, even for lists. */
	if (v->layer != layer) {
		for (i = 0; i < v->n; i++)
			free(v->values[i]);
		v->n = 0;
		v->layer = layer;
	}
	if (opt_table[id].kind != KIND_LIST && v->n) {
		free(v->values[0]);
		v->n = 0;
	}
	v->values = sl_realloc(v->values, (v->n + 1) * sizeof *v->values);
	v->values[v->n++] = sl_strdup(value);
}

static int find_option(const char *name, size_t len)
{
	int i;

	for (i = 0; i < OPT_COUNT; i++) {
		if (strlen(opt_table[i].name) == len && strncmp(opt_table[i].name, name, len) == 0)
			return i;
	}
	if (len == 1 && name[0] == 'X')
		return OPT_XPROP;
	return -1;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* Sets an option from the config file or the environment, where flags take
 * a boolean value. */
static int set_from_text(sl_options *o, int id, const char *value, int layer)
{
	int b;

	if (opt_table[id].kind != KIND_FLAG) {
		set_value(o, id, value, layer);
		return 0;
	}
	if (parse_bool(value, &b) != 0)
		return -1;
	set_value(o, id, b ? "1" : "0", layer);
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Reads `key = value` lines; '#' starts a comment line. A missing default
 * config file is fine, a missing explicit one is an error. */
static int load_config(sl_options *o, const char *path, int explicit)
{
	char line[4096];
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (!explicit && errno == ENOENT)
			return 0;
		fprintf(stderr, "streamlens-top: cannot read config file %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	for (;;) {
		char *key, *value, *eq;
		int id;

		if (!fgets(line, sizeof line, f)) {
			if (ferror(f)) {
				fprintf(stderr, "streamlens-top: cannot read config file %s: %s\n", path,
					strerror(errno));
				rc = -1;
			}
			break;
		}
		lineno++;
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			fprintf(stderr, "%s:%d: expected 'key = value'\n", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		id = find_option(key, strlen(key));
		if (id < 0 || id == OPT_CONFIG || id == OPT_HELP || id == OPT_VERSION) {
			fprintf(stderr, "%s:%d: unknown option '%s'\n", path, lineno, key);
			rc = -1;
			break;
		}
		if (set_from_text(o, id, value, 1) != 0) {
			fprintf(stderr, "%s:%d: invalid value '%s' for %s (expected true or false)\n",
				path, lineno, value, key);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* STREAMLENS_DATA_DIR sets --data-dir, and so on for every option. */
static int load_env(sl_options *o)
{
	char name[64];
	int id;
	size_t i;

	for (id = 0; id < OPT_COUNT; id++) {
		const char *value;

		if (id == OPT_HELP || id == OPT_VERSION || id == OPT_CONFIG)
			continue;
		snprintf(name, sizeof name, "STREAMLENS_%s", opt_table[id].name);
		for (i = 11; name[i]; i++)
			name[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
		value = getenv(name);
		if (!value || !*value)
			continue;
		if (set_from_text(o, id, value, 2) != 0) {
			fprintf(stderr, "streamlens-top: invalid value '%s' in %s (expected true or false)\n",
				value, name);
			return -1;
		}
	}
	return 0;
}

static int parse_argv(sl_options *o, int argc, char **argv)
{
	struct option longopts[OPT_COUNT + 1];
	char shortopts[OPT_COUNT * 2 + 2];
	size_t ns = 0;
	int i, c;

	shortopts[ns++] = ':';
	for (i = 0; i < OPT_COUNT; i++) {
		longopts[i].name = opt_table[i].name;
		longopts[i].has_arg = opt_table[i].kind == KIND_FLAG ? no_argument : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + i;
		if (opt_table[i].short_name) {
			shortopts[ns++] = (char)opt_table[i].short_name;
			if (opt_table[i].kind != KIND_FLAG)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[OPT_COUNT], 0, sizeof longopts[OPT_COUNT]);
	shortopts[ns] = '\0';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int id = -1;

		if (c >= 256) {
			id = c - 256;
		} else if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			if (c == ':')
				fprintf(stderr, "streamlens-top: option %s needs a value\n", what);
			else
				fprintf(stderr, "streamlens-top: unknown option %s\n", what);
			fprintf(stderr, "Try 'streamlens-top --help'.\n");
			return -1;
		} else {
			for (i = 0; i < OPT_COUNT; i++) {
				if (opt_table[i].short_name == c)
					id = i;
			}
		}
		set_value(o, id, opt_table[id].kind == KIND_FLAG ? "1" : optarg, 3);
	}
	if (optind < argc) {
		fprintf(stderr, "streamlens-top: unexpected argument '%s' (files go after --file)\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

int sl_options_load(sl_options *o, int argc, char **argv)
{
	const char *config;
	char path[4096];
	const char *xdg, *home;

	memset(o, 0, sizeof *o);
	if (parse_argv(o, argc, argv) != 0)
		return -1;
	if (sl_opt_flag(o, OPT_HELP) || sl_opt_flag(o, OPT_VERSION))
		return 0;

	/* Lower layers go in under the command line: set_value keeps the
	 * command line's values because a lower layer never replaces them. */
	config = sl_opt_str(o, OPT_CONFIG);
	if (!config)
		config = getenv("STREAMLENS_CONFIG");
	if (config) {
		snprintf(path, sizeof path, "%s", config);
	} else {
		xdg = getenv("XDG_CONFIG_HOME");
		home = getenv("HOME");
		if (xdg && *xdg)
			snprintf(path, sizeof path, "%s/streamlens/config", xdg);
		else
			snprintf(path, sizeof path, "%s/.config/streamlens/config", home ? home : ".");
	}

	{
		sl_options lower;
		int id;

		memset(&lower, 0, sizeof lower);
		if (load_config(&lower, path, config != NULL) != 0 || load_env(&lower) != 0) {
			sl_options_free(&lower);
			return -1;
		}
		for (id = 0; id < OPT_COUNT; id++) {
			if (o->v[id].layer == 0 && lower.v[id].n) {
				o->v[id] = lower.v[id];
				memset(&lower.v[id], 0, sizeof lower.v[id]);
			}
		}
		sl_options_free(&lower);
	}
	return 0;
}

void sl_options_free(sl_options *o)
{
	size_t i;
	int id;

	for (id = 0; id < OPT_COUNT; id++) {
		for (i = 0; i < o->v[id].n; i++)
			free(o->v[id].values[i]);
		free(o->v[id].values);
	}
	memset(o, 0, sizeof *o);
}

const char *sl_opt_str(const sl_options *o, enum sl_opt_id id)
{
	if (o->v[id].n)
		return o->v[id].values[o->v[id].n - 1];
	return opt_table[id].def;
}

int sl_opt_flag(const sl_options *o, enum sl_opt_id id)
{
	const char *s = sl_opt_str(o, id);

	return s && strcmp(s, "1") == 0;
}

const char *sl_opt_name(enum sl_opt_id id)
{
	return opt_table[id].name;
}

const char *sl_opt_origin(const sl_options *o, enum sl_opt_id id)
{
	switch (o->v[id].layer) {
	case 1:
		return " (from the config file)";
	case 2:
		return " (from the environment)";
	default:
		return "";
	}
}

int sl_opt_given(const sl_options *o, enum sl_opt_id id)
{
	return o->v[id].n > 0;
}

void sl_options_usage(FILE *out, const char *prog)
{
	char left[64];
	int i;

	fprintf(out, "Usage: %s [OPTION]...\n"
		     "Real-time log analytics in the terminal: ingest, search and count logs.\n\n",
		prog);
	for (i = 0; i < OPT_COUNT; i++) {
		const opt_def *d = &opt_table[i];
		char shortpart[8] = "    ";

		if (d->short_name)
			snprintf(shortpart, sizeof shortpart, "-%c, ", d->short_name);
		snprintf(left, sizeof left, "%s--%s%s%s", shortpart, d->name, d->arg ? " " : "",
			 d->arg ? d->arg : "");
		fprintf(out, "  %-28s %s", left, d->help);
		if (d->def)
			fprintf(out, " [%s]", d->def);
		fputc('\n', out);
	}
	fprintf(out, "\nEvery option can also be set as STREAMLENS_NAME in the environment\n"
		     "(STREAMLENS_DATA_DIR for --data-dir) or as 'name = value' in the config file.\n"
		     "\nKeys in the dashboard:\n"
		     "  /            edit the query (a '|' aggregates: count by F, top N F,\n"
		     "               timechart SPAN by F); Up/Down recall earlier queries;\n"
		     "               Tab completes field names and recent values\n"
		     "  j/k, arrows  move the cursor     PgUp/PgDn  by a page\n"
		     "  g/G          top, bottom (G follows the tail again)\n"
		     "  e/E          next, previous error\n"
		     "  Tab          focus the tail, the results, the chart in turn\n"
		     "  h/l          move the chart cursor; Enter filters the tail and the\n"
		     "               results to that bar's minutes, Esc clears the filter\n"
		     "  Enter        event detail (fields and raw line)  Esc  back\n"
		     "  p, space     pause or resume the tail  c  collapse repeated lines\n"
		     "  y, Y         copy the raw line, the event as JSON (OSC 52 clipboard)\n"
		     "  P            pipeline view (lag, store errors, dead letters);\n"
		     "               r retries the dead letters there\n"
		     "  1-4          chart window 15m, 1h, 6h, 24h\n"
		     "  s            save the focused pane to a file (.csv or .jsonl)\n"
		     "  mouse        wheel scrolls, click selects, a second click opens the\n"
		     "               detail, a click on a chart bar filters (see --no-mouse)\n"
		     "  ?            help     q  quit\n");
}
