/*
 * rate_redis.c - rate-limit counters in Redis (see rate_redis.h).
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "rate_redis.h"
#include "stats.h"
#include "xalloc.h"

#define RETRY_AFTER_MS 1000
#define MAX_TAKES 16                    /* rate_limits per policy, checked by config */

/*
 * KEYS: one hash per limit and key; fields "m<step>" and "r<step>" count
 * messages and recipients in that step. ARGV[1] "1" counts, "0" peeks;
 * ARGV[2] the steps in a window; then for each key: step width (ms),
 * max messages, max recipients, messages to add, recipients to add.
 * Returns { index of the first limit that would go over, 0 if none,
 * then messages and recipients in each window }. Only a count with a
 * maximum is kept. Steps older than the window are deleted as they are
 * met.
 */
static const char script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local steps = tonumber(ARGV[2])\n"
    "local out, over, cur = { 0 }, 0, {}\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local b = 3 + (i - 1) * 5\n"
    "  local w = tonumber(ARGV[b])\n"
    "  cur[i] = math.floor(now / w)\n"
    "  local h = redis.call('HGETALL', key)\n"
    "  local m, r = 0, 0\n"
    "  for j = 1, #h, 2 do\n"
    "    local step = tonumber(string.sub(h[j], 2))\n"
    "    if step == nil or step < cur[i] - steps then\n"
    "      redis.call('HDEL', key, h[j])\n"
    "    elseif step <= cur[i] then\n"
    "      if string.sub(h[j], 1, 1) == 'm' then m = m + tonumber(h[j + 1])\n"
    "      else r = r + tonumber(h[j + 1]) end\n"
    "    end\n"
    "  end\n"
    "  out[#out + 1] = m\n"
    "  out[#out + 1] = r\n"
    "  local mm, mr = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])\n"
    "  local am, ar = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])\n"
    "  if over == 0 and ((mm > 0 and m + am > mm) or (mr > 0 and r + ar > mr)) then\n"
    "    over = i\n"
    "  end\n"
    "end\n"
    "out[1] = over\n"
    "if over == 0 and ARGV[1] == '1' then\n"
    "  for i, key in ipairs(KEYS) do\n"
    "    local b = 3 + (i - 1) * 5\n"
    "    local s = string.format('%d', cur[i])\n"
    "    if tonumber(ARGV[b + 1]) > 0 and tonumber(ARGV[b + 3]) > 0 then\n"
    "      redis.call('HINCRBY', key, 'm' .. s, ARGV[b + 3])\n"
    "    end\n"
    "    if tonumber(ARGV[b + 2]) > 0 and tonumber(ARGV[b + 4]) > 0 then\n"
    "      redis.call('HINCRBY', key, 'r' .. s, ARGV[b + 4])\n"
    "    end\n"
    "    redis.call('PEXPIRE', key, (steps + 1) * tonumber(ARGV[b]) + 1000)\n"
    "  end\n"
    "end\n"
    "return out\n";

struct conn {
	pthread_mutex_t lock;
	redisContext *c;                /* NULL: not connected */
	size_t uri;                     /* what c is connected to */
};

struct rate_redis {
	struct redis_uri *uris;
	size_t nuris;
	atomic_size_t current;          /* the URI that answered last */
	struct timeval timeout;
	char *password;
	const char *on_failure;
	char sha[41];
	struct conn *pool;
	size_t npool;
	atomic_size_t next;             /* round robin over the pool */
	atomic_bool down;
	_Atomic uint64_t retry_at_ms;
	atomic_int asked;               /* 0 never, 1 answered, -1 failed */
	pthread_mutex_t health_lock;    /* the two below */
	time_t down_since;
	char last_error[256];
};

