/*
 * null_milter.c - the floor of the benchmarks: a libmilter filter that
 * registers the same callbacks and flags as relaywarden and continues at
 * every step, so (relaywarden / null) measures relaywarden's own cost.
 * -d adds a DATA callback that continues (without it libmilter negotiates
 * SMFIP_NODATA and an inet: milter stalls on a delayed ACK: bench/STALL.md).
 *
 * -a (instead of -d) accepts the message at DATA: the MTA then sends nothing of
 * the message (no headers, body or end of message) to the milter.
 *
 * -p FLAGS (hex) negotiates these SMFIP_* protocol flags as well, for the
 * experiments of bench/STALL.md (e.g. -p 0x80, no reply to headers).
 *
 *   null_milter [-d | -a] [-p FLAGS] unix:/path | inet:PORT@127.0.0.1
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* -p FLAGS; a step negotiated without a reply must answer SMFIS_NOREPLY
 * (libmilter logs any other answer there as an error). */
static unsigned long extra_flags;

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx, (void)name, (void)value;
	return extra_flags & SMFIP_NR_HDR ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx, (void)chunk, (void)len;
	return extra_flags & SMFIP_NR_BODY ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
on_step(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
on_data_accept(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static sfsistat
on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	(void)ctx, (void)f2, (void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & extra_flags;
	*pf2 = *pf3 = 0;
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

	for (; argc > 2 && argv[1][0] == '-'; argc--, argv++) {
		if (strcmp(argv[1], "-d") == 0) {
			desc.xxfi_data = on_step;
		} else if (strcmp(argv[1], "-a") == 0) {
			desc.xxfi_data = on_data_accept;
		} else if (strcmp(argv[1], "-p") == 0 && argc > 3) {
			extra_flags = strtoul(argv[2], NULL, 16);
			desc.xxfi_negotiate = on_negotiate;
			argc--, argv++;
		} else {
			break;
		}
	}
	if (desc.xxfi_negotiate != NULL && desc.xxfi_data == NULL)
		extra_flags |= SMFIP_NODATA;
	if (argc != 2) {
		fprintf(stderr, "usage: null_milter [-d | -a] [-p FLAGS] SOCKET\n");
		return 64;
	}
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
