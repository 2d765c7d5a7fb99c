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
            -lidn2 -lunistring -lgnutls -lhiredis -lpthread
# (-lgnutls: ldap_tls.c names why a certificate did not verify; libldap's
# GnuTLS says only "(unknown error code)".)
SANITIZE ?=

# The pure and the libmilter-free modules: unit tests link all of them.
LIB_SRCS := address config config_apply config_groups config_keys controls decision directory directory_cache directory_file directory_ldap dns dns_cache errlist explain \
            encoded_word header header_display idn ldap_conn log negotiate ip domain host_set addr_set policy policy_headers received reload reload_client reply session session_log snapshot startup strlist strmap \
            text_fold xalloc
LIB_SRCS += ldap_probe ldap_tls
LIB_SRCS += directory_ldap_groups directory_ldap_values
LIB_SRCS += stats stats_prometheus directory_metered
LIB_SRCS += metrics metrics_http metrics_listen
LIB_SRCS += control control_report ctl_ask ctl_client ctl_top
LIB_SRCS += rate_limit rate_store rate_redis config_rate secret_file
MILTER_SRCS := callbacks main
LIB_OBJS := $(LIB_SRCS:%=$(BUILD)/obj/%.o)
MILTER_OBJS := $(MILTER_SRCS:%=$(BUILD)/obj/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

BUILD_PKGS := gcc make pkg-config libmilter-dev libldap-dev libconfig-dev libc-ares-dev \
              libcmocka-dev libidn2-dev libunistring-dev libgnutls28-dev libhiredis-dev
TEST_PKGS  := miltertest slapd ldap-utils python3 unbound postfix swaks sasl2-bin libsasl2-modules \
              m4 liblockfile1 systemd clang libclang-rt-14-dev debhelper lintian fakeroot dpkg-dev build-essential groff-base man-db \
              procps cpio valgrind gnutls-bin prometheus redis-server redis-tools faketime \
              samba-ad-dc samba samba-ad-provision python3-samba winbind smbclient ldb-tools 389-ds-base
# Present unless the host's package database says otherwise.
missing = $(shell for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
            grep -q '^install ok installed' || echo $$p; done)

.PHONY: all deps test-deps run check unit itest asan tsan valgrind fuzz fuzz-short clean oracle
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

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/librelaywarden.a | $(BUILD)/tests
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -o $@ $< $(BUILD)/librelaywarden.a \
	  -lcmocka $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

# The socket lives under Postfix's queue directory (chrooted smtpd reaches
# it as unix:relaywarden/relaywarden.sock); the postfix group may connect.
# RUN_SOCKDIR elsewhere is for tests/cli/make-run.sh.
RUN_SOCKDIR ?= /var/spool/postfix/relaywarden
RUN_SOCK = $(RUN_SOCKDIR)/relaywarden.sock
RUN_MILTER = $(if $(filter /var/spool/postfix/relaywarden,$(RUN_SOCKDIR)),unix:relaywarden/relaywarden.sock,unix:$(RUN_SOCK))
# RUN_BINARY: a binary already built (tests/cli/make-run.sh passes the one
# under test, so that `make run` never relinks build/ under other tests).
RUN_BINARY ?=
run: deps
	@$(if $(RUN_BINARY),true,$(MAKE) --no-print-directory -s all)
	@install -d -m 0750 $(RUN_SOCKDIR)
	@if getent group postfix >/dev/null; then chgrp postfix $(RUN_SOCKDIR); \
	  echo "relaywarden: socket unix:$(RUN_SOCK), mode 0660, group postfix"; \
	  else echo "relaywarden: socket unix:$(RUN_SOCK) (no postfix group here: only root may connect)"; fi
	@echo "Attach Postfix (Debian's chrooted smtpd too), then postfix reload:"
	@echo "    postconf -e 'smtpd_milters = $(RUN_MILTER)' 'milter_default_action = tempfail'"
	@echo "Try a decision offline:"
	@echo "    $(BUILD)/relaywarden explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com --from bogus.user@bogus.com --rcpt john.doe@ibm.com"
	@echo "Ask it: $(or $(RUN_BINARY),$(BUILD)/relaywarden) ctl --socket $(RUN_SOCKDIR)/control.sock status"
	@echo "Ctrl-C stops it. One log line per decision follows."
	@exec $(or $(RUN_BINARY),$(BUILD)/relaywarden) -f -c policies/default.conf -p unix:$(RUN_SOCK) \
	  -C unix:$(RUN_SOCKDIR)/control.sock

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

itest: $(BUILD)/relaywarden
	tests/run-itests.sh $(BUILD)/relaywarden

check: test-deps
	$(MAKE) all
	$(MAKE) purity unit oracle itest fuzz-short asan

# Pure modules must never see libmilter, LDAP or c-ares (STYLE.md 4.1):
# no such header in the engine's sources, and, at link level, no libmilter,
# LDAP, c-ares, socket or file I/O symbol among the pure objects' undefined
# ones (they reach the directory, the DNS and the log only through their
# own modules' functions); and no two modules call each other, directly or
# round a cycle (tests/cycles.py).
PURE_MODS := address controls decision encoded_word errlist header header_display idn metrics_http metrics_listen negotiate ip domain host_set addr_set policy policy_headers received \
             rate_limit reply session session_log strlist strmap text_fold
IMPURE_SYMS := ^(smfi_|ldap_|ber_|ares_)|^(socket|connect|bind|listen|accept|accept4|send|sendto|sendmsg|recv|recvfrom|recvmsg|open|open64|openat|creat|fopen|fopen64|fdopen|read|write|pread|pwrite|close|fclose|fread|fwrite|fgets|fputs|fputc|putc|fprintf|vfprintf|printf|vprintf|puts|putchar|stat|stat64|lstat|fstat|unlink|rename|mkdir|getaddrinfo|gethostbyname|syslog|vsyslog)$$
purity: $(LIB_OBJS) $(MILTER_OBJS)
	@! grep -nE '#include *[<"](libmilter/mfapi\.h|ldap\.h|ares\.h)' \
	  $(PURE_MODS:%=milter/%.c) $(wildcard $(PURE_MODS:%=include/%.h)) milter/config*.c \
	  || { echo "a pure module includes libmilter, ldap.h or ares.h"; exit 1; }
	@rc=0; for o in $(PURE_MODS); do \
	  bad=$$(nm -u $(BUILD)/obj/$$o.o | awk '{print $$2}' | grep -E '$(IMPURE_SYMS)' | tr '\n' ' '); \
	  [ -z "$$bad" ] || { echo "$$o.o is not pure: it calls $$bad"; rc=1; }; done; \
	  [ $$rc -eq 0 ] && echo "purity: $(words $(PURE_MODS)) pure modules, no I/O, libmilter, LDAP or c-ares symbol"; \
	  exit $$rc
	@python3 tests/cycles.py $(LIB_OBJS) $(MILTER_OBJS) && echo "purity: no module cycle among $(words $(LIB_OBJS) $(MILTER_OBJS)) objects"

# The differential oracle (issue 14): Python's email package as the reader
# against the milter's own header parser, over ORACLE_COUNT headers from a
# seeded grammar (the same seed, the same headers) and the hostile corpus's
# From:/Sender: rows. An address Python sees that relaywarden did not judge
# in a header it accepted fails the run, with the seed and the header.
ORACLE_SEED  ?= 14
ORACLE_COUNT ?= 100000
$(BUILD)/oracle_header: tests/oracle/oracle_header.c $(BUILD)/librelaywarden.a
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -o $@ $< $(BUILD)/librelaywarden.a $(LDLIBS)

oracle: $(BUILD)/oracle_header
	python3 tests/oracle/oracle.py --harness $(BUILD)/oracle_header --seed $(ORACLE_SEED) \
	  --count $(ORACLE_COUNT) --corpus tests/hostile/corpus.txt

# libFuzzer targets (clang), each over the library sources with ASan+UBSan.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := address header encoded_word config session idn received
FUZZ_SRCS := $(LIB_SRCS:%=milter/%.c)
FUZZ_LIBS := -lldap -llber -lcares $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig) \
             -lidn2 -lunistring -lpthread -lgnutls -lhiredis

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) | $(BUILD)/fuzz
	clang -std=c11 -D_GNU_SOURCE -Werror=implicit-function-declaration -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(CPPFLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_LIBS)

