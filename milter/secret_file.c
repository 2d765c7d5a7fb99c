/*
 * secret_file.c - a password file, owner-only (see secret_file.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "secret_file.h"
#include "xalloc.h"

char *
secret_file_read(const char *path, const char *policy, const char *key, struct errlist *errs)
{
	struct stat st;
	char buf[1024];
	FILE *fp;

	if (stat(path, &st) != 0) {
		errlist_add(errs, policy, 0, key, "cannot read %s", path);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		errlist_add(errs, policy, 0, key,
		    "%s is readable by group or others (expected mode 0600 or 0400)", path);
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), fp) == NULL) {
		if (fp != NULL)
			fclose(fp);
		errlist_add(errs, policy, 0, key, "cannot read a password from %s", path);
		return NULL;
	}
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}
