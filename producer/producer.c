/* producer.c: streamlens-producer, the bundled generator and file replayer.
 * It writes one log line per event to stdout at a paced rate. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

enum opt_id {
	OPT_RATE = 'r',
	OPT_COUNT = 'n',
	OPT_SEED = 's',
	OPT_FILE = 'f',
	OPT_LOOP = 'l',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
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
	{ "brokers", OPT_BROKERS, "LIST", "Kafka bootstrap servers (not available in this version)" },
	{ "topic", OPT_TOPIC, "NAME", "Kafka topic (not available in this version)" },
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
} producer_cfg;

typedef struct producer {
	const producer_cfg *cfg;
	sl_gen *gen;
	FILE *in;
	char *line;
	size_t linecap;
	uint64_t lines_this_pass;
	uint64_t sent;
	sl_buf out;
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
	fputs("Write generated log events, or the lines of a file, to stdout as JSON lines.\n\n", f);
	for (i = 0; i < NOPTS; i++) {
		const struct producer_opt *o = &producer_opts[i];
		char left[40];

		if (o->id < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-24s %s\n", left, o->help);
	}
	fputs("\nExample: " PROG " --rate 1000 | streamlens-top --file -\n", f);
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
	case OPT_TOPIC:
		fprintf(stderr, "%s: Kafka output (--brokers) is not available in this version; "
				"write to stdout and pipe it instead\n", PROG);
		return 2;
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
	sl_buf_putc(&p->out, '\n');
	p->lines_this_pass++;
	return 1;
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

		if (p->gen) {
			sl_gen_next(p->gen, sl_now_ms(), &p->out);
			sl_buf_putc(&p->out, '\n');
		} else {
			rc = next_file_line(p);
		}
		if (rc < 0)
			return -1;
		if (rc == 0) {
			p->done = 1;
			break;
		}
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
	install_signals();

	rc = run(&p);
	if (cfg.verbose)
		fprintf(stderr, "%s: sent %llu events\n", PROG, (unsigned long long)p.sent);

out:
	if (p.in && p.in != stdin)
		fclose(p.in);
	if (p.gen)
		sl_gen_free(p.gen);
	free(p.line);
	sl_buf_free(&p.out);
	return rc;
}
