/* clipboard.h: copying text to the terminal's clipboard with the OSC 52
 * escape sequence (ESC ] 52 ; c ; BASE64 BEL). */
#ifndef TUI_CLIPBOARD_H
#define TUI_CLIPBOARD_H

#include <stddef.h>
#include <stdio.h>

/* Bytes copied at most.
 * NOTE: terminals cap the length of an OSC 52 sequence, each at its own
 * size; this cap was only checked against tmux 3.3a. */
#define TUI_CLIPBOARD_MAX 65536

/* Writes the first TUI_CLIPBOARD_MAX bytes of text (n bytes) to out as one
 * OSC 52 sequence for the clipboard selection and flushes out. Returns the
 * bytes copied, or 0 when writing failed. */
size_t tui_clipboard_copy(FILE *out, const char *text, size_t n);

#endif
