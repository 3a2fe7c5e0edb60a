/* http.h: the REST API over libmicrohttpd. A pure routing function formats
 * each response, so every endpoint is tested without a server. */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include "app.h"
#include "util.h"

typedef struct sl_http sl_http;

/* Starts serving app on listen: "127.0.0.1:8080", "[::1]:8080" or
 * "localhost:PORT" (localhost always means 127.0.0.1). Any other host is
 * resolved and used as given. Port 0 picks a free port. Returns NULL and
 * fills err on failure. */
sl_http *sl_http_start(sl_app *app, const char *listen, sl_error *err);
/* As sl_http_start, but when token is not NULL or empty every request must
 * send "Authorization: Bearer TOKEN" or gets a 401 JSON error. The token is
 * copied and never logged. */
sl_http *sl_http_start_auth(sl_app *app, const char *listen, const char *token, sl_error *err);
/* Stops the server after the requests in progress; NULL is allowed. */
void sl_http_stop(sl_http *h);
/* Returns the TCP port the server is bound to. */
int sl_http_port(const sl_http *h);

/* Routes one request: path is the URL path without the query string, get
 * returns a query parameter or NULL. Fills body and returns the HTTP status. */
int sl_http_route(sl_app *app, const char *method, const char *path,
		  const char *(*get)(void *ud, const char *name), void *ud, sl_buf *body);
/* Returns the Content-Type of a response that sl_http_route made for path
 * with status. */
const char *sl_http_content_type(const char *path, int status);

#endif
