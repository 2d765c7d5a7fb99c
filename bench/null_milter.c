/*
 * null_milter.c - the floor of the benchmarks: a libmilter filter that
 * registers the same callbacks and flags as relaywarden and continues at
 * every step, so (relaywarden / null) measures relaywarden's own cost.
 *
 *   null_milter unix:/path | inet:PORT@127.0.0.1
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>

static sfsistat
on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx, (void)host, (void)addr;
	return SMFIS_CONTINUE;
}

static sfsistat
on_args(SMFICTX *ctx, char **argv)
{
	(void)ctx, (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx, (void)name, (void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx, (void)chunk, (void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
on_step(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "null",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS,
		.xxfi_connect = on_connect,
		.xxfi_envfrom = on_args,
		.xxfi_envrcpt = on_args,
		.xxfi_header = on_header,
		.xxfi_eoh = on_step,
		.xxfi_body = on_body,
		.xxfi_eom = on_step,
		.xxfi_abort = on_step,
		.xxfi_close = on_step,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: null_milter SOCKET\n");
		return 64;
	}
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
