/* main.c: streamlens-top: wires options, stores, sources, the ingest
 * thread, the HTTP API and the dashboard together. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tui/tui.h"
#include "app.h"
#include "deadletter.h"
#include "dlq_kafka.h"
#include "export.h"
#include "hot_redis.h"
#include "http.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"
#include "source_retry.h"
#include "query.h"
#include "source_kafka.h"
#include "store_es.h"

#define SL_VERSION "0.1.0"
#define PROG "streamlens-top"

static void on_quit_signal(int sig)
{
	(void)sig;
	sl_request_quit();
}

/* Set once the dashboard owns the terminal: a hangup then means the
 * terminal is gone (an SSH session closed), so the process quits. */
static volatile sig_atomic_t hup_quits;

static void on_hup(int sig)
{
	(void)sig;
	if (hup_quits)
		sl_request_quit();
	else
		sl_log_request_reopen();
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Validated settings derived from the options. */
typedef struct run_conf {
	const char *data_dir;
	char data_dir_buf[4096];
	const sl_decoder *format;
	double gen_rate;
	uint64_t seed;
	size_t max_line;
	int64_t retention_ms;
	long long limit;
	long long fps;
	int tui;
	int temp_store; /* --once on files without --data-dir: a private store */
} run_conf;

static int fail_value(const sl_options *o, enum sl_opt_id id, const char *value,
		      const char *expected)
{
	fprintf(stderr, "%s: invalid --%s '%s'%s: expected %s\n", PROG, sl_opt_name(id), value,
		sl_opt_origin(o, id), expected);
	return -1;
}

static void default_data_dir(run_conf *rc)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(rc->data_dir_buf, sizeof rc->data_dir_buf, "%s/streamlens", xdg);
	else
		snprintf(rc->data_dir_buf, sizeof rc->data_dir_buf, "%s/.local/share/streamlens",
			 home && *home ? home : ".");
	rc->data_dir = rc->data_dir_buf;
}

static int resolve_generator(const sl_options *o, run_conf *rc)
{
	const char *s = sl_opt_str(o, OPT_GENERATE);
	long long seed;
	char *end;

	rc->gen_rate = 0;
	if (s) {
		errno = 0;
		rc->gen_rate = strtod(s, &end);
		if (errno || end == s || *end || rc->gen_rate < 0 || rc->gen_rate > 1e7)
			return fail_value(o, OPT_GENERATE, s, "events per second from 0 to 10000000");
	} else if (!sl_opt_given(o, OPT_FILE) && !sl_opt_given(o, OPT_BROKERS) &&
		   !sl_opt_flag(o, OPT_ONCE) && !sl_opt_flag(o, OPT_NO_INGEST)) {
		rc->gen_rate = 100;
	}

	rc->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	s = sl_opt_str(o, OPT_SEED);
	if (s) {
		if (sl_parse_int(s, 0, INT64_MAX, &seed) != 0)
			return fail_value(o, OPT_SEED, s, "a non-negative integer");
		rc->seed = (uint64_t)seed;
	}
	return 0;
}

/* Checks "off" or HOST:PORT; the address itself is resolved when the HTTP
 * server starts. */
static int check_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	long long port;

	if (strcmp(s, "off") == 0)
		return 0;
	if (!colon || colon == s)
		return -1;
	return sl_parse_int(colon + 1, 0, 65535, &port);
}