int
rate_redis_parse_uri(const char *uri, struct redis_uri *out, char *why, size_t len)
{
	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (strncmp(uri, "unix:/", 6) == 0) {
		if (strlen(uri + 5) >= sizeof(out->path)) {
			snprintf(why, len, "\"%s\": the socket path is too long", uri);
			return -1;
		}
		strcpy(out->path, uri + 5);
		return 0;
	}
	if (strncmp(uri, "redis://", 8) != 0) {
		snprintf(why, len, "\"%s\" is not a Redis URI (expected \"redis://HOST[:PORT][/DB]\" "
		    "or \"unix:/PATH\")", uri);
		return -1;
	}
	const char *h = uri + 8, *end;
	if (strchr(h, '@') != NULL) {
		/* not echoed: the error would print the password */
		snprintf(why, len, "a URI with '@' (a password?) is refused: the password belongs "
		    "in rate_store.password_file");
		return -1;
	}
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL || end - h - 1 <= 0 || (size_t)(end - h - 1) >= sizeof(out->host))
			goto bad;
		memcpy(out->host, h + 1, (size_t)(end - h - 1));
		end++;
	} else {
		end = h + strcspn(h, ":/");
		if (end == h || (size_t)(end - h) >= sizeof(out->host))
			goto bad;
		memcpy(out->host, h, (size_t)(end - h));
	}
	char *stop;
	if (*end == ':') {
		long port = strtol(end + 1, &stop, 10);
		if (stop == end + 1 || port < 1 || port > 65535)
			goto bad;
		out->port = (int)port;
		end = stop;
	}
	if (*end == '/' && end[1] != '\0') {
		long db = strtol(end + 1, &stop, 10);
		if (stop == end + 1 || *stop != '\0' || db < 0 || db > 1000)
			goto bad;
		out->db = (int)db;
		end = stop;
	} else if (*end == '/') {
		end++;
	}
	if (*end == '\0')
		return 0;
bad:
	snprintf(why, len, "\"%s\" is not a Redis URI (expected \"redis://HOST[:PORT][/DB]\" or "
	    "\"unix:/PATH\")", uri);
	return -1;
}

static bool
script_sha(char sha[41])
{
	unsigned char digest[20];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, script, strlen(script), digest) < 0)
		return false;
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(sha + 2 * i, 3, "%02x", digest[i]);
	return true;
}

struct rate_redis *
rate_redis_new(const struct strlist *uris, int timeout, int pool_size, const char *password,
    const char *on_failure, const char *path, struct errlist *errs)
{
	struct rate_redis *r = xcalloc(1, sizeof(*r));
	char why[512];
	size_t before = errs->count;

	r->uris = xcalloc(uris->n, sizeof(*r->uris));
	for (size_t i = 0; i < uris->n; i++) {
		if (rate_redis_parse_uri(uris->v[i], &r->uris[r->nuris], why, sizeof(why)) < 0)
			errlist_add(errs, path, 0, "rate_store.uris", "%s", why);
		else
			r->nuris++;
	}
	if (!script_sha(r->sha))
		errlist_add(errs, path, 0, "rate_store", "cannot compute the script's SHA-1");
	r->timeout.tv_sec = timeout;
	r->password = password != NULL ? xstrdup(password) : NULL;
	r->on_failure = on_failure;
	r->npool = pool_size > 0 ? (size_t)pool_size : 1;
	pthread_mutex_init(&r->health_lock, NULL);
	r->pool = xcalloc(r->npool, sizeof(*r->pool));
	for (size_t i = 0; i < r->npool; i++)
		pthread_mutex_init(&r->pool[i].lock, NULL);
	if (errs->count == before)
		return r;
	rate_redis_free(r);
	return NULL;
}

void
rate_redis_free(struct rate_redis *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->npool; i++) {
		if (r->pool[i].c != NULL)
			redisFree(r->pool[i].c);
		pthread_mutex_destroy(&r->pool[i].lock);
	}
	pthread_mutex_destroy(&r->health_lock);
	free(r->pool);
	free(r->uris);
	free(r->password);
	free(r);
}

