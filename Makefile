# StreamLens build. `make` builds, `make run` starts the dashboard on
# generated logs, `make test` installs what is missing and runs every test.

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
BUILD ?= build
CC ?= cc

PKGS = ncursesw readline libcurl rdkafka hiredis sqlite3 libmicrohttpd zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
TEST_LIBS = $(shell pkg-config --libs criterion 2>/dev/null)

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral -Wno-format-truncation -Wundef -Wvla -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
	$(PKG_CFLAGS) -MMD -MP
LDLIBS = $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
Q =
else
Q = @
endif

CORE_SRC = $(filter-out src/main.c,$(wildcard src/*.c)) producer/gen.c
TUI_SRC = $(wildcard tui/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ = $(TUI_SRC:%.c=$(BUILD)/%.o)
TOP_OBJ = $(BUILD)/src/main.o $(TUI_OBJ) $(CORE_OBJ)
PRODUCER_OBJ = $(BUILD)/producer/producer.o $(CORE_OBJ)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/%.o)

TOP = $(BUILD)/streamlens-top
PRODUCER = $(BUILD)/streamlens-producer
UNIT = $(BUILD)/unit-tests

.PHONY: all run test check unit e2e deps deps-build install uninstall clean asan lint-man \
	fuzz fuzz-short fuzz-build bench bench-run deps-bench

all: $(TOP) $(PRODUCER)

$(TOP): $(TOP_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(PRODUCER): $(PRODUCER_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(UNIT_OBJ) $(CORE_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

deps:
	@scripts/install-deps.sh test
	@scripts/install-deps.sh servers

deps-build:
	@scripts/install-deps.sh build

# ARGS passes options through: make run ARGS='--file /var/log/syslog --from-start'
run: deps-build
	@$(MAKE) --no-print-directory all
	$(TOP) $(ARGS)

test: deps
	@$(MAKE) --no-print-directory check

check: all $(UNIT)
	@BUILD=$(BUILD) tests/run.sh

unit: $(UNIT)
	$(UNIT)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer' check

# libFuzzer targets, built with clang into $(BUILD)/fuzz/. `make fuzz-short`
# runs each for FUZZ_SHORT_S seconds from the seed corpus in tests/fuzz-corpus,
# `make fuzz` for FUZZ_LONG_S seconds.
FUZZ_CC ?= clang
FUZZ_FLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRC = src/decode.c src/decode_json.c src/json_scan.c src/decode_text.c src/decode_app.c src/timeparse.c src/event.c \
	src/util.c src/log.c src/linereader.c src/multiline.c src/query.c src/query_sql.c \
	src/query_es.c src/query_agg.c
FUZZ_TARGETS = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SHORT_S ?= 10
FUZZ_LONG_S ?= 60

# The HTTP target routes requests through real stores, so it links the
# whole core and its libraries.
$(BUILD)/fuzz/fuzz_http: fuzz/fuzz_http.c $(CORE_SRC)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(CORE_SRC) $(LDLIBS)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_SRC) -lpthread -lm

fuzz-build: $(FUZZ_BINS)

fuzz-short: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SHORT_S) -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/ \
			$(BUILD)/fuzz/corpus-$$t tests/fuzz-corpus/$$t || exit 1; \
	done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_LONG_S) -artifact_prefix=$(BUILD)/fuzz/ \
			$(BUILD)/fuzz/corpus-$$t tests/fuzz-corpus/$$t || exit 1; \
	done

# Benchmarks: StreamLens beside its peers on the same input, written to
# bench/RESULTS.md. BENCH_EVENTS sets the event count (default 1000000).
# `make bench` installs what is missing first, as `make test` does;
# `make bench-run` only builds and runs.
BENCH_BINS = $(BUILD)/bench/sqlite_limit $(BUILD)/bench/http_latency \
	     $(BUILD)/bench/redis_sink $(BUILD)/bench/kafka_discard $(BUILD)/bench/es_bodies

# These time StreamLens's own modules, so they link the core objects.
$(BUILD)/bench/redis_sink $(BUILD)/bench/kafka_discard $(BUILD)/bench/es_bodies: $(BUILD)/bench/%: bench/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_OBJ) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

# bench/run.sh fetches the jars itself, beside a long step of its own.
deps-bench:
	@scripts/install-deps.sh bench

bench: deps-bench
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(BENCH_BINS)
	@BUILD=$(BUILD) bench/run.sh

lint-man:
	mandoc -Tlint -W warning man/streamlens-top.1 man/streamlens-producer.1

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(TOP) $(PRODUCER) $(DESTDIR)$(BINDIR)/
	install -m 644 man/streamlens-top.1 man/streamlens-producer.1 $(DESTDIR)$(MANDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/streamlens-top $(DESTDIR)$(BINDIR)/streamlens-producer
	rm -f $(DESTDIR)$(MANDIR)/streamlens-top.1 $(DESTDIR)$(MANDIR)/streamlens-producer.1

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
