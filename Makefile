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

.PHONY: all run test check unit e2e deps deps-build install uninstall clean asan lint-man

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
