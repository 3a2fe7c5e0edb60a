/* source_file.c: follows a file like `tail -F`, or reads stdin.
 *
 * Rotation: when the path names a new file (another inode) or disappears,
 * the old descriptor is read to its end first, then the new file is read
 * from its beginning. Truncation: when the file shrinks below the read
 * offset, reading restarts at offset 0 with the generation number raised,
 * so record ids (device, inode, generation, offset) never repeat. The
 * position saved with each batch lets a restart resume after the last
 * stored line. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linereader.h"
#include "log.h"
#include "multiline.h"

#define READ_CHUNK (64 * 1024)
/* An unterminated last line is emitted after the file stopped growing for
 * this long, so a writer caught mid-line can still finish it. A writer that
 * pauses longer inside a line gets the line split in two events. */
#define PARTIAL_LINE_IDLE_MS 5000
/* A multi-line event is emitted once no line came for this long, because
 * only the next event's first line can otherwise end it. */
#define MULTILINE_IDLE_MS 1000

typedef struct file_src {
	char *path;
	int is_stdin;
	int fd;
	dev_t dev;
	ino_t ino;
	unsigned gen;
	uint64_t read_offset; /* bytes read from fd */
	sl_linereader lr;
	sl_multiline ml;
	int once;
	int eof;
	int finished;
	int missing_warned;
	int draining; /* rotated: reading the old file to its end once more */
	int64_t last_data_ms;
	int64_t started_ms;
	char key[PATH_MAX + 8];
	char identity[96];
	char *pending; /* bytes read but not yet fed, after emit stopped early */
	size_t pending_len;
	size_t pending_off;
	char *chunk;
	/* set during one poll */
	sl_source *src;
	sl_emit_fn emit;
	void *emit_ud;
	size_t emitted;
	size_t max;
	uint64_t blank_lines;
} file_src;

static void set_identity(file_src *f)
{
	snprintf(f->identity, sizeof f->identity, "%ju:%ju:%u", (uintmax_t)f->dev,
		 (uintmax_t)f->ino, f->gen);
}

/* Event callback of the joiner: wraps an event (one line or several joined
 * with '\n') in a record and hands it to the pipeline. The id carries the
 * offset of the event's first line. */
static int on_event(void *ud, const char *line, size_t len, int truncated, uint64_t start,
		    uint64_t end)
{
	file_src *f = ud;
	sl_record rec;

	(void)end;
	memset(&rec, 0, sizeof rec);
	rec.data = line;
	rec.len = len;
	rec.recv_ms = sl_now_ms();
	rec.flags = truncated ? SL_REC_TRUNCATED : 0;
	rec.origin = f->src->desc;
	if (f->is_stdin)
		snprintf(rec.id, sizeof rec.id, "stdin:%" PRId64 ":%" PRIu64, f->started_ms, start);
	else
		snprintf(rec.id, sizeof rec.id, "f:%ju:%ju:%u:%" PRIu64, (uintmax_t)f->dev,
			 (uintmax_t)f->ino, f->gen, start);
	f->emit(f->emit_ud, &rec, &f->src->decode);
	f->emitted++;
	return f->emitted >= f->max;
}

/* Line callback: passes every line to the joiner, which keeps a blank line
 * inside a Python traceback and drops the others, and counts blank lines for
 * the closing log message. */
static int on_line(void *ud, const char *line, size_t len, int truncated, uint64_t start,
		   uint64_t end)
{
	file_src *f = ud;
	size_t i;

	for (i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t')
			break;
	}
	if (i == len)
		f->blank_lines++;
	return sl_multiline_add(&f->ml, line, len, truncated, start, end, on_event, f);
}

