/*
 * test_stats.c - stats.c's decision table and stats_prometheus.c's text:
 * one series per label set however often it is counted (an accept's code
 * "none" and a rule longer than its field included), counts exact, every
 * family typed once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

static size_t
count_lines(const char *text, const char *line)
{
	size_t n = 0, len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p += len)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			n++;
	return n;
}

static char *
render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	stats_prometheus_write(out, "9.9.9");
	fclose(out);
	return buf;
}

static void
test_one_series_per_label_set(void **state)
{
	struct decision accept, relay, lng;
	struct reply r554 = { .code = "554", .xcode = "5.7.1", .text = "Relay rejected." };

	(void)state;
	decision_init(&accept);
	decision_init(&relay);
	decision_refuse(&relay, DECISION_REJECT, "relay", "relay denied", &r554);
	decision_init(&lng);
	lng.rule = "a_rule_name_longer_than_the_thirty_one_bytes_of_a_slot";
	for (int i = 0; i < 3; i++) {
		stats_decision("rcpt", &accept);
		stats_decision("rcpt", &relay);
		stats_decision("mail", &lng);
	}
	stats_decision("nonsense", &accept);
	char *text = render();
	assert_int_equal(count_lines(text, "relaywarden_decisions_total{stage=\"rcpt\",rule=\"none\","
	    "decision=\"accept\",code=\"none\"} 3"), 1);
	assert_int_equal(count_lines(text, "relaywarden_decisions_total{stage=\"rcpt\",rule=\"relay\","
	    "decision=\"reject\",code=\"554\"} 3"), 1);
	assert_int_equal(count_lines(text, "relaywarden_decisions_total{stage=\"mail\",rule=\""
	    "a_rule_name_longer_than_the_thi\",decision=\"accept\",code=\"none\"} 3"), 1);
	assert_int_equal(count_lines(text, "relaywarden_decisions_total{stage=\"other\",rule=\"none\","
	    "decision=\"accept\",code=\"none\"} 1"), 1);
	assert_int_equal(count_lines(text, "relaywarden_build_info{version=\"9.9.9\"} 1"), 1);
	assert_int_equal(count_lines(text, "# TYPE relaywarden_decisions_total counter"), 1);
	free(text);
}

static void
test_sessions_and_reloads(void **state)
{
	(void)state;
	stats_session_opened();
	stats_session_opened();
	stats_session_closed();
	stats_policy_load(false, true, 0.001);
	stats_policy_load(true, true, 0.002);
	stats_policy_load(true, false, 0.003);
	char *text = render();
	assert_int_equal(count_lines(text, "relaywarden_sessions 1"), 1);
	assert_int_equal(count_lines(text, "relaywarden_sessions_total 2"), 1);
	assert_int_equal(count_lines(text, "relaywarden_reloads_total{result=\"success\"} 1"), 1);
	assert_int_equal(count_lines(text, "relaywarden_reloads_total{result=\"failure\"} 1"), 1);
	assert_int_equal(count_lines(text, "relaywarden_policy_generation 2"), 1);
	assert_int_equal(count_lines(text, "relaywarden_policy_last_reload_failed 1"), 1);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_series_per_label_set),
		cmocka_unit_test(test_sessions_and_reloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
