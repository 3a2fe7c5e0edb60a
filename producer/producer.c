/* producer.c: streamlens-producer, the bundled generator and file replayer.
 * It writes one log line per event at a paced rate, to stdout or, with
 * --brokers, as one record per event to a Kafka topic. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "gen.h"

#define PROG "streamlens-producer"
#define PRODUCER_VERSION "0.1.0"

#define RATE_DEFAULT 100
#define RATE_MAX 10000000LL
/* Events written per write(2) at most, so a high rate costs few syscalls
 * while a slow one still writes each event when it is due. */
#define BURST_MAX 512
/* Maximum single sleep, so the stop flag is checked at least this often. */
#define SLEEP_MAX_NS 50000000LL
#define NS_PER_SEC 1000000000LL
#define TOPIC_DEFAULT "logs"
/* Records still queued at exit get this long to be delivered, in ms. */
#define KAFKA_FLUSH_MS 30000
/* While librdkafka's queue is full, wait this long for deliveries, in ms. */
#define KAFKA_QUEUE_WAIT_MS 100
/* Kafka errors are printed at most once per this many ms. */
#define KAFKA_ERROR_EVERY_MS 5000

enum opt_id {
	OPT_RATE = 'r',
	OPT_COUNT = 'n',
	OPT_SEED = 's',
	OPT_FILE = 'f',
	OPT_LOOP = 'l',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_PROPERTY = 'X',
	OPT_BROKERS = 256,
	OPT_TOPIC,
};

/* The option table: it feeds both getopt_long and --help. */
static const struct producer_opt {
	const char *name;
	int id;
	const char *arg; /* argument name in --help, NULL for a flag */
	const char *help;
} producer_opts[] = {
	{ "rate", OPT_RATE, "N", "events per second (default 100; 0 writes as fast as possible)" },
	{ "count", OPT_COUNT, "N", "stop after N events (default: no limit)" },
	{ "seed", OPT_SEED, "N", "generator seed; the same seed gives the same events (default: from the clock)" },
	{ "file", OPT_FILE, "PATH", "replay the lines of PATH at --rate instead of generating; '-' reads stdin" },
	{ "loop", OPT_LOOP, NULL, "with --file PATH, start the file again at its end (not for stdin)" },
	{ "brokers", OPT_BROKERS, "LIST", "write to Kafka at these bootstrap servers (host:port,...) instead of stdout" },
	{ "topic", OPT_TOPIC, "NAME", "Kafka topic to write to (default logs)" },
	{ "property", OPT_PROPERTY, "KEY=VALUE", "librdkafka producer property, repeatable" },
	{ "verbose", OPT_VERBOSE, NULL, "print a summary to stderr at exit" },
	{ "help", OPT_HELP, NULL, "show this help and exit" },
	{ "version", OPT_VERSION, NULL, "show the version and exit" },
};

#define NOPTS (sizeof producer_opts / sizeof producer_opts[0])

typedef struct producer_cfg {
	long long rate;
	long long count; /* -1 for no limit */
	uint64_t seed;
	const char *file;
	int loop;
	int verbose;
	const char *brokers; /* NULL: write to stdout */
	const char *topic;
	const char **props; /* -X KEY=VALUE */
	size_t nprops;
} producer_cfg;

/* Delivery counts, updated by the delivery report callback. */
typedef struct kafka_out {
	rd_kafka_t *rk;
	uint64_t delivered;
	uint64_t failed;
	uint64_t errors_hidden; /* errors not printed since the last one */
	int64_t last_error_ms;
} kafka_out;