/* Opens path and records its identity. Returns 0, or -1 with errno set. */
static int open_path(file_src *f)
{
	struct stat st;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int saved = S_ISDIR(st.st_mode) ? EISDIR : errno;

		close(fd);
		errno = saved;
		return -1;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

static void start_at(file_src *f, uint64_t offset)
{
	if (!f->is_stdin && lseek(f->fd, (off_t)offset, SEEK_SET) < 0)
		offset = 0;
	f->read_offset = offset;
	sl_linereader_free(&f->lr);
	sl_linereader_init(&f->lr, f->lr.cap, offset);
	sl_multiline_free(&f->ml);
	sl_multiline_init(&f->ml, f->lr.cap, f->ml.enabled, offset);
	f->pending_len = f->pending_off = 0;
	f->eof = 0;
	set_identity(f);
}

/* Chooses where to start: after the saved position when the file is the one
 * it was saved for, else the beginning or the end. */
static int choose_start(file_src *f, const sl_file_conf *conf, sl_store *store, sl_error *err)
{
	char *saved_identity = NULL;
	uint64_t saved_offset = 0, start = 0;
	uintmax_t dev, ino;
	unsigned gen;
	struct stat st;
	int found;

	found = store->ops->load_position(store, f->key, &saved_identity, &saved_offset, err);
	if (found < 0)
		return -1;
	if (fstat(f->fd, &st) != 0) {
		sl_error_set(err, 0, "cannot stat %s: %s", f->path, strerror(errno));
		free(saved_identity);
		return -1;
	}

	if (found && sscanf(saved_identity, "%ju:%ju:%u", &dev, &ino, &gen) == 3 &&
	    dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino) {
		f->gen = gen;
		if (saved_offset <= (uint64_t)st.st_size) {
			start = saved_offset;
		} else {
			sl_warn("file", "%s is shorter than its saved position, reading it again",
				f->path);
			f->gen++;
		}
	} else if (!found && !conf->from_start) {
		start = (uint64_t)st.st_size;
	}
	/* A saved position for another inode means the file was rotated while
	 * StreamLens was stopped: the new file is unseen, so it is read whole. */

	free(saved_identity);
	start_at(f, start);
	sl_info("file", "following %s from offset %" PRIu64, f->path, start);
	return 0;
}

/* Feeds bytes kept from an earlier poll. Returns 1 while some remain. */
static int feed_pending(file_src *f)
{
	size_t n = f->pending_len - f->pending_off;
	size_t used;

	if (n == 0)
		return 0;
	used = sl_linereader_feed(&f->lr, f->pending + f->pending_off, n, on_line, f);
	f->pending_off += used;
	if (f->pending_off >= f->pending_len) {
		f->pending_len = f->pending_off = 0;
		return 0;
	}
	return 1;
}

/* Reopens the path after rotation; returns 1 when a new file is open. */
static int reopen(file_src *f)
{
	if (open_path(f) != 0)
		return 0;
	sl_info("file", "%s was rotated, reading the new file from the start", f->path);
	f->missing_warned = 0;
	f->gen = 0;
	start_at(f, 0);
	return 1;
}

/* Checks the path after end of file. Returns 1 when reading should go on
 * (truncated, or rotated and the new file is open), 0 when the file is
 * simply at its end. A file that disappeared keeps being read through its
 * descriptor until a new file takes its path, as a writer may still append
 * to it. */
static int check_replaced(file_src *f)
{
	struct stat st, pst;

	if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < f->read_offset) {
		sl_warn("file", "%s was truncated (size %jd < offset %" PRIu64 "), reading from the start",
			f->path, (intmax_t)st.st_size, f->read_offset);
		/* The pending event belongs to the old contents and their id. */
		sl_multiline_flush(&f->ml, on_event, f);
		f->gen++;
		start_at(f, 0);
		return 1;
	}
	if (stat(f->path, &pst) != 0) {
		if (!f->missing_warned)
			sl_warn("file", "%s disappeared, reading the old file until a new one appears",
				f->path);
		f->missing_warned = 1;
		return 0;
	}
	if (pst.st_dev == f->dev && pst.st_ino == f->ino)
		return 0;

	/* Another file has the path. Read the old one once more to its end,
	 * since its writer may have appended after the last read, then switch. */
	if (!f->draining) {
		f->draining = 1;
		return 1;
	}
	f->draining = 0;
	sl_linereader_flush(&f->lr, on_line, f);
	sl_multiline_flush(&f->ml, on_event, f);
	close(f->fd);
	f->fd = -1;
	return reopen(f);
}

static int stdin_ready(void)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};

	return poll(&pfd, 1, 0) > 0;
}

/* Emits what waits at the end of the data: an unterminated last line, then
 * the pending multi-line event, which that line may still have continued. */
static void at_end_of_data(file_src *f)
{
	int64_t idle = sl_mono_ms() - f->last_data_ms;
	int at_end = f->once && !f->is_stdin;

	if (sl_linereader_has_partial(&f->lr) && (at_end || idle >= PARTIAL_LINE_IDLE_MS))
		sl_linereader_flush(&f->lr, on_line, f);
	if (!sl_linereader_has_partial(&f->lr) && (at_end || idle >= MULTILINE_IDLE_MS))
		sl_multiline_flush(&f->ml, on_event, f);
	f->eof = 1;
}

