/*
 * dns.h - the DNS questions relaywarden asks, through c-ares.
 *
 * One resolver per policy snapshot: its servers (dns.servers, else
 * /etc/resolv.conf) and timeout never change under a running session. Every
 * call blocks the calling thread for at most its timeout (c-ares runs the
 * query; this thread polls its sockets), so a dead server costs a session
 * the configured seconds and never more. Thread-safe: channels are pooled,
 * one thread per channel at a time, no lock held across a query. Answers
 * (positive and negative) are cached for their DNS TTL; failures never are.
 * A timeout, SERVFAIL, REFUSED or unreachable server is DNS_ANSWER_TEMPFAIL,
 * never DNS_ANSWER_NO.
 */
#ifndef RW_DNS_H
#define RW_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"
#include "ip.h"
#include "strlist.h"

/* What a DNS question gave; the pure side never sees c-ares. */
enum dns_answer { DNS_ANSWER_NO, DNS_ANSWER_YES, DNS_ANSWER_TEMPFAIL };

struct dns;

/* Checks servers ("ip" or "ip:port", "[v6]:port") and creates the resolver
 * (no query is sent). NULL with the problems in errs (file is the policy
 * file, key "dns.servers"). */
struct dns *dns_new(const struct strlist *servers, int timeout, const char *file,
    struct errlist *errs);
void dns_free(struct dns *d);

/* Forward confirmation: does name have an A/AAAA record equal to ip? */
enum dns_answer dns_name_has_address(struct dns *d, const char *name, const struct ip_addr *ip,
    char *why, size_t whylen);
/* Does domain have an MX, or else an A or AAAA record (RFC 5321 §5.1)?
 * timeout in seconds (sender.verify_domain_timeout). */
enum dns_answer dns_domain_exists(struct dns *d, const char *domain, int timeout, char *why,
    size_t whylen);
/* Is ip listed in each of the n zones (an A record in 127.0.0.0/8 for the
 * reversed address, reversed nibbles for IPv6)? All zones are asked at
 * once, within one dns.timeout. texts[i] gets the record or the failure;
 * an answer of 127.255.255.x (the list refusing to answer us) is a
 * failure, not a listing. */
void dns_list_lookup(struct dns *d, const struct ip_addr *ip, const char *const *zones, size_t n,
    enum dns_answer *answers, char (*texts)[64]);

#endif