typedef struct producer {
	const producer_cfg *cfg;
	sl_gen *gen;
	FILE *in;
	char *line;
	size_t linecap;
	uint64_t lines_this_pass;
	uint64_t sent;
	sl_buf out;
	kafka_out kafka;
	int done;
} producer;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [OPTION]...\n", PROG);
	fputs("Write generated log events, or the lines of a file, to stdout as JSON lines,\n"
	      "or to a Kafka topic with --brokers.\n\n", f);
	for (i = 0; i < NOPTS; i++) {
		const struct producer_opt *o = &producer_opts[i];
		char left[48];

		if (o->id < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fputs("\nExamples: " PROG " --rate 1000 | streamlens-top --file -\n"
	      "          " PROG " --brokers 127.0.0.1:9092 --topic logs --rate 1000\n", f);
}

static void build_getopt(struct option *longopts, char *shortopts)
{
	size_t i;
	char *s = shortopts;

	for (i = 0; i < NOPTS; i++) {
		const struct producer_opt *o = &producer_opts[i];

		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = o->id;
		if (o->id < 256) {
			*s++ = (char)o->id;
			if (o->arg)
				*s++ = ':';
		}
	}
	memset(&longopts[NOPTS], 0, sizeof longopts[NOPTS]);
	*s = '\0';
}

static int parse_number(const char *opt, const char *val, long long min, long long max,
			long long *out)
{
	if (sl_parse_int(val, min, max, out) == 0)
		return 0;
	fprintf(stderr, "%s: invalid --%s '%s': expected an integer from %lld to %lld\n", PROG, opt,
		val, min, max);
	return -1;
}

/* Applies one option. Returns 0 to go on, or the exit status to stop with
 * (0 after --help and --version, 2 for a bad option). */
static int apply_option(producer_cfg *cfg, int id, const char *arg)
{
	long long v;

	switch (id) {
	case OPT_RATE:
		return parse_number("rate", arg, 0, RATE_MAX, &cfg->rate) ? 2 : 0;
	case OPT_COUNT:
		return parse_number("count", arg, 0, LLONG_MAX, &cfg->count) ? 2 : 0;
	case OPT_SEED:
		if (parse_number("seed", arg, 0, LLONG_MAX, &v))
			return 2;
		cfg->seed = (uint64_t)v;
		return 0;
	case OPT_FILE:
		cfg->file = arg;
		return 0;
	case OPT_LOOP:
		cfg->loop = 1;
		return 0;
	case OPT_VERBOSE:
		cfg->verbose = 1;
		return 0;
	case OPT_BROKERS:
		cfg->brokers = arg;
		return 0;
	case OPT_TOPIC:
		cfg->topic = arg;
		return 0;
	case OPT_PROPERTY:
		if (!strchr(arg, '=') || arg[0] == '=') {
			fprintf(stderr, "%s: invalid -X '%s': expected KEY=VALUE\n", PROG, arg);
			return 2;
		}
		cfg->props = sl_realloc(cfg->props, (cfg->nprops + 1) * sizeof *cfg->props);
		cfg->props[cfg->nprops++] = arg;
		return 0;
	case OPT_HELP:
		usage(stdout);
		return -1;
	case OPT_VERSION:
		printf("%s %s\n", PROG, PRODUCER_VERSION);
		return -1;
	default:
		fprintf(stderr, "Try '%s --help' for more information.\n", PROG);
		return 2;
	}
}

/* Parses argv into cfg. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, producer_cfg *cfg)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 2];
	int c, rc;

	cfg->rate = RATE_DEFAULT;
	cfg->count = -1;
	cfg->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	build_getopt(longopts, shortopts);

	/* getopt_long prefixes its own messages with argv[0]; use the plain
	 * program name there as in every other message. */
	argv[0] = (char *)PROG;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		rc = apply_option(cfg, c, optarg);
		if (rc == -1)
			return 0;
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help' for more information.\n",
			PROG, argv[optind], PROG);
		return 2;
	}
	if (cfg->loop && !cfg->file) {
		fprintf(stderr, "%s: --loop needs --file\n", PROG);
		return 2;
	}
	if ((cfg->topic || cfg->nprops) && !cfg->brokers) {
		fprintf(stderr, "%s: --topic and -X need --brokers\n", PROG);
		return 2;
	}
	if (cfg->brokers && !*cfg->brokers) {
		fprintf(stderr, "%s: invalid --brokers '': expected HOST:PORT[,...]\n", PROG);
		return 2;
	}
	if (!cfg->topic || !*cfg->topic)
		cfg->topic = TOPIC_DEFAULT;
	return -1;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns > SLEEP_MAX_NS)
		ns = SLEEP_MAX_NS;
	ts.tv_sec = (time_t)(ns / NS_PER_SEC);
	ts.tv_nsec = (long)(ns % NS_PER_SEC);
	/* A signal cuts the sleep short; the caller checks the stop flag. */
	nanosleep(&ts, NULL);
}

/* Prints a Kafka error, at most once per KAFKA_ERROR_EVERY_MS, so a broker
 * that is down does not flood stderr. */
static void kafka_report(kafka_out *k, const char *what, const char *reason)
{
	int64_t now = sl_mono_ms();

	if (k->last_error_ms && now - k->last_error_ms < KAFKA_ERROR_EVERY_MS) {
		k->errors_hidden++;
		return;
	}
	if (k->errors_hidden)
		fprintf(stderr, "%s: %s: %s (%llu more errors not shown)\n", PROG, what, reason,
			(unsigned long long)k->errors_hidden);
	else
		fprintf(stderr, "%s: %s: %s\n", PROG, what, reason);
	k->errors_hidden = 0;
	k->last_error_ms = now;
}

