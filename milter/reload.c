/*
 * reload.c - the reload thread: sigtimedwait on SIGUSR1 with a one-second
 * tick for the mtime check. Owns only its own copies of the path and the
 * last-seen mtimes; installs new policies through snapshot.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "errlist.h"
#include "log.h"
#include "reload.h"
#include "snapshot.h"
#include "stats.h"
#include "xalloc.h"

struct watch {
	char *path;
	char *socket_override;
	struct timespec policy_mtime;
	struct timespec directory_mtime;
};

static struct timespec
mtime_of(const char *path)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0)
		return (struct timespec){ 0, 0 };
	return st.st_mtim;
}

static bool
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void
reload_block_signal(void)
{
	sigset_t set;

	/* libmilter's own signal thread sigwaits for these; blocking them before
	 * our reload thread exists keeps that thread from being killed by them. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The file and the overrides of the running milter (reload_start), for
 * reload_run; guarded by reload_lock, which also makes one reload at a
 * time: SIGUSR1, the mtime check and `relaywarden ctl reload` never
 * build two policies at once or install them out of order. */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static char *running_path, *milter_override, *control_override;
/* Why the newest reload was refused (empty after one that worked), for
 * `ctl status`: a reload from the mtime check or a plain kill -USR1 has
 * no one to answer. */
static struct errlist last_refusal;

static void
remember_refusal(const struct errlist *errs)
{
	errlist_clear(&last_refusal);
	for (size_t i = 0; errs != NULL && i < errs->count; i++)
		errlist_add(&last_refusal, NULL, 0, NULL, "%s", errs->lines[i]);
}

void
reload_print_refusal(FILE *out, const char *indent)
{
	pthread_mutex_lock(&reload_lock);
	for (size_t i = 0; i < last_refusal.count; i++)
		fprintf(out, "%s%s\n", indent, last_refusal.lines[i]);
	pthread_mutex_unlock(&reload_lock);
}

static void
apply_override(char **field, const char *value)
{
	if (value == NULL)
		return;
	free(*field);
	*field = xstrdup(value);
}

static bool
differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The sockets are bound at start: a reload that moves them only warns
 * (logged, and in errs for `ctl reload` to show). */
static void
warn_fixed(const char *path, const struct policy *p, struct errlist *errs)
{
	const struct policy *old = snapshot_acquire();
	size_t from = errs->nwarnings;

	if (old != NULL && strcmp(old->milter_socket, p->milter_socket) != 0)
		errlist_warn(errs, path, 0, "milter.socket", "changed to %s; it takes effect at the "
		    "next restart", p->milter_socket);
	if (old != NULL && differs(old->control_socket, p->control_socket))
		errlist_warn(errs, path, 0, "control.socket", "changed to %s; it takes effect at the "
		    "next restart", p->control_socket && p->control_socket[0] ? p->control_socket :
		    "(off)");
	snapshot_release(old);
	for (size_t i = from; i < errs->nwarnings; i++)
		log_warn("%s", errs->warnings[i]);
}

struct policy *
reload_load(const char *path, struct errlist *errs, double *seconds)
{
	uint64_t t0 = stats_now_ns();
	struct policy *p = config_load(path, errs);

	*seconds = (double)(stats_now_ns() - t0) / 1e9;
	for (size_t i = 0; i < errs->nwarnings; i++)
		log_warn("%s", errs->warnings[i]);
	for (size_t i = 0; i < errs->count; i++)
		log_err("%s", errs->lines[i]);
	return p;
}

/* Caller holds reload_lock. Every problem is logged and left in errs. */
static int
load_and_install(const char *path, const char *msock, const char *csock, struct errlist *errs)
{
	double seconds;
	struct policy *p = reload_load(path, errs, &seconds);

	if (p == NULL) {
		log_err("reload of %s failed; the running policy stays in force", path);
		stats_policy_load(true, false, seconds);
		remember_refusal(errs);
		return -1;
	}
	apply_override(&p->milter_socket, msock);
	apply_override(&p->control_socket, csock);
	warn_fixed(path, p, errs);
	snapshot_install(p);
	stats_policy_load(true, true, seconds);
	remember_refusal(NULL);
	log_notice("policy reloaded from %s", path);
	return 0;
}