/* Reads one chunk. Returns 1 when data was fed, 0 at end, -1 on error. */
static int read_chunk(file_src *f, sl_error *err)
{
	ssize_t n;

	if (f->is_stdin && !stdin_ready())
		return 0;
	n = read(f->fd, f->pending, READ_CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0) {
		sl_error_set(err, 0, "cannot read %s: %s", f->path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		if (f->is_stdin) {
			sl_linereader_flush(&f->lr, on_line, f);
			sl_multiline_flush(&f->ml, on_event, f);
			f->finished = 1;
		}
		return 0;
	}
	f->read_offset += (uint64_t)n;
	f->last_data_ms = sl_mono_ms();
	f->eof = 0;
	f->pending_len = (size_t)n;
	f->pending_off = 0;
	feed_pending(f);
	return 1;
}

static int file_poll(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err)
{
	file_src *f = src->impl;
	int rc;

	f->src = src;
	f->emit = emit;
	f->emit_ud = ud;
	f->emitted = 0;
	f->max = max ? max : 1;
	if (f->finished)
		return 0;
	if (f->fd < 0 && !reopen(f))
		return 0;

	while (f->emitted < f->max && !f->finished) {
		if (feed_pending(f))
			break;
		rc = read_chunk(f, err);
		if (rc < 0) {
			sl_warn("file", "%s", err->message);
			break;
		}
		if (rc > 0)
			continue;
		if (f->finished)
			break;
		if (!f->is_stdin && check_replaced(f))
			continue;
		if (f->fd < 0) {
			if (reopen(f))
				continue;
			break;
		}
		at_end_of_data(f);
		break;
	}
	return (int)f->emitted;
}

static int file_position(sl_source *src, sl_source_pos *pos)
{
	file_src *f = src->impl;

	if (f->is_stdin || f->fd < 0)
		return 0;
	pos->key = f->key;
	pos->identity = f->identity;
	pos->offset = sl_multiline_resume_offset(&f->ml, f->lr.line_end);
	return 1;
}

static int file_idle(sl_source *src)
{
	file_src *f = src->impl;

	if (f->finished)
		return 1;
	return f->eof && f->pending_len == f->pending_off && !sl_linereader_has_partial(&f->lr) &&
	       !sl_multiline_has_pending(&f->ml);
}

static int file_finished(sl_source *src)
{
	return ((file_src *)src->impl)->finished;
}

static void file_close(sl_source *src)
{
	file_src *f = src->impl;

	if (f->blank_lines)
		sl_info("file", "%s: read %" PRIu64 " blank lines (kept only inside Python tracebacks)", f->path, f->blank_lines);
	if (f->fd >= 0 && !f->is_stdin)
		close(f->fd);
	sl_linereader_free(&f->lr);
	sl_multiline_free(&f->ml);
	free(f->pending);
	free(f->path);
	free(f);
}

static const sl_source_ops file_ops = {
	.kind = "file",
	.poll = file_poll,
	.position = file_position,
	.idle = file_idle,
	.finished = file_finished,
	.close = file_close,
};

static void make_key(file_src *f)
{
	char abs[PATH_MAX];

	if (!realpath(f->path, abs))
		snprintf(abs, sizeof abs, "%s", f->path);
	snprintf(f->key, sizeof f->key, "file:%s", abs);
}

sl_source *sl_source_file_open(const sl_file_conf *conf, sl_store *store, sl_error *err)
{
	file_src *f = sl_calloc(1, sizeof *f);
	sl_source *src = sl_calloc(1, sizeof *src);
	sl_buf desc;

	f->path = sl_strdup(conf->path);
	f->is_stdin = strcmp(conf->path, "-") == 0;
	f->once = conf->once;
	f->fd = -1;
	f->started_ms = sl_now_ms();
	f->last_data_ms = sl_mono_ms();
	f->pending = sl_malloc(READ_CHUNK);
	sl_linereader_init(&f->lr, conf->max_line ? conf->max_line : SL_LINE_CAP_DEFAULT, 0);
	/* JSON lines are whole events, so a forced JSON format joins nothing. */
	sl_multiline_init(&f->ml, f->lr.cap, conf->format != &sl_decoder_json, 0);
	src->ops = &file_ops;
	src->impl = f;
	sl_decode_ctx_init(&src->decode, conf->format);

	sl_buf_init(&desc);
	sl_buf_printf(&desc, "%s%s", f->is_stdin ? "stdin" : "file:", f->is_stdin ? "" : f->path);
	src->desc = sl_buf_steal(&desc);

	if (f->is_stdin) {
		f->fd = STDIN_FILENO;
		return src;
	}
	if (open_path(f) != 0) {
		sl_error_set(err, 0, "cannot open %s: %s", f->path, strerror(errno));
		goto fail;
	}
	make_key(f);
	if (choose_start(f, conf, store, err) != 0)
		goto fail;
	return src;

fail:
	sl_source_close(src);
	return NULL;
}

void sl_source_close(sl_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
	free(src->desc);
	free(src);
}
