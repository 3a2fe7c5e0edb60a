/* app.c: the process-wide quit flag. */
#include "app.h"

#include <signal.h>

static volatile sig_atomic_t quit_flag;

void sl_request_quit(void)
{
	quit_flag = 1;
}

int sl_quit_requested(void)
{
	return quit_flag != 0;
}