$(BUILD)/fuzz:
	mkdir -p $@

# make fuzz FUZZ_SECONDS=N: every target for N seconds, corpus kept in
# $(BUILD)/fuzz/corpus-TARGET, seeds from tests/fuzz/corpus/TARGET.
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  echo "== fuzz_$$t ($(FUZZ_SECONDS) s)"; \
	  if ! LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp:print_suppressions=0 \
	    $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/crash-$$t- $(BUILD)/fuzz/corpus-$$t \
	    tests/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1; then \
	    tail -n 40 $(BUILD)/fuzz/$$t.log; echo "fuzz_$$t: FINDING (see $(BUILD)/fuzz/)"; exit 1; fi; \
	  grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/$$t.log; \
	done

# The brief run of `make check`.
fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=10

asan:
	$(MAKE) BUILD=build/asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  CFLAGS="-O1 -g" unit itest

# The milter-protocol suites under valgrind: no process may lose memory.
valgrind: all
	rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	RW_VALGRIND_DIR=$(CURDIR)/$(BUILD)/valgrind RW_ONLY='^(milter|dns)/' RW_STOP_GRACE=100 \
	  RW_TEST_TIMEOUT=240 tests/run-itests.sh tests/valgrind.sh
	@n=$$(grep -L 'definitely lost: 0 bytes\|no leaks are possible' $(BUILD)/valgrind/vg.*.log | \
	  xargs -r grep -l 'definitely lost' | wc -l); \
	  grep -h 'definitely lost' $(BUILD)/valgrind/vg.*.log | sed 's/^==[0-9]*== *//' | \
	    sort | uniq -c; \
	  [ $$n -eq 0 ] || { echo "valgrind: $$n process(es) lost memory"; exit 1; }

