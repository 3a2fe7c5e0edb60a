/* querybar.h: the query bar. Editing is GNU readline's callback interface
 * fed with curses keys, so readline never touches the terminal itself. */
#ifndef TUI_QUERYBAR_H
#define TUI_QUERYBAR_H

#include "../src/store.h"
#include "text.h"

/* A key that arrived as Esc followed at once by another key (Alt+key). */
#define TUI_KEY_ALT 0x1000000

/* Effect of a key on the query bar. */
enum tui_query_result {
	TUI_QUERY_EDITING, /* still editing */
	TUI_QUERY_SUBMIT,  /* Enter: take the line with tui_query_take() */
	TUI_QUERY_CANCEL,  /* Esc or end of input: editing stopped */
};

/* Sets readline up. history_path (may be NULL) is read now and written by
 * tui_query_shutdown(). */
void tui_query_init(const char *history_path);
void tui_query_shutdown(void);
/* Starts editing with text (may be NULL) in the line, cursor at its end. */
void tui_query_begin(const char *text);
/* Starts editing a line that is not a query, such as a file name: prompt
 * (static text) replaces the query prompt, and the line skips the history. */
void tui_query_begin_prompt(const char *prompt, const char *text);
int tui_query_editing(void);
enum tui_query_result tui_query_key(int key);
/* Returns the submitted line (caller frees). A query is added to the history
 * unless empty or equal to the previous entry. */
char *tui_query_take(void);
/* Draws the bar in row area->y and, when err->message is set, the error with
 * a caret under err->column (1-based byte column of shown) in the row below.
 * While editing it shows readline's line in place of shown, without the
 * error, and moves the cursor to readline's point. */
void tui_query_draw(WINDOW *w, const tui_rect *area, const char *shown, const sl_error *err);

#endif
