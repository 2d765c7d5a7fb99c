/*
 * startup.c - the process-level checks before the milter serves (see
 * startup.h). Runs on the main thread, before any other thread exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "startup.h"

const char *
startup_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/* True when something accepts a connection on the unix socket at path. */
static bool
socket_answers(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return rc == 0;
}

int
startup_claim_path(const char *key, const char *path, const char *hint)
{
	struct stat st;

	if (path == NULL || lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s %s exists and is not a socket; not starting (remove it if it is not "
		    "needed)", key, path);
		return -1;
	}
	if (socket_answers(path)) {
		log_err("%s %s answers: another relaywarden is running there; not starting (stop it "
		    "first%s)", key, path, hint);
		return -1;
	}
	return 1;
}

int
startup_claim_socket(const char *spec)
{
	/* An inet: socket needs no check: a second bind fails with EADDRINUSE.
	 * A stale unix one: libmilter removes it and binds anew. */
	int rc = startup_claim_path("milter.socket", startup_unix_path(spec),
	    ", or give this one another socket with -p");

	return rc < 0 ? -1 : 0;
}

/* The group the MTA connects as: user's primary group, else (as root, who
 * may give it away) "postfix". */
static gid_t
socket_group(const struct passwd *pw)
{
	const struct group *gr;

	if (pw != NULL)
		return pw->pw_gid;
	if (geteuid() != 0)
		return (gid_t)-1;
	gr = getgrnam("postfix");
	return gr != NULL ? gr->gr_gid : (gid_t)-1;
}

int
startup_share_socket(const char *spec, const char *user)
{
	const char *path = startup_unix_path(spec);
	const struct passwd *pw = NULL;

	if (path == NULL)
		return 0;
	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		log_err("milter.user: no such user \"%s\"", user);
		return -1;
	}
	uid_t owner = pw != NULL && geteuid() == 0 ? pw->pw_uid : (uid_t)-1;
	gid_t group = socket_group(pw);
	if ((owner != (uid_t)-1 || group != (gid_t)-1) && chown(path, owner, group) != 0) {
		log_err("cannot give %s to %s: %m", path, user ? user : "group postfix");
		return -1;
	}
	if (chmod(path, 0660) != 0) {
		log_err("cannot make %s mode 0660: %m", path);
		return -1;
	}
	return 0;
}

int
startup_drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		log_err("milter.user: no such user \"%s\"", user);
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_err("cannot drop privileges to %s: %m", user);
		return -1;
	}
	return 0;
}

static const char *
current_user(void)
{
	const struct passwd *pw = getpwuid(geteuid());

	return pw != NULL ? pw->pw_name : "this user";
}

/* 0 if path can be opened for reading now; -1 logged, naming it. */
static int
readable(const char *what, const char *path)
{
	int fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		close(fd);
		return 0;
	}
	log_err("%s %s is not readable by %s (%s): every reload would fail; not starting", what,
	    path, current_user(), strerror(errno));
	return -1;
}

static int
check_files(const char *path, const struct policy *p)
{
	int rc = 0;

	rc |= readable("the policy file", path);
	rc |= readable("directory.file", p->directory_file);
	rc |= readable("directory.ldap.bind_password_file", p->ldap.bind_password_file);
	rc |= readable("directory.ldap.ca_file", p->ldap.ca_file);
	rc |= readable("directory.ldap.cert_file", p->ldap.cert_file);
	rc |= readable("directory.ldap.key_file", p->ldap.key_file);
	return rc == 0 ? 0 : -1;
}

/* Root checks in a child that drops to milter.user first, so that the
 * socket is never bound by a milter that cannot serve. */
int
startup_check_readable(const char *path, const struct policy *p)
{
	int status;
	pid_t pid;

	if (p->milter_user == NULL || geteuid() != 0)
		return check_files(path, p);
	if ((pid = fork()) < 0) {
		log_err("cannot fork to check the files as %s: %m", p->milter_user);
		return -1;
	}
	if (pid == 0)
		_exit(startup_drop_privileges(p->milter_user) == 0 && check_files(path, p) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