tsan:
	$(MAKE) BUILD=build/tsan SANITIZE="-fsanitize=thread" CFLAGS="-O1 -g" unit itest

clean:
	rm -rf build

# ---------------------------------------------------------------------------
# Installing, the manual pages and the Debian package (LICENSE, man/,
# debian/, tests/pkg/).
#   make install [PREFIX=/usr/local] [DESTDIR=]
#       $(PREFIX)/sbin/relaywarden; relaywarden(8) and relaywarden.conf(5) in
#       $(PREFIX)/share/man; the unit in /lib/systemd/system when PREFIX=/usr
#       (Debian's place), else in $(PREFIX)/lib/systemd/system (on systemd's
#       search path too), with its /usr/sbin paths rewritten to $(PREFIX)/sbin;
#       tmpfiles.d/relaywarden.conf in $(PREFIX)/lib/tmpfiles.d; README.md and
#       the example policies in $(PREFIX)/share/doc/relaywarden; and
#       policies/default.conf + directory.conf as /etc/relaywarden/relaywarden.conf
#       and directory.conf, each only if no such file exists there.
#   make deb      build/deb/relaywarden_VERSION_ARCH.deb: dpkg-buildpackage -us -uc -b
#                 on a copy of the tree in build/deb/src (nothing written
#                 outside build/; the outer make's variables do not leak
#                 into it); rebuilt only when a source changed.
#   make man-check   both pages render without a warning and relaywarden.conf(5)
#                 lists exactly the keys of `relaywarden keys` (tests/pkg/t-man.sh).
PREFIX      ?= /usr/local
DESTDIR     ?=
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/relaywarden
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DEB_DIR     := build/deb
DEB_SRCS     = $(wildcard Makefile LICENSE README.md bench/bench.mk milter/*.c include/*.h \
               tests/unit/* man/* systemd/* systemd/*/* policies/*.conf policies/examples/* \
               debian/* debian/*/*)

.PHONY: install deb man-check
install: $(BUILD)/relaywarden
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(SYSCONFDIR)/relaywarden
	install -m 0755 $(BUILD)/relaywarden $(DESTDIR)$(PREFIX)/sbin/relaywarden
	install -m 0644 man/relaywarden.8 $(DESTDIR)$(MANDIR)/man8/relaywarden.8
	install -m 0644 man/relaywarden.conf.5 $(DESTDIR)$(MANDIR)/man5/relaywarden.conf.5
	sed -e 's#/usr/\(local/\)\{0,1\}sbin/relaywarden#$(PREFIX)/sbin/relaywarden#g' \
	  -e 's#/usr/share/doc/relaywarden#$(DOCDIR)#g' \
	  systemd/relaywarden.service >$(DESTDIR)$(UNITDIR)/relaywarden.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/relaywarden.service
	install -m 0644 systemd/tmpfiles.d/relaywarden.conf $(DESTDIR)$(TMPFILESDIR)/relaywarden.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 policies/examples/*.conf $(DESTDIR)$(DOCDIR)/examples/
	@for f in relaywarden.conf:default.conf directory.conf:directory.conf; do \
	  dst=$(DESTDIR)$(SYSCONFDIR)/relaywarden/$${f%%:*}; src=policies/$${f#*:}; \
	  if [ -e "$$dst" ] || [ -L "$$dst" ]; then echo "keeping the existing $$dst"; \
	  else echo "install -m 0644 $$src $$dst"; install -m 0644 "$$src" "$$dst"; fi; \
	done

$(DEB_DIR)/stamp: $(DEB_SRCS)
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | grep -zv '^build/' | \
	    xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src; \
	else tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C $(DEB_DIR)/src; fi
	cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	touch $@

deb: $(DEB_DIR)/stamp
	@ls $(DEB_DIR)/*.deb

man-check: $(BUILD)/relaywarden
	tests/pkg/t-man.sh $(BUILD)/relaywarden
# ---------------------------------------------------------------------------

-include $(wildcard $(BUILD)/obj/*.d)
include bench/bench.mk
