/*
 * ldap_tls.c - TLS options, TLS file checks and certificate diagnosis for
 * the LDAP connections (see ldap_tls.h).
 */
#define LDAP_DEPRECATED 0
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ldap_tls.h"
#include "xalloc.h"

/* Exported by libldap 2.5 (OPENLDAP_2.5) but declared only in its private
 * ldap_pvt.h: the one way to drop the reference LDAP_OPT_X_TLS_CTX gives. */
void ldap_pvt_tls_ctx_free(void *ctx);

struct ldap_tls_ctx {
	void *ctx;                  /* libldap's tls_ctx; one reference is ours */
};

static bool
is_ldaps(const char *uri)
{
	return strncasecmp(uri, "ldaps:", 6) == 0;
}

bool
ldap_tls_used(const struct ldap_config *cfg, const char *uri)
{
	return is_ldaps(uri) || cfg->starttls;
}

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* The file options (the client certificate unless client is false), then
 * a new context so they apply to this handle. */
static int
tls_files(const struct ldap_config *cfg, LDAP *ld, int require, bool client)
{
	int zero = 0;

	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) != LDAP_OPT_SUCCESS ||
	    (set(cfg->ca_file) &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) != LDAP_OPT_SUCCESS) ||
	    (client && set(cfg->cert_file) &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, cfg->cert_file) != LDAP_OPT_SUCCESS) ||
	    (client && set(cfg->key_file) &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, cfg->key_file) != LDAP_OPT_SUCCESS))
		return -1;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) == LDAP_OPT_SUCCESS ? 0 : -1;
}

struct ldap_tls_ctx *
ldap_tls_ctx_new(const struct ldap_config *cfg)
{
	struct ldap_tls_ctx *t;
	void *ctx = NULL;
	LDAP *holder = NULL;
	bool used = false;

	for (size_t i = 0; i < cfg->uris.n; i++)
		used |= ldap_tls_used(cfg, cfg->uris.v[i]);
	if (!used || ldap_initialize(&holder, NULL) != LDAP_SUCCESS)
		return NULL;
	if (tls_files(cfg, holder, LDAP_OPT_X_TLS_DEMAND, true) == 0)
		ldap_get_option(holder, LDAP_OPT_X_TLS_CTX, &ctx);    /* a reference of ours */
	ldap_unbind_ext_s(holder, NULL, NULL);
	if (ctx == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	return t;
}

void
ldap_tls_ctx_free(struct ldap_tls_ctx *t)
{
	if (t == NULL)
		return;
	ldap_pvt_tls_ctx_free(t->ctx);
	free(t);
}

int
ldap_tls_options(const struct ldap_config *cfg, const struct ldap_tls_ctx *shared, LDAP *ld,
    char *why, size_t whylen)
{
	int demand = LDAP_OPT_X_TLS_DEMAND;
	char *diag = NULL;

	/* The handle's own require_cert decides the host name check. */
	if (shared != NULL &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) == LDAP_OPT_SUCCESS &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CTX, shared->ctx) == LDAP_OPT_SUCCESS)
		return 0;
	if (shared == NULL && tls_files(cfg, ld, LDAP_OPT_X_TLS_DEMAND, true) == 0)
		return 0;
	ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(why, whylen, "cannot load the TLS files (ca_file \"%s\", cert_file \"%s\", "
	    "key_file \"%s\")%s%s", set(cfg->ca_file) ? cfg->ca_file : "",
	    set(cfg->cert_file) ? cfg->cert_file : "", set(cfg->key_file) ? cfg->key_file : "",
	    diag ? ": " : "", diag ? diag : "");
	ldap_memfree(diag);
	return -1;
}

/* ---- checks at load ---- */

static void
check_readable(const char *path, const char *key, bool secret, const char *file,
    struct errlist *errs)
{
	struct stat st;
	FILE *fp;

	if (stat(path, &st) != 0 || (fp = fopen(path, "r")) == NULL) {
		errlist_add(errs, file, 0, key, "cannot read %s (%s)", path, strerror(errno));
		return;
	}
	fclose(fp);
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		errlist_add(errs, file, 0, key, "%s is readable by group or others (expected mode "
		    "0600 or 0400)", path);
}

void
ldap_tls_check_files(const struct ldap_config *cfg, const char *file, struct errlist *errs)
{
	if (set(cfg->cert_file) != set(cfg->key_file)) {
		errlist_add(errs, file, 0, set(cfg->cert_file) ? "directory.ldap.key_file" :
		    "directory.ldap.cert_file", "empty while %s is set (a client certificate needs "
		    "both cert_file and key_file)", set(cfg->cert_file) ? "cert_file" : "key_file");
		return;
	}
	if (set(cfg->cert_file))
		check_readable(cfg->cert_file, "directory.ldap.cert_file", false, file, errs);
	if (set(cfg->key_file))
		check_readable(cfg->key_file, "directory.ldap.key_file", true, file, errs);
}

/* ---- after a good handshake ---- */

void
ldap_tls_describe(LDAP *ld, char *out, size_t len)
{
	char *version = NULL, *cipher = NULL;

	ldap_get_option(ld, LDAP_OPT_X_TLS_VERSION, &version);
	ldap_get_option(ld, LDAP_OPT_X_TLS_CIPHER, &cipher);
	snprintf(out, len, "%s%s%s", version ? version : "", version && cipher ? ", " : "",
	    cipher ? cipher : "");
	ldap_memfree(version);
	ldap_memfree(cipher);
}

