# relaywarden - one GNU Makefile, no autotools.
#   make run     install missing packages, build, run in the foreground with policies/default.conf
#   make check   install missing packages, build, run every test
#   make unit | itest | asan | tsan | clean

CC       ?= cc
BUILD    ?= build
CFLAGS   ?= -O2 -g
# Log and detail lines are bounded buffers that truncate by design, so
# -Wformat-truncation (noisy at -O1) is not an error.
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wswitch-enum -Wno-format-truncation -Werror
CPPFLAGS += -Iinclude $(shell pkg-config --cflags libconfig 2>/dev/null)
LDLIBS   := -lmilter -lldap -llber -lcares $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig) \
            -lpthread
SANITIZE ?=

# The pure and the libmilter-free modules: unit tests link all of them.
LIB_SRCS := address config config_keys controls directory directory_cache directory_file directory_ldap dns errlist explain \
            header ldap_conn log netmatch policy reload reply session snapshot strmap xalloc
MILTER_SRCS := callbacks main
LIB_OBJS := $(LIB_SRCS:%=$(BUILD)/obj/%.o)
MILTER_OBJS := $(MILTER_SRCS:%=$(BUILD)/obj/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

BUILD_PKGS := gcc make pkg-config libmilter-dev libldap-dev libconfig-dev libc-ares-dev \
              libcmocka-dev
TEST_PKGS  := miltertest slapd ldap-utils python3 unbound postfix swaks sasl2-bin libsasl2-modules \
              m4 liblockfile1 systemd
# Present unless the host's package database says otherwise.
missing = $(shell for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
            grep -q '^install ok installed' || echo $$p; done)

.PHONY: all deps test-deps run check unit itest asan tsan clean
all: $(BUILD)/relaywarden

deps:
	@m="$(call missing,$(BUILD_PKGS))"; if [ -n "$$m" ]; then \
	  echo "installing build packages: $$m"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$m; fi

test-deps: deps
	@m="$(call missing,$(TEST_PKGS))"; if [ -n "$$m" ]; then \
	  echo "installing test packages: $$m"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$m; fi

$(BUILD)/obj/%.o: milter/%.c | $(BUILD)/obj
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/librelaywarden.a: $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/relaywarden: $(MILTER_OBJS) $(BUILD)/librelaywarden.a
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librelaywarden.a | $(BUILD)/tests
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -o $@ $< $(BUILD)/librelaywarden.a \
	  -lcmocka $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

run: deps
	$(MAKE) all
	mkdir -p /run/relaywarden
	exec $(BUILD)/relaywarden -f -c policies/default.conf

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

itest: $(BUILD)/relaywarden
	tests/run-itests.sh $(BUILD)/relaywarden

check: test-deps
	$(MAKE) all
	$(MAKE) purity unit itest

# Pure modules must never see libmilter, LDAP or c-ares (STYLE.md 4.1).
purity:
	@! grep -nE '#include *[<"](libmilter/mfapi\.h|ldap\.h|ares\.h)' \
	  milter/policy.c milter/controls.c include/controls.h milter/address.c milter/netmatch.c milter/session.c milter/config*.c \
	  include/policy.h include/address.h include/netmatch.h include/session.h \
	  || { echo "a pure module includes libmilter or ldap.h"; exit 1; }

asan:
	$(MAKE) BUILD=build/asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  CFLAGS="-O1 -g" unit itest

tsan:
	$(MAKE) BUILD=build/tsan SANITIZE="-fsanitize=thread" CFLAGS="-O1 -g" unit itest

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d)
