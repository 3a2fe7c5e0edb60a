/* complete.h: Tab completion in the query bar: field names, and after
 * "field:" the values seen recently for that field. Readline calls it
 * through rl_attempted_completion_function; the tail feeds it events. */
#ifndef TUI_COMPLETE_H
#define TUI_COMPLETE_H

#include "../src/event.h"

/* Installs the completion hooks into readline. */
void tui_complete_init(void);
void tui_complete_free(void);
/* Remembers the field names and short values of ev, keeping a bounded set
 * of the most recent ones. */
void tui_complete_note(const sl_event *ev);
/* Turns completion of query words off (1) while a line that is not a query,
 * such as a file name, is edited. Readline then completes file names. */
void tui_complete_set_paths(int paths);
/* Returns the candidates readline listed on the last ambiguous Tab, space
 * separated, or "" when none are shown. */
const char *tui_complete_listing(void);
void tui_complete_clear_listing(void);

#endif
