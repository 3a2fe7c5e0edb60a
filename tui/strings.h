/* strings.h: every text the dashboard shows, in one place. */
#ifndef TUI_STRINGS_H
#define TUI_STRINGS_H

#define TUI_STR_TITLE "StreamLens"
#define TUI_STR_NO_SOURCE "no source"
#define TUI_STR_NO_STORE "no store"
#define TUI_STR_VIEWER "viewer only"
#define TUI_STR_RATE_FMT "%.1f ev/s"
#define TUI_STR_LAG_FMT "lag %lld"
#define TUI_STR_STORED_RUN_FMT "stored %llu this run"
#define TUI_STR_STORED_ALL_FMT "%llu events stored"
#define TUI_STR_ERRORS_FMT "errors %llu total"
#define TUI_STR_DEAD_FMT "dead letters %llu"
#define TUI_STR_HOT_DEGRADED "hot store DEGRADED"
#define TUI_STR_SEP " | "
#define TUI_STR_FILTER_FMT "time %s-%s (Esc clears)"

#define TUI_STR_CHART_TITLE_FMT "Events per %s, last %s"
#define TUI_STR_CHART_MINUTE "minute"
#define TUI_STR_CHART_MINUTES_FMT "%d min"
#define TUI_STR_CHART_LEGEND "  # error/fatal  = warn  | other"
#define TUI_STR_CHART_EMPTY "no events counted yet"
#define TUI_STR_CHART_CURSOR_FMT "  cursor %s-%s: Enter filters, h/l move"

#define TUI_STR_TAIL_TITLE "Live tail"
#define TUI_STR_TAIL_FOLLOW " (following)"
#define TUI_STR_TAIL_PAUSED_FMT " PAUSED +%llu new"
#define TUI_STR_TAIL_GAP_FMT " (%llu skipped: pushed out of the hot store)"
#define TUI_STR_TAIL_EMPTY "waiting for events"
#define TUI_STR_TAIL_NOT_IN_RANGE_FMT \
	"no events of %s-%s in the live tail; the results pane lists that range"
#define TUI_STR_COLLAPSED " [collapsed: c expands]"

#define TUI_STR_RESULTS_TITLE "Results"
#define TUI_STR_RESULTS_NONE "press / to search"
#define TUI_STR_RESULTS_COUNT_FMT ": %llu matches for \"%s\" (%lld ms), showing %zu"
#define TUI_STR_RESULTS_MORE " (G at the end loads more)"
#define TUI_STR_RESULTS_MORE_FAILED_FMT "loading more hits failed: %s"
#define TUI_STR_RESULTS_EMPTY "no matching events"
#define TUI_STR_RESULTS_FAILED_FMT ": search failed: %s"
#define TUI_STR_RESULTS_NO_STORE ": no search store is open"
#define TUI_STR_RESULTS_NO_AGG ": this store does not support aggregations"
#define TUI_STR_RESULTS_AGG_FMT ": %s of %llu matches for \"%s\" (%lld ms)"

#define TUI_STR_REPEAT_FMT "[%zux] "

#define TUI_STR_AGG_ALL "(all)"
#define TUI_STR_AGG_COUNT "count"
#define TUI_STR_AGG_SPAN_FMT "bucket %llds"

#define TUI_STR_DETAIL_TITLE "Event detail (Esc back, j/k scroll)"
#define TUI_STR_DETAIL_ID "id"
#define TUI_STR_DETAIL_TIME "timestamp"
#define TUI_STR_DETAIL_LEVEL "level"
#define TUI_STR_DETAIL_SERVICE "service"
#define TUI_STR_DETAIL_HOST "host"
#define TUI_STR_DETAIL_MESSAGE "message"
#define TUI_STR_DETAIL_RAW "raw"

#define TUI_STR_EXPORT_PROMPT "Save to: "
#define TUI_STR_EXPORT_DEFAULT_FMT "%s/streamlens-export-%s.jsonl"
#define TUI_STR_EXPORT_DONE_FMT "saved %lld lines to %s"
#define TUI_STR_EXPORT_FAILED_FMT "save failed: %s: %s"
#define TUI_STR_EXPORT_NOTHING "nothing to save: the focused pane is empty"
#define TUI_STR_EXPORT_EXISTS_FMT "%s exists: press y to replace it, any other key keeps it"
#define TUI_STR_EXPORT_KEPT_FMT "not saved: %s kept"

#define TUI_STR_COPY_DONE_FMT "copied %s of %s (%zu bytes) with OSC 52"
#define TUI_STR_COPY_CUT_FMT "copied the first %zu bytes of %s with OSC 52"
#define TUI_STR_COPY_FAILED_FMT "copy failed: writing to the terminal: %s"
#define TUI_STR_COPY_NOTHING "nothing to copy: no event is selected"
#define TUI_STR_COPY_RAW "the raw line"
#define TUI_STR_COPY_JSON "the JSON"

