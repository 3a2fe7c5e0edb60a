/* http_latency.c: sends N sequential GET /search requests per query over one
 * keep-alive connection and prints p50 and p99 latency in milliseconds. One
 * untimed request per query comes first and warms the caches, as grep's
 * untimed run does in bench/run.sh. Percentiles are by nearest rank, so with
 * fewer than 100 requests p99 is the slowest of them.
 *
 * Usage: http_latency BASE_URL QUERIES_FILE N
 * QUERIES_FILE contains one query per line. Output, one line per query:
 * p50_ms<TAB>p99_ms<TAB>status<TAB>query */
#define _POSIX_C_SOURCE 200809L

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t discard(char *data, size_t size, size_t n, void *user)
{
	(void)data;
	(void)user;
	return size * n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Returns the nearest-rank percentile pct of the n sorted values ms: the
 * smallest value that at least pct percent of them do not exceed. */
static double percentile(const double *ms, int n, int pct)
{
	int rank = (n * pct + 99) / 100;

	return ms[rank > 0 ? rank - 1 : 0];
}

/* Times n requests of one query after an untimed one and fills ms[0..n-1],
 * sorted. Returns the last HTTP status, or 0 on a transport error, after
 * which ms contains no valid timing. */
static long time_query(CURL *curl, const char *base, const char *query, double *ms, int n)
{
	char *escaped = curl_easy_escape(curl, query, 0);
	size_t len = strlen(base) + strlen(escaped) + 32;
	char *url = malloc(len);
	long status = 0;
	int i;

	snprintf(url, len, "%s/search?q=%s&limit=100", base, escaped);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (curl_easy_perform(curl) != CURLE_OK)
		n = 0;
	for (i = 0; i < n; i++) {
		double start = now_ms();

		if (curl_easy_perform(curl) != CURLE_OK) {
			status = 0;
			break;
		}
		ms[i] = now_ms() - start;
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	}
	qsort(ms, (size_t)n, sizeof *ms, compare_double);
	curl_free(escaped);
	free(url);
	return status;
}

int main(int argc, char **argv)
{
	char line[4096];
	double *ms;
	FILE *queries;
	CURL *curl;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: http_latency BASE_URL QUERIES_FILE N\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (n < 1) {
		fprintf(stderr, "http_latency: invalid request count '%s': expected an integer >= 1\n",
			argv[3]);
		return 2;
	}
	queries = fopen(argv[2], "r");
	if (!queries) {
		perror(argv[2]);
		return 2;
	}
	ms = calloc((size_t)n, sizeof *ms);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);

	while (fgets(line, sizeof line, queries)) {
		long status;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		status = time_query(curl, argv[1], line, ms, n);
		if (status == 0)
			printf("n/a\tn/a\t0\t%s\n", line);
		else
			printf("%.2f\t%.2f\t%ld\t%s\n", percentile(ms, n, 50), percentile(ms, n, 99),
			       status, line);
	}
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	fclose(queries);
	free(ms);
	return 0;
}