static void
uri_name(const struct redis_uri *u, char *buf, size_t len)
{
	if (u->path[0] != '\0')
		snprintf(buf, len, "unix:%s", u->path);
	else if (strchr(u->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", u->host, u->port);
	else
		snprintf(buf, len, "%s:%d", u->host, u->port);
}

/* A reply the script's caller can use: not NULL and not an error. An
 * error's text goes to why; the reply is freed then. hiredis reports a
 * read timeout as EAGAIN's text, which says nothing to an operator. */
static redisReply *
checked(redisContext *c, redisReply *rep, char *why, size_t len)
{
	if (rep == NULL && c->err == REDIS_ERR_IO && strcmp(c->errstr, strerror(EAGAIN)) == 0) {
		snprintf(why, len, "no answer within the timeout (rate_store.timeout)");
		return NULL;
	}
	if (rep == NULL) {
		snprintf(why, len, "%s", c->errstr[0] ? c->errstr : "no reply");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, len, "%.*s", (int)rep->len, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* Connects to uri, with AUTH and SELECT; NULL with why. */
static redisContext *
connect_uri(const struct rate_redis *r, const struct redis_uri *u, char *why, size_t len)
{
	char name[300];
	redisContext *c = u->path[0] ? redisConnectUnixWithTimeout(u->path, r->timeout) :
	    redisConnectWithTimeout(u->host, u->port, r->timeout);

	uri_name(u, name, sizeof(name));
	if (c == NULL || c->err) {
		snprintf(why, len, "%s: %s", name, c != NULL ? c->errstr : "out of memory");
		goto fail;
	}
	redisSetTimeout(c, r->timeout);
	redisReply *rep = NULL;
	char err[256];
	if (r->password != NULL) {
		rep = checked(c, redisCommand(c, "AUTH %s", r->password), err, sizeof(err));
		if (rep == NULL) {
			snprintf(why, len, "%s: AUTH: %s", name, err);
			goto fail;
		}
		freeReplyObject(rep);
	}
	if (u->db != 0) {
		rep = checked(c, redisCommand(c, "SELECT %d", u->db), err, sizeof(err));
		if (rep == NULL) {
			snprintf(why, len, "%s: SELECT %d: %s", name, u->db, err);
			goto fail;
		}
		freeReplyObject(rep);
	}
	return c;
fail:
	if (c != NULL)
		redisFree(c);
	return NULL;
}

/* The script's arguments; bufs holds the numbers' text. */
struct args {
	const char *v[4 + 2 * MAX_TAKES + 5 * MAX_TAKES];
	size_t lens[4 + 2 * MAX_TAKES + 5 * MAX_TAKES];
	char keys[MAX_TAKES][RATE_KEY_MAX + 16];
	char nums[5 * MAX_TAKES + 3][24];
	int n;
};

static void
arg(struct args *a, const char *s)
{
	a->v[a->n] = s;
	a->lens[a->n++] = strlen(s);
}

static void
build_args(const struct rate_redis *r, const struct rate_take *takes, size_t n, bool peek,
    struct args *a)
{
	size_t num = 0;

	a->n = 0;
	arg(a, "EVALSHA");
	arg(a, r->sha);
	snprintf(a->nums[num], sizeof(a->nums[0]), "%zu", n);
	arg(a, a->nums[num++]);
	for (size_t i = 0; i < n; i++) {
		snprintf(a->keys[i], sizeof(a->keys[i]), "relaywarden:rl:%s", takes[i].key);
		arg(a, a->keys[i]);
	}
	arg(a, peek ? "0" : "1");
	snprintf(a->nums[num], sizeof(a->nums[0]), "%d", RATE_BUCKETS);
	arg(a, a->nums[num++]);
	for (size_t i = 0; i < n; i++) {
		unsigned long w = (unsigned long)takes[i].per * 1000 / RATE_BUCKETS;
		unsigned long v[5] = { w > 0 ? w : 1, takes[i].max_messages, takes[i].max_recipients,
			takes[i].add_messages, takes[i].add_recipients };
		for (size_t j = 0; j < 5; j++) {
			snprintf(a->nums[num], sizeof(a->nums[0]), "%lu", v[j]);
			arg(a, a->nums[num++]);
		}
	}
}

/* Runs the script on c: EVALSHA, and EVAL when Redis does not know it
 * (a restart empties its script cache). */
static redisReply *
run_script(redisContext *c, struct args *a, char *why, size_t len)
{
	redisReply *rep = redisCommandArgv(c, a->n, a->v, a->lens);

	if (rep != NULL && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(rep);
		a->v[0] = "EVAL";
		a->lens[0] = 4;
		a->v[1] = script;
		a->lens[1] = strlen(script);
		rep = redisCommandArgv(c, a->n, a->v, a->lens);
	}
	return checked(c, rep, why, len);
}

/* The script's answer into takes; false if it is not the expected shape. */
static enum rate_answer
read_answer(const redisReply *rep, struct rate_take *takes, size_t n, size_t *over, bool *ok)
{
	*ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 + 2 * n;
	for (size_t i = 0; *ok && i < rep->elements; i++)
		*ok = rep->element[i]->type == REDIS_REPLY_INTEGER && rep->element[i]->integer >= 0;
	if (!*ok)
		return RATE_UNAVAILABLE;
	for (size_t i = 0; i < n; i++) {
		takes[i].messages = (unsigned long)rep->element[1 + 2 * i]->integer;
		takes[i].recipients = (unsigned long)rep->element[2 + 2 * i]->integer;
	}
	long long first = rep->element[0]->integer;
	if (first == 0 || (size_t)first > n)
		return RATE_OK;
	*over = (size_t)first - 1;
	return RATE_OVER;
}

static struct conn *
take_conn(struct rate_redis *r)
{
	size_t start = atomic_fetch_add(&r->next, 1);

	for (size_t i = 0; i < r->npool; i++) {
		struct conn *c = &r->pool[(start + i) % r->npool];
		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	struct conn *c = &r->pool[start % r->npool];
	pthread_mutex_lock(&c->lock);
	return c;
}

static void
mark_down(struct rate_redis *r, const char *why)
{
	atomic_store(&r->retry_at_ms, stats_now_ns() / 1000000 + RETRY_AFTER_MS);
	atomic_store(&r->asked, -1);
	stats_rate_store_up(false);
	bool was_down = atomic_exchange(&r->down, true);
	pthread_mutex_lock(&r->health_lock);
	if (!was_down)
		r->down_since = time(NULL);
	snprintf(r->last_error, sizeof(r->last_error), "%s", why);
	pthread_mutex_unlock(&r->health_lock);
	if (!was_down)
		log_err("rate store redis unavailable: %s (on_failure=%s)", why, r->on_failure);
}

static void
mark_up(struct rate_redis *r, size_t uri)
{
	char name[300];

	stats_rate_store_up(true);
	atomic_store(&r->asked, 1);
	if (!atomic_exchange(&r->down, false))
		return;
	uri_name(&r->uris[uri], name, sizeof(name));
	log_warn("rate store redis available again (%s)", name);
}

/* One try on the connection c (opened on uri if need be; a pooled one
 * keeps the server it has). A pooled connection that fails may only be
 * stale (Redis restarted): *stale says to try once more. */
static redisReply *
try_once(struct rate_redis *r, struct conn *c, struct args *a, size_t uri, bool *stale,
    char *why, size_t len)
{
	*stale = c->c != NULL;
	if (c->c == NULL) {
		if ((c->c = connect_uri(r, &r->uris[uri], why, len)) == NULL)
			return NULL;
		c->uri = uri;
	}
	char err[256], name[300];
	redisReply *rep = run_script(c->c, a, err, sizeof(err));
	if (rep != NULL)
		return rep;
	uri_name(&r->uris[c->uri], name, sizeof(name));
	snprintf(why, len, "%s: %s", name, err);
	redisFree(c->c);           /* after a timeout its reply may still come */
	c->c = NULL;
	return NULL;
}

void
rate_redis_health(struct rate_redis *r, char *buf, size_t len)
{
	char name[300], when[32];
	int asked = atomic_load(&r->asked);

	if (asked == 0) {
		snprintf(buf, len, "not asked yet");
		return;
	}
	if (asked > 0) {
		uri_name(&r->uris[atomic_load(&r->current) % r->nuris], name, sizeof(name));
		snprintf(buf, len, "up (%s)", name);
		return;
	}
	pthread_mutex_lock(&r->health_lock);
	struct tm tm;
	gmtime_r(&r->down_since, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "down since %s, last error: %s", when, r->last_error);
	pthread_mutex_unlock(&r->health_lock);
}

enum rate_answer
rate_redis_take(struct rate_redis *r, struct rate_take *takes, size_t n, bool peek,
    size_t *over, char *why, size_t len)
{
	struct args a;

	if (n > MAX_TAKES) {
		snprintf(why, len, "%zu limits in one check (at most %d)", n, MAX_TAKES);
		return RATE_UNAVAILABLE;
	}
	if (atomic_load(&r->down) && stats_now_ns() / 1000000 < atomic_load(&r->retry_at_ms)) {
		snprintf(why, len, "redis unavailable, next try within %d ms", RETRY_AFTER_MS);
		return RATE_UNAVAILABLE;
	}
	struct conn *c = take_conn(r);
	size_t uri = atomic_load(&r->current) % r->nuris;
	/* Each URI once, and the first once more when its pooled connection
	 * was stale. */
	size_t limit = r->nuris;
	for (size_t tries = 0; tries < limit; tries++) {
		bool stale, ok;
		build_args(r, takes, n, peek, &a);
		redisReply *rep = try_once(r, c, &a, uri, &stale, why, len);
		if (rep == NULL) {
			if (stale && tries == 0)
				limit++;
			else
				uri = (uri + 1) % r->nuris;
			continue;
		}
		enum rate_answer ans = read_answer(rep, takes, n, over, &ok);
		freeReplyObject(rep);
		if (!ok) {
			snprintf(why, len, "unexpected answer from the rate-limit script");
			break;
		}
		atomic_store(&r->current, c->uri);
		pthread_mutex_unlock(&c->lock);
		mark_up(r, c->uri);
		return ans;
	}
	pthread_mutex_unlock(&c->lock);
	mark_down(r, why);
	return RATE_UNAVAILABLE;
}