int
reload_now(const char *path, const char *socket_override)
{
	struct errlist errs = { 0 };

	pthread_mutex_lock(&reload_lock);
	int rc = load_and_install(path, socket_override, control_override, &errs);
	pthread_mutex_unlock(&reload_lock);
	errlist_clear(&errs);
	return rc;
}

int
reload_run(struct errlist *errs, const char **path)
{
	int rc = -1;

	pthread_mutex_lock(&reload_lock);
	*path = running_path;
	if (running_path != NULL)
		rc = load_and_install(running_path, milter_override, control_override, errs);
	else
		errlist_add(errs, NULL, 0, NULL, "the milter is still starting; try again");
	pthread_mutex_unlock(&reload_lock);
	return rc;
}

static void
remember_mtimes(struct watch *w)
{
	const struct policy *p = snapshot_acquire();

	w->policy_mtime = mtime_of(w->path);
	w->directory_mtime = mtime_of(p ? p->directory_file : NULL);
	snapshot_release(p);
}

/* True when either file changed since the last look; a failed reload of a
 * changed file is not retried until it changes again. */
static bool
files_changed(struct watch *w)
{
	const struct policy *p = snapshot_acquire();
	struct timespec pm = mtime_of(w->path);
	struct timespec dm = mtime_of(p ? p->directory_file : NULL);
	bool changed = !same_time(pm, w->policy_mtime) || !same_time(dm, w->directory_mtime);

	snapshot_release(p);
	w->policy_mtime = pm;
	w->directory_mtime = dm;
	return changed;
}

static int
update_interval(void)
{
	const struct policy *p = snapshot_acquire();
	int interval = p ? p->config_update_interval : 0;

	snapshot_release(p);
	return interval;
}

/* The answer to `relaywarden reload` (a plain kill -USR1 is not asked). */
static void
answer(const siginfo_t *info, int rc)
{
	union sigval v = { .sival_int = rc == 0 ? 0 : 1 };

	if (info->si_code != SI_QUEUE || info->si_value.sival_int != RELOAD_ASK)
		return;
	if (sigqueue(info->si_pid, SIGUSR2, v) != 0)
		log_warn("cannot tell pid %ld how the reload went: %m", (long)info->si_pid);
}

static void *
reload_thread(void *arg)
{
	struct watch *w = arg;
	struct timespec tick = { 1, 0 };
	time_t last_check = time(NULL);
	sigset_t set;
	siginfo_t info;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	remember_mtimes(w);
	for (;;) {
		int sig = sigtimedwait(&set, &info, &tick);
		int interval = update_interval();
		if (sig == SIGUSR1) {
			/* The mtimes as they were before reading: a file changed while
			 * it is being read is reloaded again at the next check. */
			remember_mtimes(w);
			log_info("SIGUSR1 from pid %ld: reloading %s", (long)info.si_pid, w->path);
			answer(&info, reload_now(w->path, w->socket_override));
		} else if (interval > 0 && time(NULL) - last_check >= interval) {
			last_check = time(NULL);
			if (files_changed(w)) {       /* mtimes noted before reading */
				log_info("%s or its directory changed: reloading", w->path);
				reload_now(w->path, w->socket_override);
			}
		}
	}
	return NULL;
}

int
reload_start(const char *path, const char *socket_override, const char *control_socket)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	pthread_t tid;

	pthread_mutex_lock(&reload_lock);
	running_path = xstrdup(path);
	milter_override = socket_override ? xstrdup(socket_override) : NULL;
	control_override = control_socket ? xstrdup(control_socket) : NULL;
	pthread_mutex_unlock(&reload_lock);

	w->path = xstrdup(path);
	w->socket_override = socket_override ? xstrdup(socket_override) : NULL;
	if (pthread_create(&tid, NULL, reload_thread, w) != 0)
		return -1;
	pthread_detach(tid);
	return 0;
}
