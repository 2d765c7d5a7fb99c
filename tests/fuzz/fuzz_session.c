/*
 * fuzz_session.c - libFuzzer target for a whole milter session (session.c,
 * policy.c, controls.c, address.c, header.c) as the callbacks drive it.
 *
 * The input is a script, one step per line: "C name ip daemon", "M auth
 * from [SIZE=n]", "R rcpt", "H Name: value", "E" (end of headers), "B n"
 * (body bytes), "O" (end of message), "A" (abort). Bytes after the letter
 * are the attacker's. Invariants: every refusal carries a reply of the
 * right class, and no step ever accepts a relay the policy forbids: an
 * unauthenticated external client's RCPT to a non-local domain is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy *policy;

static const char policy_text[] =
    "local_domains = [ \"acme.com\" ];\n"
    "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"
    "verify_sender = { headers = true; };\n"
    "connection = { deny_hosts = [ \"[192.0.2.66]\" ]; error_limit = 5; };\n"
    "sender = { deny = [ \"@spam.example\" ]; strict_syntax = true; max_message_size = 5000; };\n"
    "recipients = { verify_local = true; max = 5; deny = [ \"ceo@acme.com\" ]; };\n"
    "protect_local_senders = true;\n"
    "profiles = ( { daemon_name = \"submission\"; relay = { enforce = \"all\"; }; } );\n";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	char dir[256], path[300];
	struct errlist errs = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/rw-fuzz-session.%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/directory.conf", dir);
	write_file(path, "users = ( { login = \"jdoe\"; addresses = [ \"jd@acme.com\" ]; } );\n"
	    "groups = ( { name = \"Sales\"; addresses = [ \"sales@acme.com\" ]; members = "
	    "[ \"jdoe\" ]; } );\n");
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	write_file(path, policy_text);
	log_set_level(LOG_LEVEL_ERR);
	policy = config_load(path, &errs);
	if (policy == NULL)
		abort();
	errlist_clear(&errs);
}

static void
check(const struct decision *d)
{
	if (d->action == DECISION_CONTINUE)
		return;
	if (d->reply == NULL)
		abort();
	if ((d->action == DECISION_TEMPFAIL) != (d->reply->code[0] == '4'))
		abort();
}

/* The safety property: an external, unauthenticated client never gets a
 * non-local, well-formed recipient accepted under this closed relay. */
static void
check_relay(const struct session *s, const char *rcpt, const struct decision *d)
{
	struct address a;

	address_parse(rcpt, &a);
	if (d->action != DECISION_CONTINUE || s->relay.allowed || s->auth != NULL)
		return;
	if (a.kind == ADDRESS_OK && a.domain[0] != '\0' && a.route == ROUTE_NONE &&
	    !policy_is_local_domain(s->policy, a.domain))
		abort();
}

static void
step(struct session *s, char op, char *arg)
{
	struct decision d;
	char *sp;

	switch (op) {
	case 'C': {
		char *name = strtok_r(arg, " ", &sp), *ip = strtok_r(NULL, " ", &sp);
		char *daemon = strtok_r(NULL, " ", &sp);
		session_connect(s, name ? name : "unknown", ip, daemon, 1, &d, NULL);
		break;
	}
	case 'M': {
		char *auth = strtok_r(arg, " ", &sp), *from = strtok_r(NULL, " ", &sp);
		const char *args[2] = { strtok_r(NULL, " ", &sp), NULL };
		session_mail(s, auth && strcmp(auth, "-") ? auth : NULL, from ? from : "", args, &d,
		    NULL);
		break;
	}
	case 'R':
		session_rcpt(s, arg, &d, NULL);
		check_relay(s, arg, &d);
		break;
	case 'H': {
		char *colon = strchr(arg, ':');
		if (colon == NULL)
			return;
		*colon = '\0';
		session_header(s, arg, colon + 1);
		return;
	}
	case 'E':
		session_eoh(s, &d, NULL);
		break;
	case 'B':
		session_body(s, (size_t)strtoul(arg, NULL, 10) % 100000);
		return;
	case 'O':
		session_eom(s, &d, NULL);
		session_message_reset(s);
		break;
	case 'A':
		session_message_reset(s);
		return;
	default:
		return;
	}
	check(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (policy == NULL)
		setup();
	char *text = malloc(size + 1), *sp = NULL;
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct session *s = session_new(policy);
	struct decision d;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	for (char *line = strtok_r(text, "\n", &sp); line != NULL; line = strtok_r(NULL, "\n", &sp))
		if (line[0] != '\0')
			step(s, line[0], line + 1 + (line[1] == ' '));
	session_free(s);
	free(text);
	return 0;
}
