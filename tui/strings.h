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
#define TUI_STR_SEP " | "

#define TUI_STR_CHART_TITLE_FMT "Events per minute, last %d min"
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

#define TUI_STR_QUERY_PROMPT "/ "
#define TUI_STR_QUERY_IDLE "Query: "
#define TUI_STR_QUERY_ERROR_FMT "invalid query: %s"
#define TUI_STR_QUERY_CARET "^"

#define TUI_STR_STATUS_HINTS "q quit  / search  p pause  Tab focus  ? help"
#define TUI_STR_STATUS_ERROR_FMT "last error: %s"

#define TUI_STR_TOO_SMALL_FMT "terminal too small (%dx%d, need %dx%d)"

#define TUI_STR_HELP_TITLE "Keys"
#define TUI_STR_HELP_CLOSE "Esc closes this help"

/* Rows of the help overlay: key, then what it does. */
#define TUI_HELP_ROWS                                                  \
	{"/", "edit the query; Enter runs it, Esc cancels"},           \
	{"Up/Down", "query history while editing"},                    \
	{"p, space", "pause or resume the live tail"},                 \
	{"j/k, arrows", "scroll the focused pane by one line"},        \
	{"PgUp/PgDn", "scroll the focused pane by one page"},          \
	{"g/G", "go to the top or the bottom"},                        \
	{"Tab", "switch focus between tail and results"},              \
	{"?", "show this help"},                                       \
	{"q", "quit"}

#endif