#define TUI_STR_PIPE_TITLE "Pipeline (P or Esc back, j/k scroll, r retry dead letters)"
#define TUI_STR_PIPE_INGEST "Ingest"
#define TUI_STR_PIPE_LAG "Kafka consumer lag"
#define TUI_STR_PIPE_LAG_NONE "no Kafka source"
#define TUI_STR_PIPE_LAG_WAIT "no partition reported yet"
#define TUI_STR_PIPE_STORE "Search store"
#define TUI_STR_PIPE_HOT "Hot store"
#define TUI_STR_PIPE_DEAD "Dead letters"
#define TUI_STR_PIPE_DEAD_NONE "no dead-letter file"
#define TUI_STR_PIPE_DEAD_EMPTY "none written yet"
#define TUI_STR_PIPE_DEAD_NEWEST "newest first: time, id, reason"
#define TUI_STR_PIPE_RETRY_NO_STORE \
	"retry needs ingest: a viewer (--no-ingest) does not write the embedded store"
#define TUI_STR_PIPE_RETRY_NONE_FMT "no dead letters to retry in %s"
#define TUI_STR_PIPE_RETRY_DONE_FMT "retried %ld dead letters: %llu rejected again, %ld lines skipped"
#define TUI_STR_PIPE_RETRY_FAILED_FMT "retry failed: %s"
#define TUI_STR_PIPE_RETRY_QUEUED_FMT \
	"queued %ld dead letters for the ingest thread to store, %ld lines skipped"

#define TUI_STR_QUERY_PROMPT "/ "
#define TUI_STR_QUERY_IDLE "Query: "
#define TUI_STR_QUERY_ERROR_FMT "invalid query: %s"
#define TUI_STR_QUERY_CARET "^"
/* Ends a list cut at the right edge (U+2026). */
#define TUI_STR_ELLIPSIS "\xe2\x80\xa6"

/* Key hints of the status line, in the order shown. The row drops the
 * hints with the highest rank first; rank 0 is always shown. */
#define TUI_STATUS_HINTS                                                        \
	{"q quit", 0}, {"/ search", 1}, {"p pause", 3}, {"Tab focus", 2},      \
	{"Enter detail", 4}, {"y copy", 7}, {"P pipeline", 6}, {"s save", 5}, \
	{"? help", 0}
#define TUI_STR_STATUS_HINT_SEP "  "
#define TUI_STR_STATUS_ERROR_FMT "last error: %s"

/* The too-small notice: the head, then the size needed, on one line when
 * they fit, as "terminal too small (40x10, need 60x15)". */
#define TUI_STR_TOO_SMALL_HEAD_FMT "terminal too small (%dx%d,"
#define TUI_STR_TOO_SMALL_NEED_FMT "need %dx%d)"

#define TUI_STR_HELP_TITLE "Keys"
#define TUI_STR_HELP_CLOSE "Esc or q closes this help"
#define TUI_STR_HELP_CLOSE_SCROLL "Esc or q closes this help, j/k scroll"

/* Rows of the help overlay: key, then what it does. */
#define TUI_HELP_ROWS                                                  \
	{"/", "edit the query; Enter runs it, Esc cancels"},           \
	{"Tab (editing)", "complete a field name or a recent value"},  \
	{"Up/Down", "query history while editing"},                    \
	{"Q | ...", "aggregate: count by F, top N F, timechart 1m"},   \
	{"j/k, arrows", "move the cursor in the focused pane"},        \
	{"PgUp/PgDn", "move the cursor by one page"},                  \
	{"g/G", "go to the top or the bottom (G follows again)"},      \
	{"G, PgDn (end)", "at the last hit, load the next page of hits"}, \
	{"e/E", "next or previous error in the focused pane"},         \
	{"Tab", "focus tail, results, chart in turn"},                 \
	{"h/l (chart)", "move the chart cursor by one bar"},           \
	{"Enter", "show the selected event, or filter to the bar"},    \
	{"Esc", "close a view or help, clear the time filter"},        \
	{"p, space", "pause or resume the live tail"},                 \
	{"c", "collapse repeated lines into one with a count"},        \
	{"y / Y", "copy the raw line / the JSON (OSC 52)"},            \
	{"P", "pipeline: lag, store errors, dead letters"},            \
	{"r (pipeline)", "retry the dead letters"},                    \
	{"1 2 3 4", "chart window: 15m, 1h, 6h, 24h"},                 \
	{"s", "save the focused pane to a file (.csv or .jsonl)"},     \
	{"mouse", "wheel scrolls, click selects, click again opens"},  \
	{"?", "show this help"},                                       \
	{"q", "quit, or close the open view or help"}

#endif