/* ---- why a certificate did not verify ---- */

/* The trust libldap used: ca_file, else ldap.conf's TLS_CACERT/TLS_CACERTDIR,
 * else the system's. */
static int
load_trust(const struct ldap_config *cfg, gnutls_x509_trust_list_t tl)
{
	char *file = NULL, *dir = NULL;
	int n = 0;

	if (set(cfg->ca_file))
		return gnutls_x509_trust_list_add_trust_file(tl, cfg->ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
	ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, &file);
	ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTDIR, &dir);
	if (set(file))
		n += gnutls_x509_trust_list_add_trust_file(tl, file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	if (set(dir))
		n += gnutls_x509_trust_list_add_trust_dir(tl, dir, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	if (!set(file) && !set(dir))
		n = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	ldap_memfree(file);
	ldap_memfree(dir);
	return n;
}

/* "CN=x, issuer CN=y, valid 2020-01-01 to 2020-02-01" */
static void
describe_cert(gnutls_x509_crt_t crt, char *out, size_t len)
{
	char subject[256] = "?", issuer[256] = "?", from[16] = "?", until[16] = "?";
	size_t slen = sizeof(subject), ilen = sizeof(issuer);
	time_t t;
	struct tm tm;

	if (gnutls_x509_crt_get_dn(crt, subject, &slen) < 0)
		strcpy(subject, "?");
	if (gnutls_x509_crt_get_issuer_dn(crt, issuer, &ilen) < 0)
		strcpy(issuer, "?");
	if ((t = gnutls_x509_crt_get_activation_time(crt)) != (time_t)-1 && gmtime_r(&t, &tm))
		strftime(from, sizeof(from), "%Y-%m-%d", &tm);
	if ((t = gnutls_x509_crt_get_expiration_time(crt)) != (time_t)-1 && gmtime_r(&t, &tm))
		strftime(until, sizeof(until), "%Y-%m-%d", &tm);
	snprintf(out, len, "%s, issuer %s, valid %s to %s", subject, issuer, from, until);
}

/* Verifies the server's certificate (der) for host against the trust. Only
 * the leaf is at hand: a chain through an intermediate the trust does not
 * hold reads as an unknown issuer. */
static void
verify_peer(const struct ldap_config *cfg, const struct berval *der, const char *host,
    char *why, size_t whylen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_datum_t d = { (unsigned char *)der->bv_val, (unsigned)der->bv_len }, words = { 0 };
	gnutls_typed_vdata_st name = { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0 };
	unsigned status = 0;
	char cert[640];

	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(why, whylen, "the server's certificate cannot be read");
		goto out;
	}
	describe_cert(crt, cert, sizeof(cert));
	if (load_trust(cfg, tl) <= 0) {
		snprintf(why, whylen, "no trusted CA certificate could be loaded (ca_file \"%s\"); "
		    "server certificate %s", set(cfg->ca_file) ? cfg->ca_file : "", cert);
		goto out;
	}
	if (gnutls_x509_trust_list_verify_crt2(tl, &crt, 1, &name, 1, 0, &status, NULL) < 0 ||
	    status == 0)
		goto out;           /* verifies here: nothing to add to libldap's words */
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &words, 0) < 0)
		words.data = NULL;
	char *w = words.data ? (char *)words.data : "not verified";
	size_t n = strlen(w);
	while (n > 0 && w[n - 1] == ' ')
		w[--n] = '\0';
	snprintf(why, whylen, "certificate not verified for %s: %s Server certificate: %s", host, w,
	    cert);
out:
	gnutls_free(words.data);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
}

/* A handle that completes any handshake (no verification) and never binds;
 * without the client certificate, so its context holds nothing libldap
 * would leak. */
static LDAP *
look_handle(const struct ldap_config *cfg, const char *uri)
{
	struct timeval tv = { cfg->timeout, 0 };
	int version = LDAP_VERSION3;
	LDAP *ld = NULL;

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return NULL;
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    tls_files(cfg, ld, LDAP_OPT_X_TLS_NEVER, false) < 0) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

void
ldap_tls_diagnose(const struct ldap_config *cfg, const char *uri, char *why, size_t whylen)
{
	LDAPURLDesc *lud = NULL;
	struct berval der = { 0, NULL };
	char *diag = NULL;
	LDAP *ld;
	int rc;

	why[0] = '\0';
	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return;
	if ((ld = look_handle(cfg, uri)) == NULL) {
		ldap_free_urldesc(lud);
		return;
	}
	rc = ldap_connect(ld);
	if (rc == LDAP_SUCCESS && !is_ldaps(uri))
		rc = ldap_start_tls_s(ld, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		/* Fails even unverified: the handshake itself (protocol, a client
		 * certificate the server demands); libldap's words are all there is. */
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
		if (set(diag) && strcmp(diag, "(unknown error code)") != 0)
			snprintf(why, whylen, "TLS handshake failed: %s", diag);
	} else if (ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &der) == LDAP_OPT_SUCCESS &&
	    der.bv_len > 0) {
		/* (Later libldap versions hand out only a verified certificate:
		 * then there is nothing to examine and why stays empty.) */
		verify_peer(cfg, &der, lud->lud_host && lud->lud_host[0] ? lud->lud_host : "localhost",
		    why, whylen);
	}
	ber_memfree(der.bv_val);
	ldap_memfree(diag);
	ldap_free_urldesc(lud);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
