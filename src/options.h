/* options.h: streamlens-top's options. One table describes every option;
 * it drives the command line, STREAMLENS_* environment variables, the
 * config file and --help. Precedence: command line, environment, config. */
#ifndef SL_OPTIONS_H
#define SL_OPTIONS_H

#include <stdio.h>

enum sl_opt_id {
	OPT_FILE,
	OPT_FROM_START,
	OPT_FORMAT,
	OPT_GENERATE,
	OPT_SEED,
	OPT_MAX_LINE,
	OPT_DATA_DIR,
	OPT_RETENTION,
	OPT_LISTEN,
	OPT_HEADLESS,
	OPT_NO_INGEST,
	OPT_QUERY,
	OPT_ONCE,
	OPT_LIMIT,
	OPT_NO_COLOR,
	OPT_NO_MOUSE,
	OPT_FPS,
	OPT_LOG_FILE,
	OPT_VERBOSE,
	OPT_BROKERS,
	OPT_TOPIC,
	OPT_GROUP,
	OPT_XPROP,
	OPT_ES,
	OPT_ES_INDEX,
	OPT_ES_USER,
	OPT_ES_PASSWORD_FILE,
	OPT_ES_API_KEY_FILE,
	OPT_ES_CA_CERT,
	OPT_ES_INSECURE,
	OPT_ES_COMPRESS,
	OPT_REDIS,
	OPT_REDIS_PASSWORD_FILE,
	OPT_HTTP_TOKEN_FILE,
	OPT_OUTPUT,
	OPT_OUTPUT_FORMAT,
	OPT_CONFIG,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT
};

typedef struct sl_optval {
	char **values; /* every value given, in order; flags store "1" */
	size_t n;
	int layer;     /* which layer set it: 0 none, 1 config, 2 env, 3 command line */
} sl_optval;

typedef struct sl_options {
	sl_optval v[OPT_COUNT];
} sl_options;

/* Parses the command line, then the environment and the config file below
 * it. Returns 0, or -1 after printing a message that names the bad option,
 * variable or config line to stderr. */
int sl_options_load(sl_options *o, int argc, char **argv);
void sl_options_free(sl_options *o);

/* The last value given, or the option's default (NULL when it has none). */
const char *sl_opt_str(const sl_options *o, enum sl_opt_id id);
/* 1 when a flag option is set to a true value. */
int sl_opt_flag(const sl_options *o, enum sl_opt_id id);
/* The long name without dashes, e.g. "data-dir". */
const char *sl_opt_name(enum sl_opt_id id);
/* " (from the environment)", " (from the config file)" or "", for
 * messages about a bad value. */
const char *sl_opt_origin(const sl_options *o, enum sl_opt_id id);
/* 1 when the option was given in any layer. */
int sl_opt_given(const sl_options *o, enum sl_opt_id id);

void sl_options_usage(FILE *out, const char *prog);

#endif
