/*
 * test_ldap_tls.c - the load-time checks of the client certificate files
 * (ldap_tls_check_files): both or neither, readable, the key a secret like
 * the bind password file. Exact error lines, one pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "errlist.h"
#include "ldap_tls.h"
#include "unit_files.h"

static char tmpdir[] = "/tmp/rw-unit-tls.XXXXXX";
static char cert[512], key[512], open_key[512], missing[512];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cert, sizeof(cert), "%s/client.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/client.key", tmpdir);
	snprintf(open_key, sizeof(open_key), "%s/open.key", tmpdir);
	snprintf(missing, sizeof(missing), "%s/missing.key", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(cert);
	unlink(key);
	unlink(open_key);
	return rmdir(tmpdir);
}

/* Runs the check on cert_file c and key_file k; returns the errors. */
static struct errlist
check(const char *c, const char *k)
{
	struct ldap_config cfg = { .cert_file = (char *)c, .key_file = (char *)k };
	struct errlist errs = { 0 };

	ldap_tls_check_files(&cfg, "p.conf", &errs);
	return errs;
}

static void
expect(struct errlist *errs, const char *line)
{
	if (line == NULL) {
		assert_int_equal(errs->count, 0);
	} else {
		assert_int_equal(errs->count, 1);
		assert_string_equal(errs->lines[0], line);
	}
	errlist_clear(errs);
}

static void
test_client_files(void **state)
{
	char want[1200];
	struct errlist e;

	(void)state;
	unit_write_file(cert, "-----BEGIN CERTIFICATE-----\n");
	unit_write_file(key, "-----BEGIN PRIVATE KEY-----\n");
	unit_write_file(open_key, "-----BEGIN PRIVATE KEY-----\n");
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(chmod(open_key, 0640), 0);

	e = check(NULL, NULL);
	expect(&e, NULL);                    /* none: nothing to check */
	e = check("", "");
	expect(&e, NULL);
	e = check(cert, key);
	expect(&e, NULL);
	e = check(cert, "");
	expect(&e, "p.conf: directory.ldap.key_file: empty while cert_file is set (a client "
	    "certificate needs both cert_file and key_file)");
	e = check(NULL, key);
	expect(&e, "p.conf: directory.ldap.cert_file: empty while key_file is set (a client "
	    "certificate needs both cert_file and key_file)");
	e = check(cert, open_key);
	snprintf(want, sizeof(want), "p.conf: directory.ldap.key_file: %s is readable by group or "
	    "others (expected mode 0600 or 0400)", open_key);
	expect(&e, want);
	e = check(cert, missing);
	snprintf(want, sizeof(want), "p.conf: directory.ldap.key_file: cannot read %s (No such file "
	    "or directory)", missing);
	expect(&e, want);
	/* Both wrong: both named, in one pass. */
	e = check(missing, open_key);
	assert_int_equal(e.count, 2);
	snprintf(want, sizeof(want), "p.conf: directory.ldap.cert_file: cannot read %s (No such "
	    "file or directory)", missing);
	assert_string_equal(e.lines[0], want);
	errlist_clear(&e);
}

static void
test_tls_used(void **state)
{
	struct ldap_config plain = { .starttls = false }, st = { .starttls = true };

	(void)state;
	assert_false(ldap_tls_used(&plain, "ldap://127.0.0.1:389/"));
	assert_true(ldap_tls_used(&plain, "ldaps://127.0.0.1:636/"));
	assert_true(ldap_tls_used(&plain, "LDAPS://127.0.0.1:636/"));
	assert_true(ldap_tls_used(&st, "ldap://127.0.0.1:389/"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_files),
		cmocka_unit_test(test_tls_used),
	};

	return cmocka_run_group_tests_name("ldap_tls", tests, setup, teardown);
}