static int resolve(const sl_options *o, run_conf *rc)
{
	const char *s;
	long long n;
	int ok = 0;

	memset(rc, 0, sizeof *rc);
	s = sl_opt_str(o, OPT_FORMAT);
	rc->format = sl_decoder_find(s, &ok);
	if (!ok) {
		char expected[512];

		snprintf(expected, sizeof expected, "one of %s", sl_decoder_names_text());
		return fail_value(o, OPT_FORMAT, s, expected);
	}
	if (resolve_generator(o, rc) != 0)
		return -1;

	s = sl_opt_str(o, OPT_MAX_LINE);
	if (sl_parse_int(s, 256, 64LL * 1024 * 1024, &n) != 0)
		return fail_value(o, OPT_MAX_LINE, s, "a byte count from 256 to 67108864");
	rc->max_line = (size_t)n;
	s = sl_opt_str(o, OPT_RETENTION);
	if (sl_parse_duration(s, &rc->retention_ms) != 0 || rc->retention_ms < 60000)
		return fail_value(o, OPT_RETENTION, s, "a duration of at least 1m, such as 12h or 7d");
	s = sl_opt_str(o, OPT_LIMIT);
	if (sl_parse_int(s, 1, 10000, &rc->limit) != 0)
		return fail_value(o, OPT_LIMIT, s, "an integer from 1 to 10000");
	s = sl_opt_str(o, OPT_FPS);
	if (sl_parse_int(s, 1, 60, &rc->fps) != 0)
		return fail_value(o, OPT_FPS, s, "an integer from 1 to 60");

	s = sl_opt_str(o, OPT_LISTEN);
	if (check_listen(s) != 0)
		return fail_value(o, OPT_LISTEN, s, "off or ADDRESS:PORT with a port from 0 to 65535");

	s = sl_opt_str(o, OPT_DATA_DIR);
	if (s) {
		snprintf(rc->data_dir_buf, sizeof rc->data_dir_buf, "%s", s);
		rc->data_dir = rc->data_dir_buf;
	} else if (sl_opt_flag(o, OPT_ONCE) && sl_opt_given(o, OPT_FILE) && !sl_opt_given(o, OPT_ES)) {
		/* A structured grep over the given files must not print what
		 * earlier runs stored in the default store. */
		const char *tmp = getenv("TMPDIR");

		snprintf(rc->data_dir_buf, sizeof rc->data_dir_buf, "%s/streamlens-once.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(rc->data_dir_buf)) {
			fprintf(stderr, "%s: cannot create a temporary store in %s: %s\n", PROG,
				rc->data_dir_buf, strerror(errno));
			return -1;
		}
		rc->data_dir = rc->data_dir_buf;
		rc->temp_store = 1;
	} else {
		default_data_dir(rc);
	}
	rc->tui = !sl_opt_flag(o, OPT_HEADLESS) && !sl_opt_flag(o, OPT_ONCE);
	return 0;
}

