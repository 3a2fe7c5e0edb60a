/* tui.h: the streamlens-top dashboard (ncursesw, main thread only). */
#ifndef SL_TUI_H
#define SL_TUI_H

#include "../src/app.h"

typedef struct tui_options {
	const char *source_desc;   /* header text, e.g. "file:/var/log/syslog" */
	const char *store_desc;    /* e.g. "sqlite /home/me/.local/share/streamlens" */
	const char *initial_query; /* NULL for none */
	const char *history_path;  /* query history file; NULL keeps it in memory */
	int no_color;              /* --no-color or NO_COLOR set */
	int no_mouse;              /* --no-mouse: leave mouse events to the terminal */
	int fps;                   /* redraws per second at most for data changes */
	const char *deadletter_path; /* file the pipeline view reads (may be NULL) */
	struct sl_source *retry_source; /* takes retried dead letters for the
					 * embedded store; NULL otherwise */
} tui_options;

/* Runs the dashboard until the user quits (q) or sl_quit_requested() turns
 * true, then restores the terminal. Returns 0, or 1 when the terminal could
 * not be set up (a message is on stderr). */
int tui_run(sl_app *app, const tui_options *opt);

/* Restores the terminal if the TUI is active; safe from the fatal hook. */
void tui_emergency_restore(void);

#endif