/* Delivery report, run from rd_kafka_poll and rd_kafka_flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	kafka_out *k = opaque;

	(void)rk;
	if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->delivered++;
		return;
	}
	k->failed++;
	kafka_report(k, "delivering a record failed", rd_kafka_err2str(msg->err));
}

static void on_kafka_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
	(void)rk;
	kafka_report(opaque, rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

/* Returns 1 when a property name looks like it contains a secret, so its
 * value is never printed. */
static int is_secret(const char *name, size_t len)
{
	static const char *const words[] = { "password", "secret", "key" };
	size_t i, j;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		for (j = 0; j + strlen(words[i]) <= len; j++) {
			if (strncasecmp(name + j, words[i], strlen(words[i])) == 0)
				return 1;
		}
	}
	return 0;
}

static int kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
		return 0;
	fprintf(stderr, "%s: invalid Kafka property %s=%s: %s\n", PROG, name,
		is_secret(name, strlen(name)) ? "***" : value, errstr);
	return -1;
}

/* Creates the Kafka producer from --brokers and -X. Returns 0, or -1 after
 * printing why. */
static int kafka_open(producer *p)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	size_t i;

	/* Without idempotence, a retry after an acknowledgement lost to a
	 * broker restart writes the record twice. Kafka's Java producer has
	 * enabled it by default since Kafka 3.0, and -X may turn it off. */
	if (kafka_set(conf, "bootstrap.servers", p->cfg->brokers) ||
	    kafka_set(conf, "client.id", PROG) || kafka_set(conf, "enable.idempotence", "true"))
		goto fail;
	for (i = 0; i < p->cfg->nprops; i++) {
		const char *prop = p->cfg->props[i];
		const char *eq = strchr(prop, '=');
		char *name = sl_strndup(prop, (size_t)(eq - prop));
		int rc = kafka_set(conf, name, eq + 1);

		free(name);
		if (rc)
			goto fail;
	}
	rd_kafka_conf_set_opaque(conf, &p->kafka);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_kafka_error);

	p->kafka.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (!p->kafka.rk) {
		fprintf(stderr, "%s: cannot create the Kafka producer: %s\n", PROG, errstr);
		goto fail;
	}
	return 0;

fail:
	rd_kafka_conf_destroy(conf);
	return -1;
}

/* Waits up to KAFKA_FLUSH_MS for queued records, prints the summary and
 * frees the producer. Returns 1 when any record failed, else 0. */
static int kafka_close(producer *p)
{
	kafka_out *k = &p->kafka;
	int queued;

	rd_kafka_flush(k->rk, KAFKA_FLUSH_MS);
	queued = rd_kafka_outq_len(k->rk);
	if (queued > 0) {
		fprintf(stderr, "%s: %d records not delivered within %d s\n", PROG, queued,
			KAFKA_FLUSH_MS / 1000);
		k->failed += (uint64_t)queued;
	}
	fprintf(stderr, "%s: sent %llu records, %llu failed\n", PROG,
		(unsigned long long)k->delivered, (unsigned long long)k->failed);
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
	return k->failed > 0;
}

/* Writes the buffered lines to stdout. Returns 0, 1 when downstream closed
 * the pipe, or -1 on another write error (reported here). */
