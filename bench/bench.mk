# bench/bench.mk - `make bench`: the load driver, the null milter and the
# run script (included by the Makefile).
BENCH_WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Werror

$(BUILD)/bench/mload: bench/mload.c | $(BUILD)/bench
	$(CC) $(BENCH_WARN) -O2 -g -o $@ $< -lpthread

$(BUILD)/bench/null_milter: bench/null_milter.c | $(BUILD)/bench
	$(CC) $(BENCH_WARN) -O2 -g -o $@ $< -lmilter -lpthread

$(BUILD)/bench/smtpload: bench/smtpload.c | $(BUILD)/bench
	$(CC) $(BENCH_WARN) -O2 -g -o $@ $< -lpthread

$(BUILD)/bench:
	mkdir -p $@

# Postfix's ldap: table, for row C (its own sender_login_maps check);
# valgrind for bench/callgrind.sh; tcpdump for bench/stall.sh (strace for
# its STALL_STRACE mode).
BENCH_PKGS := postfix-ldap valgrind tcpdump strace

.PHONY: bench bench-deps bench-tools soak
SOAK_SECONDS ?= 600
bench-tools: all $(BUILD)/bench/mload $(BUILD)/bench/null_milter $(BUILD)/bench/smtpload

bench-deps: test-deps
	@m="$(call missing,$(BENCH_PKGS))"; if [ -n "$$m" ]; then \
	  echo "installing benchmark packages: $$m"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$m; fi

# BENCH_COMPARE=/path/to/another/relaywarden: its rows too, in the same run.
# BENCH_ONLY=F, P or R: those rows of bench/run.sh alone, none of the other
# scripts (a full run takes 8 to 11 minutes).
bench: bench-deps bench-tools
	bench/run.sh $(BUILD)
ifeq ($(BENCH_ONLY),)
	bench/callgrind.sh $(BUILD)
	bench/rtt.sh $(BUILD)
	@echo; echo "delayed-ACK stalls, one message at a time through Postfix (bench/stall.sh):"
	@for w in null relaywarden $${BENCH_COMPARE:-}; do bench/stall.sh $(BUILD) $$w inet; done
	bench/e2e.sh $(BUILD)
else
	@echo "(BENCH_ONLY=$(BENCH_ONLY): bench/run.sh's rows alone, the other bench scripts not run)"
endif

# make soak SOAK_SECONDS=N: steady load, RSS and fds over time, and their slope.
soak: bench-tools
	bench/soak.sh $(BUILD) $(SOAK_SECONDS)
