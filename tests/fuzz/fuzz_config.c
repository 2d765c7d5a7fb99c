/*
 * fuzz_config.c - libFuzzer target for the policy loader (config.c,
 * config_keys.c, the file directory).
 *
 * The input is written as a policy file beside a fixed directory file and
 * loaded: it must load or fail with at least one error line, never crash,
 * and a loaded policy must be freeable. A file is what config_load reads,
 * so the target writes one (in /dev/shm when it exists).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], policy_path[300];

static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char dirfile[300];

	snprintf(dir, sizeof(dir), "%s/rw-fuzz-config.%ld", base, (long)getpid());
	mkdir(dir, 0700);
	snprintf(policy_path, sizeof(policy_path), "%s/p.conf", dir);
	snprintf(dirfile, sizeof(dirfile), "%s/directory.conf", dir);
	FILE *f = fopen(dirfile, "w");
	if (f == NULL)
		abort();
	fputs("users = ( { login = \"jdoe\"; addresses = [ \"jd@acme.com\" ]; } );\n", f);
	fclose(f);
	log_set_level(LOG_LEVEL_ERR);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct errlist errs = { 0 };

	if (!ready) {
		setup();
		ready = 1;
	}
	FILE *f = fopen(policy_path, "w");
	if (f == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct policy *p = config_load(policy_path, &errs);
	if ((p == NULL) != (errs.count > 0))
		abort();
	config_free(p);
	errlist_clear(&errs);
	return 0;
}