static int flush_out(producer *p)
{
	size_t off = 0;

	while (off < p->out.len) {
		ssize_t n = write(STDOUT_FILENO, p->out.data + off, p->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			return 1;
		if (n < 0) {
			fprintf(stderr, "%s: write to stdout failed: %s\n", PROG, strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	sl_buf_reset(&p->out);
	return 0;
}

/* Appends the next line of the replayed file. Returns 1 when a line was
 * appended, 0 at the end of the input, -1 on a read error. */
static int next_file_line(producer *p)
{
	ssize_t n = getline(&p->line, &p->linecap, p->in);

	if (n < 0 && !ferror(p->in) && p->cfg->loop && p->in != stdin && p->lines_this_pass > 0) {
		rewind(p->in);
		p->lines_this_pass = 0;
		n = getline(&p->line, &p->linecap, p->in);
	}
	if (n < 0) {
		if (ferror(p->in)) {
			fprintf(stderr, "%s: read from %s failed: %s\n", PROG, p->cfg->file,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	while (n > 0 && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
		n--;
	sl_buf_append(&p->out, p->line, (size_t)n);
	p->lines_this_pass++;
	return 1;
}

/* Produces the event at p->out.data + start as one record, keyed by key
 * (NULL spreads records over the partitions), and drops it from the buffer.
 * A full local queue is waited out; any other error counts as failed. */
static void kafka_send(producer *p, size_t start, const char *key)
{
	char *value = p->out.data + start;
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(p->kafka.rk, RD_KAFKA_V_TOPIC(p->cfg->topic),
					RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
					RD_KAFKA_V_VALUE(value, p->out.len - start),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop_requested)
			break;
		rd_kafka_poll(p->kafka.rk, KAFKA_QUEUE_WAIT_MS);
	}
	if (err) {
		p->kafka.failed++;
		kafka_report(&p->kafka, "producing a record failed", rd_kafka_err2str(err));
	}
	rd_kafka_poll(p->kafka.rk, 0);
	p->out.len = start;
	if (p->out.data)
		p->out.data[start] = '\0';
}

/* Appends up to n events to the output buffer. Returns how many, or -1 on a
 * read error; sets p->done when the input or the count ran out. */
static long long produce(producer *p, long long n)
{
	long long i;

	if (p->cfg->count >= 0 && n > p->cfg->count - (long long)p->sent)
		n = p->cfg->count - (long long)p->sent;
	for (i = 0; i < n; i++) {
		int rc = 1;

		size_t start = p->out.len;
		const char *key = NULL;

		if (p->gen) {
			sl_gen_next(p->gen, sl_now_ms(), &p->out);
			key = sl_gen_last_service(p->gen);
		} else {
			rc = next_file_line(p);
		}
		if (rc < 0)
			return -1;
		if (rc == 0) {
			p->done = 1;
			break;
		}
		if (p->kafka.rk)
			kafka_send(p, start, key);
		else
			sl_buf_putc(&p->out, '\n');
	}
	p->sent += (uint64_t)i;
	if (p->cfg->count >= 0 && (long long)p->sent >= p->cfg->count)
		p->done = 1;
	return i;
}

/* Returns how many events are due now, capped at BURST_MAX. Event k is due
 * k / rate seconds after start. When none is due it sleeps and returns 0. */
static long long events_due(producer *p, int64_t start_ns)
{
	long long rate = p->cfg->rate;
	int64_t elapsed, due, next_at;

	if (rate == 0)
		return BURST_MAX;
	elapsed = mono_ns() - start_ns;
	due = (int64_t)((double)elapsed * (double)rate / (double)NS_PER_SEC) + 1 - (int64_t)p->sent;
	if (due > 0)
		return due > BURST_MAX ? BURST_MAX : due;
	next_at = (int64_t)((double)p->sent * (double)NS_PER_SEC / (double)rate);
	sleep_ns(next_at - elapsed);
	return 0;
}

/* Produces and writes until done or stopped. Returns the exit status. */
static int run(producer *p)
{
	int64_t start_ns = mono_ns();
	int rc = 0;

	while (!p->done && !stop_requested) {
		long long n = events_due(p, start_ns);

		if (n == 0)
			continue;
		if (produce(p, n) < 0) {
			rc = -1;
			break;
		}
		rc = flush_out(p);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = flush_out(p);
	/* Downstream closing the pipe is a normal way to stop, as with head. */
	if (rc == 1)
		return 0;
	if (rc < 0)
		return 1;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Ignored so that a closed pipe shows up as EPIPE from write(2). */
	signal(SIGPIPE, SIG_IGN);
}

static int open_input(producer *p, const char *path)
{
	if (strcmp(path, "-") == 0) {
		p->in = stdin;
		return 0;
	}
	p->in = fopen(path, "r");
	if (!p->in) {
		fprintf(stderr, "%s: cannot open %s: %s\n", PROG, path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	producer_cfg cfg = { 0 };
	producer p = { 0 };
	int rc;

	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;

	p.cfg = &cfg;
	sl_buf_init(&p.out);
	if (cfg.file) {
		if (open_input(&p, cfg.file) < 0) {
			rc = 1;
			goto out;
		}
	} else {
		p.gen = sl_gen_new(cfg.seed);
	}
	if (cfg.brokers && kafka_open(&p) < 0) {
		rc = 1;
		goto out;
	}
	install_signals();

	rc = run(&p);
	if (p.kafka.rk && kafka_close(&p) != 0)
		rc = 1;
	else if (cfg.verbose)
		fprintf(stderr, "%s: sent %llu events\n", PROG, (unsigned long long)p.sent);

out:
	if (p.in && p.in != stdin)
		fclose(p.in);
	if (p.gen)
		sl_gen_free(p.gen);
	free(p.line);
	free(cfg.props);
	sl_buf_free(&p.out);
	return rc;
}