/* Creates dir and its parents with mode 0700. Returns 0, or -1 with errno. */
static int make_dirs(const char *dir)
{
	char path[4096];
	char *p;

	snprintf(path, sizeof path, "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Sends the log to a file while the dashboard owns the terminal. */
static int setup_log(const sl_options *o, const run_conf *rc)
{
	char path[4200];
	const char *s = sl_opt_str(o, OPT_LOG_FILE);

	sl_log_set_level(sl_opt_flag(o, OPT_VERBOSE) ? SL_LOG_DEBUG : SL_LOG_INFO);
	if (!rc->tui && !s) {
		if (sl_opt_flag(o, OPT_ONCE) && !sl_opt_flag(o, OPT_VERBOSE))
			sl_log_set_level(SL_LOG_WARN);
		return 0;
	}
	if (s) {
		snprintf(path, sizeof path, "%s", s);
	} else {
		if (make_dirs(rc->data_dir) != 0) {
			fprintf(stderr, "%s: cannot create data directory %s: %s\n", PROG,
				rc->data_dir, strerror(errno));
			return -1;
		}
		snprintf(path, sizeof path, "%s/streamlens.log", rc->data_dir);
	}
	if (sl_log_open(path) != 0) {
		fprintf(stderr, "%s: cannot open log file %s: %s\n", PROG, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int add_kafka(const sl_options *o, const run_conf *rc, sl_app *app)
{
	const sl_optval *props = &o->v[OPT_XPROP];
	sl_kafka_conf kc = {
		.brokers = sl_opt_str(o, OPT_BROKERS),
		.topic = sl_opt_str(o, OPT_TOPIC),
		.group = sl_opt_str(o, OPT_GROUP),
		.props = (const char *const *)props->values,
		.nprops = props->n,
		.format = rc->format,
	};
	sl_source *src;
	sl_error err;

	memset(&err, 0, sizeof err);
	src = sl_source_kafka_open(&kc, &err);
	if (!src) {
		fprintf(stderr, "%s: cannot consume from Kafka: %s\n", PROG, err.message);
		return -2;
	}
	sl_pipeline_add_source(app->pipeline, src);
	return 0;
}

/* Opens every --file, the Kafka consumer and the generator. Returns 0, -1
 * after printing which file failed, or -2 for an invalid Kafka setting. */
static int add_sources(const sl_options *o, const run_conf *rc, sl_app *app)
{
	const sl_optval *files = &o->v[OPT_FILE];
	size_t i;
	sl_error err;

	for (i = 0; i < files->n; i++) {
		sl_file_conf fc = {
			.path = files->values[i],
			.from_start = sl_opt_flag(o, OPT_FROM_START),
			.max_line = rc->max_line,
			.once = sl_opt_flag(o, OPT_ONCE),
			.format = rc->format,
		};
		sl_source *src;

		memset(&err, 0, sizeof err);
		src = sl_source_file_open(&fc, app->store, &err);
		if (!src) {
			fprintf(stderr, "%s: %s\n", PROG, err.message);
			return -1;
		}
		sl_pipeline_add_source(app->pipeline, src);
	}
	if (sl_opt_given(o, OPT_BROKERS) && add_kafka(o, rc, app) != 0)
		return -2;
	if (rc->gen_rate > 0)
		sl_pipeline_add_source(app->pipeline, sl_source_gen_open(rc->gen_rate, rc->seed, 0));
	return 0;
}

/* --query Q --once: prints the matches oldest first as JSON lines. */
/* Prints the rows of a '|' aggregation as JSON lines, in the order the
 * store returns them. Returns the exit status, as print_matches does. */
static int print_aggregation(sl_app *app, const sl_search_req *req)
{
	sl_agg_res res;
	sl_error err;
	sl_buf line;
	size_t i;
	int rc;

	memset(&err, 0, sizeof err);
	rc = app->store->ops->aggregate(app->store, req, &res, &err);
	if (rc != SL_OK) {
		fprintf(stderr, "%s: %s: %s\n", PROG,
			rc == SL_ERR_QUERY ? "invalid query" : "aggregation failed", err.message);
		return rc == SL_ERR_QUERY ? 2 : 1;
	}
	sl_buf_init(&line);
	for (i = 0; i < res.nrows; i++) {
		sl_buf_reset(&line);
		sl_agg_row_json(&res, i, &line);
		sl_buf_putc(&line, '\n');
		fwrite(line.data, 1, line.len, stdout);
	}
	sl_buf_free(&line);
	sl_agg_res_free(&res);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int print_matches(sl_app *app, const char *query, long long limit)
{
	sl_search_req req = {
		.query = query ? query : "",
		.from_ms = INT64_MIN,
		.to_ms = INT64_MAX,
		.limit = (size_t)limit,
		.now_ms = sl_now_ms(),
	};
	sl_search_res res;
	sl_error err;
	sl_buf line;
	size_t i;
	int rc;

	if (sl_query_has_pipe(req.query))
		return print_aggregation(app, &req);
	memset(&res, 0, sizeof res);
	memset(&err, 0, sizeof err);
	rc = app->store->ops->search(app->store, &req, &res, &err);
	if (rc == SL_ERR_QUERY) {
		fprintf(stderr, "%s: invalid query: %s\n", PROG, err.message);
		return 2;
	}
	if (rc != SL_OK) {
		fprintf(stderr, "%s: search failed: %s\n", PROG, err.message);
		return 1;
	}

	sl_buf_init(&line);
	for (i = res.nhits; i > 0; i--) {
		sl_buf_reset(&line);
		sl_event_to_json(&res.hits[i - 1], &line, 0);
		sl_buf_putc(&line, '\n');
		fwrite(line.data, 1, line.len, stdout);
	}
	sl_buf_free(&line);
	if (res.total > res.nhits)
		fprintf(stderr, "%s: printed the %zu newest of %" PRIu64 " matches; raise --limit "
			"(at most 10000), write every match with --output FILE, or narrow the "
			"query\n", PROG, res.nhits, res.total);
	sl_search_res_free(&res);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Picks the --output format: --output-format, else by the file's
 * extension. Returns 0, or -1 after printing why. */
static int output_format(const sl_options *o, const char *path, sl_export_format *fmt)
{
	const char *name = sl_opt_str(o, OPT_OUTPUT_FORMAT);

	if (!name) {
		*fmt = sl_export_format_of_path(path);
		return 0;
	}
	if (sl_export_format_parse(name, fmt) == 0)
		return 0;
	fprintf(stderr, "%s: invalid --output-format '%s'%s: expected jsonl or csv\n", PROG, name,
		sl_opt_origin(o, OPT_OUTPUT_FORMAT));
	return -1;
}

/* --query Q --once --output FILE: writes every match, or the aggregation
 * rows, to FILE. Returns the exit status: 0, 1 when the store or the write
 * failed, 2 for an invalid query or format. */
static int export_matches(const sl_options *o, sl_app *app)
{
	const char *path = sl_opt_str(o, OPT_OUTPUT);
	const char *query = sl_opt_str(o, OPT_QUERY) ? sl_opt_str(o, OPT_QUERY) : "";
	sl_export_format fmt;
	uint64_t written = 0;
	sl_error err;
	FILE *f;
	int rc;

	if (output_format(o, path, &fmt) != 0)
		return 2;
	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: cannot open --output '%s': %s\n", PROG, path, strerror(errno));
		return 1;
	}
	memset(&err, 0, sizeof err);
	if (sl_query_has_pipe(query))
		rc = sl_export_aggregation(app->store, query, sl_now_ms(), fmt, f, &written, &err);
	else
		rc = sl_export_search(app->store, query, sl_now_ms(), fmt, f, &written, &err);
	if (fflush(f) != 0 && rc == SL_OK) {
		sl_error_set(&err, 0, "write failed: %s", strerror(errno));
		rc = SL_ERR;
	}
	if (f != stdout && fclose(f) != 0 && rc == SL_OK) {
		sl_error_set(&err, 0, "write failed: %s", strerror(errno));
		rc = SL_ERR;
	}
	if (rc == SL_ERR_QUERY) {
		fprintf(stderr, "%s: invalid query: %s\n", PROG, err.message);
		return 2;
	}
	if (rc != SL_OK) {
		fprintf(stderr, "%s: export to '%s' failed: %s\n", PROG, path, err.message);
		return 1;
	}
	return 0;
}

static void wait_headless(void)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};

	while (!sl_quit_requested())
		nanosleep(&ts, NULL);
}

static int run_interactive(const sl_options *o, const run_conf *rc, sl_app *app,
			   const char *sources, sl_source *retry)
{
	const char *state, *home;
	char history[4200], dead[4200];
	tui_options topts = {
		.source_desc = sources,
		.store_desc = app->store->description,
		.initial_query = sl_opt_str(o, OPT_QUERY),
		.history_path = history,
		/* An empty NO_COLOR leaves colour on (no-color.org). */
		.no_color = sl_opt_flag(o, OPT_NO_COLOR) ||
			    (getenv("NO_COLOR") && getenv("NO_COLOR")[0]),
		.no_mouse = sl_opt_flag(o, OPT_NO_MOUSE),
		.fps = (int)rc->fps,
		.deadletter_path = dead,
		.retry_source = retry,
	};

	snprintf(dead, sizeof dead, "%s/dead-letters.jsonl", rc->data_dir);

	/* Query history is state, not data: it follows XDG_STATE_HOME. */
	state = getenv("XDG_STATE_HOME");
	home = getenv("HOME");
	if (state && *state)
		snprintf(history, sizeof history, "%s/streamlens/query_history", state);
	else if (home && *home)
		snprintf(history, sizeof history, "%s/.local/state/streamlens/query_history", home);
	else
		snprintf(history, sizeof history, "%s/query_history", rc->data_dir);
	sl_set_fatal_hook(tui_emergency_restore);
	hup_quits = 1;
	return tui_run(app, &topts);
}

static char *read_secret(const sl_options *o, enum sl_opt_id id, const char *env, int *failed);

/* Runs the dashboard, the headless loop or the one-shot query on an open
 * store. Returns the process exit status. */
static int run(const sl_options *o, const run_conf *rc, sl_app *app)
{
	sl_pipeline_conf pconf = {.retention_ms = rc->retention_ms};
	const char *listen = sl_opt_str(o, OPT_LISTEN);
	sl_pipeline_stats st;
	sl_source *retry = NULL;
	sl_http *http = NULL;
	sl_error err;
	int status = 0, rc_sources;

	memset(&err, 0, sizeof err);
	memset(&st, 0, sizeof st);
	if (!sl_opt_flag(o, OPT_NO_INGEST)) {
		app->pipeline = sl_pipeline_new(app->store, app->hot, &pconf);
		rc_sources = add_sources(o, rc, app);
		if (rc_sources != 0)
			return rc_sources == -2 ? 2 : 1;
		/* The header names the sources given, taken before the retry
		 * source joins them. */
		sl_pipeline_get_stats(app->pipeline, &st);
	}
	/* The dashboard's dead-letter retry goes through the ingest thread
	 * into the embedded store; the Elasticsearch store is written from
	 * the dashboard directly. */
	if (app->pipeline && rc->tui && !sl_opt_flag(o, OPT_ONCE) && !sl_opt_given(o, OPT_ES)) {
		retry = sl_source_retry_open();
		sl_pipeline_add_source(app->pipeline, retry);
	}

	if (sl_opt_flag(o, OPT_ONCE)) {
		if (app->pipeline && sl_pipeline_drain(app->pipeline, &err) != 0) {
			fprintf(stderr, "%s: ingest failed: %s\n", PROG, err.message);
			return 1;
		}
		if (sl_opt_given(o, OPT_OUTPUT))
			return export_matches(o, app);
		return print_matches(app, sl_opt_str(o, OPT_QUERY), rc->limit);
	}

	if (app->pipeline && sl_pipeline_start(app->pipeline, &err) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err.message);
		return 1;
	}
	if (strcmp(listen, "off") != 0) {
		int failed = 0;
		char *token = read_secret(o, OPT_HTTP_TOKEN_FILE, "STREAMLENS_HTTP_TOKEN", &failed);

		if (failed)
			return 2;
		http = sl_http_start_auth(app, listen, token, &err);
		free(token);
		if (!http) {
			fprintf(stderr, "%s: cannot start the HTTP API on %s: %s\n", PROG, listen,
				err.message);
			return 1;
		}
		sl_info("main", "HTTP API listening on %s", listen);
	}

	if (rc->tui) {
		status = run_interactive(o, rc, app, app->pipeline ? st.sources : "no ingest",
					 retry);
	} else {
		wait_headless();
	}
	sl_info("main", "shutting down");
	sl_http_stop(http);
	return status;
}

/* Takes an exclusive lock on DIR/lock, so two processes never ingest into
 * one embedded store. Returns the lock descriptor, or -1 after a message. */
static int lock_data_dir(const char *dir)
{
	char path[4200], pid[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", PROG, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fprintf(stderr, "%s: %s is in use by another streamlens-top (pid %s); use "
			"--no-ingest to watch it, or another --data-dir\n", PROG, dir,
			*pid ? pid : "unknown");
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (write(fd, pid, (size_t)n) != n)
			sl_warn("main", "cannot write the pid to %s", path);
	}
	return fd;
}

/* Reads a secret: the first line of the file named by option id, else the
 * environment variable env. Returns a malloc'd string, NULL when neither is
 * set, or NULL with *failed set when the file cannot be read. The value is
 * never logged. */
static char *read_secret(const sl_options *o, enum sl_opt_id id, const char *env, int *failed)
{
	const char *path = sl_opt_str(o, id), *value = getenv(env);
	char line[4096];
	FILE *f;

	if (!path)
		return value && *value ? sl_strdup(value) : NULL;
	f = fopen(path, "r");
	if (!f || !fgets(line, sizeof line, f)) {
		fprintf(stderr, "%s: cannot read secret file %s: %s\n", PROG, path,
			f ? "file is empty" : strerror(errno));
		if (f)
			fclose(f);
		*failed = 1;
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return sl_strdup(line);
}

static void on_rejected(void *ud, const sl_event *ev, const char *reason)
{
	sl_deadletter_write(ud, ev, reason);
}

static sl_store *open_es(const sl_options *o, sl_error *err)
{
	int failed = 0;
	char *password = read_secret(o, OPT_ES_PASSWORD_FILE, "STREAMLENS_ES_PASSWORD", &failed);
	char *api_key = read_secret(o, OPT_ES_API_KEY_FILE, "STREAMLENS_ES_API_KEY", &failed);
	sl_es_conf conf = {
		.url = sl_opt_str(o, OPT_ES),
		.index_prefix = sl_opt_str(o, OPT_ES_INDEX),
		.user = sl_opt_str(o, OPT_ES_USER),
		.password = password,
		.api_key = api_key,
		.ca_cert = sl_opt_str(o, OPT_ES_CA_CERT),
		.insecure = sl_opt_flag(o, OPT_ES_INSECURE),
	};
	const char *compress = sl_opt_str(o, OPT_ES_COMPRESS);
	sl_store *st = NULL;

	conf.compress = -1;
	if (compress && strcmp(compress, "always") == 0)
		conf.compress = 1;
	else if (compress && strcmp(compress, "never") == 0)
		conf.compress = 0;
	if (compress && conf.compress < 0 && strcmp(compress, "auto") != 0)
		sl_error_set(err, 0, "invalid --es-compress '%s': expected auto, always or never",
			     compress);
	else if (failed)
		sl_error_set(err, 0, "a secret file could not be read");
	else if (conf.user && !password)
		sl_error_set(err, 0, "--es-user %s needs a password: give --es-password-file FILE "
			     "or set STREAMLENS_ES_PASSWORD", conf.user);
	else if (conf.ca_cert && access(conf.ca_cert, R_OK) != 0)
		sl_error_set(err, 0, "cannot read the CA certificate %s: %s", conf.ca_cert,
			     strerror(errno));
	else
		st = sl_es_open(&conf, err);
	free(password);
	free(api_key);
	return st;
}

static int open_hot(const sl_options *o, sl_app *app, sl_error *err)
{
	int failed = 0;
	char *password;

	if (!sl_opt_given(o, OPT_REDIS)) {
		app->hot = sl_hot_new(SL_HOT_LATEST_DEFAULT);
		return sl_hot_rebuild(app->hot, app->store, err);
	}
	password = read_secret(o, OPT_REDIS_PASSWORD_FILE, "STREAMLENS_REDIS_PASSWORD", &failed);
	if (failed) {
		sl_error_set(err, 0, "the Redis password file could not be read");
		return -1;
	}
	app->hot = sl_hot_redis_open(sl_opt_str(o, OPT_REDIS), password,
				     sl_opt_str(o, OPT_ES_INDEX), SL_HOT_LATEST_DEFAULT, err);
	free(password);
	return app->hot ? 0 : -1;
}

/* Sends dead letters to "<topic>.dlq" as well. Returns 0, or -1 after a
 * message. */
static int open_kafka_dlq(const sl_options *o, sl_deadletter *dead)
{
	const sl_optval *props = &o->v[OPT_XPROP];
	sl_dlq_kafka *q;
	sl_error err;

	memset(&err, 0, sizeof err);
	q = sl_dlq_kafka_open(sl_opt_str(o, OPT_BROKERS), sl_opt_str(o, OPT_TOPIC),
			      (const char *const *)props->values, props->n, &err);
	if (!q) {
		fprintf(stderr, "%s: %s\n", PROG, err.message);
		return -1;
	}
	sl_deadletter_set_kafka(dead, q);
	return 0;
}

static int open_stores(const sl_options *o, const run_conf *rc, sl_app *app,
		       sl_deadletter **dead)
{
	char path[4200];
	sl_error err;

	memset(&err, 0, sizeof err);
	if (sl_opt_given(o, OPT_ES))
		app->store = open_es(o, &err);
	else
		app->store = sl_sqlite_open(rc->data_dir, &err);
	if (!app->store) {
		fprintf(stderr, "%s: cannot open the store: %s\n", PROG, err.message);
		return -1;
	}
	if (sl_opt_given(o, OPT_ES)) {
		snprintf(path, sizeof path, "%s/dead-letters.jsonl", rc->data_dir);
		if (make_dirs(rc->data_dir) != 0 || !(*dead = sl_deadletter_open(path))) {
			fprintf(stderr, "%s: cannot open the dead-letter file %s: %s\n", PROG, path,
				strerror(errno));
			return -1;
		}
		sl_es_set_reject_handler(app->store, on_rejected, *dead);
		app->deadletter = *dead;
		if (sl_opt_given(o, OPT_BROKERS) && !sl_opt_flag(o, OPT_NO_INGEST) &&
		    open_kafka_dlq(o, *dead) != 0)
			return -1;
	}
	if (open_hot(o, app, &err) != 0) {
		fprintf(stderr, "%s: cannot open the hot store: %s\n", PROG, err.message);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sl_deadletter *dead = NULL;
	sl_options opts;
	int lock_fd = -1;
	run_conf rc;
	sl_app app;
	int status = 1;

	setlocale(LC_ALL, "");
	memset(&app, 0, sizeof app);
	memset(&rc, 0, sizeof rc);
	app.started_ms = sl_now_ms();
	if (sl_options_load(&opts, argc, argv) != 0) {
		sl_options_free(&opts);
		return 2;
	}
	if (sl_opt_flag(&opts, OPT_HELP)) {
		sl_options_usage(stdout, PROG);
		status = 0;
		goto out;
	}
	if (sl_opt_flag(&opts, OPT_VERSION)) {
		printf("%s %s\n", PROG, SL_VERSION);
		status = 0;
		goto out;
	}
	if (resolve(&opts, &rc) != 0) {
		status = 2;
		goto out;
	}

	install_signals();
	if (setup_log(&opts, &rc) != 0)
		goto out;
	/* Only a process with sources writes to the embedded store; viewers and
	 * --once queries of a store need no lock. */
	if (!sl_opt_given(&opts, OPT_ES) && !sl_opt_flag(&opts, OPT_NO_INGEST) &&
	    (sl_opt_given(&opts, OPT_FILE) || sl_opt_given(&opts, OPT_BROKERS) || rc.gen_rate > 0)) {
		if (make_dirs(rc.data_dir) != 0) {
			fprintf(stderr, "%s: cannot create data directory %s: %s\n", PROG, rc.data_dir,
				strerror(errno));
			goto out;
		}
		lock_fd = lock_data_dir(rc.data_dir);
		if (lock_fd < 0)
			goto out;
	}
	if (open_stores(&opts, &rc, &app, &dead) != 0)
		goto out;
	status = run(&opts, &rc, &app);

out:
	sl_pipeline_free(app.pipeline);
	if (app.store)
		app.store->ops->close(app.store);
	sl_hot_free(app.hot);
	sl_deadletter_close(dead);
	if (rc.temp_store)
		sl_remove_flat_dir(rc.data_dir);
	if (lock_fd >= 0)
		close(lock_fd);
	sl_options_free(&opts);
	sl_log_close();
	return status;
}
