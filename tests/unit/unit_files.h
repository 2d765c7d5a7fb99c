/*
 * unit_files.h - writing the policy and directory files a unit test loads
 * (include after cmocka.h).
 */
#ifndef RW_UNIT_FILES_H
#define RW_UNIT_FILES_H

#include <stdio.h>

static void
unit_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

#endif
