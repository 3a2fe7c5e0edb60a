/* strings.h: every text the dashboard shows, in one place. */
#ifndef TUI_STRINGS_H
#define TUI_STRINGS_H

#define TUI_STR_TITLE "StreamLens"
#define TUI_STR_NO_SOURCE "no source"
#define TUI_STR_NO_STORE "no store"
#define TUI_STR_VIEWER "viewer only"
#define TUI_STR_RATE_FMT "%.1f ev/s"
#define TUI_STR_LAG_FMT "lag %lld"
#define TUI_STR_STORED_FMT "stored %llu"
#define TUI_STR_ERRORS_FMT "errors %llu"
#define TUI_STR_DEAD_FMT "dead letters %llu"
#define TUI_STR_HOT_DEGRADED "hot store DEGRADED"
#define TUI_STR_SEP " | "

#define TUI_STR_CHART_TITLE_FMT "Events per %s, last %s"
#define TUI_STR_CHART_MINUTE "minute"
#define TUI_STR_CHART_MINUTES_FMT "%d min"
#define TUI_STR_CHART_LEGEND "  # error/fatal  = warn  | other"
#define TUI_STR_CHART_EMPTY "no events counted yet"

#define TUI_STR_TAIL_TITLE "Live tail"
#define TUI_STR_TAIL_FOLLOW " (following)"
#define TUI_STR_TAIL_PAUSED_FMT " PAUSED +%llu new"
#define TUI_STR_TAIL_GAP_FMT " (%llu skipped: pushed out of the hot store)"
#define TUI_STR_TAIL_EMPTY "waiting for events"

#define TUI_STR_RESULTS_TITLE "Results"
#define TUI_STR_RESULTS_NONE "press / to search"
#define TUI_STR_RESULTS_COUNT_FMT ": %llu matches for \"%s\" (%lld ms), showing %zu"
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

#define TUI_STR_QUERY_PROMPT "/ "
#define TUI_STR_QUERY_IDLE "Query: "
#define TUI_STR_QUERY_ERROR_FMT "invalid query: %s"
#define TUI_STR_QUERY_CARET "^"

#define TUI_STR_STATUS_HINTS "q quit  / search  p pause  Tab focus  Enter detail  s save  ? help"
#define TUI_STR_STATUS_ERROR_FMT "last error: %s"

#define TUI_STR_TOO_SMALL_FMT "terminal too small (%dx%d, need %dx%d)"

#define TUI_STR_HELP_TITLE "Keys"
#define TUI_STR_HELP_CLOSE "Esc closes this help"

/* Rows of the help overlay: key, then what it does. */
#define TUI_HELP_ROWS                                                  \
	{"/", "edit the query; Enter runs it, Esc cancels"},           \
	{"Up/Down", "query history while editing"},                    \
	{"Q | ...", "aggregate: count by F, top N F, timechart 1m"},   \
	{"j/k, arrows", "move the cursor in the focused pane"},        \
	{"PgUp/PgDn", "move the cursor by one page"},                  \
	{"g/G", "go to the top or the bottom (G follows again)"},      \
	{"e/E", "next or previous error in the focused pane"},         \
	{"Tab", "switch focus between tail and results"},              \
	{"Enter", "show the selected event: fields and raw line"},     \
	{"Esc", "close the detail view or help, clear the error"},     \
	{"p, space", "pause or resume the live tail"},                 \
	{"c", "collapse repeated lines into one with a count"},        \
	{"1 2 3 4", "chart window: 15m, 1h, 6h, 24h"},                 \
	{"s", "save the focused pane to a file (.csv or .jsonl)"},     \
	{"?", "show this help"},                                       \
	{"q", "quit"}

#endif
