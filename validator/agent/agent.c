/* bpfcompat-agent: runs the jobs of one guest boot and returns their results over the result channel.
 *
 * In the guest it is PID 1 (`--init`: init.sh execs it once busybox has installed its applets): it sets the guest up
 * (boot.c), sends "booted", runs every job in the list, sends "done" and powers off. Per job, as init.sh did in shell
 * before (each fork+exec of busybox cost ~25 ms under TCG, a dozen per job): the job runs in its own session with a deadline (exit 124 on timeout, like
 * timeout(1)); whatever it leaves running is killed; stdout/stderr tails and every file under out/ are sent; then
 * pinned objects, kprobe events and (unless a validator exited normally without a functional plan, which detached
 * what it attached itself) XDP/tc on lo are reset. The agent is a child subreaper, so a job's daemons that
 * escape its session are still found and killed.
 *
 * Job directory (collector/src/guest/initramfs.ts writes it): kind (validator | command), timeout (seconds),
 * args (validator: NUL-separated), out/ (files to send back). A command job runs run-job (busybox sh), which
 * writes its exit code to .rc. */
#define _GNU_SOURCE
#include "boot.h"
#include "channel.h"
#include "reset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* stdout/stderr beyond this are cut to their last bytes (as `tail -c` did) */
#define TAIL_BYTES 65536
/* a job that ignores SIGTERM gets SIGKILL this long after */
#define KILL_GRACE_MS 2000

struct options {
	const char *jobs_dir;
	const char *validator;
	const char *run_job;
	struct reset_paths reset;
};

static void usage(void)
{
	fputs("usage: bpfcompat-agent --init JOBS_LIST                (PID 1 of the guest)\n"
	      "       bpfcompat-agent [--jobs-dir DIR] [--validator PATH] [--run-job PATH] [--channel-fd N]\n"
	      "                       [--bpffs DIR] [--tracefs DIR] [--no-net-reset] JOBS_LIST\n", stderr);
	exit(1);
}

/* PID 1 must not exit (the kernel would panic, which the host would report as a panic): it powers off. */
static __attribute__((noreturn)) void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

/* Whole file into memory; NULL when absent or unreadable. */
static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 8192, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (!buf)
			abort();
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			continue;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* First line of a small file as an integer; `fallback` when absent or not a number. */
static long read_number(const char *path, long fallback)
{
	size_t len;
	char *s = read_all(path, &len), *end;
	long v;

	if (!s)
		return fallback;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s)
		v = fallback;
	free(s);
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pid_t start_job(const struct options *o, const char *dir, bool validator, const sigset_t *orig)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* The child: its own session (a timeout kills the whole group), default signals, stdin from /dev/null and
	 * stdout/stderr into the job directory. */
	setsid();
	sigprocmask(SIG_SETMASK, orig, NULL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (chdir(dir) != 0)
		_exit(127);
	int in = open("/dev/null", O_RDONLY);
	int out = open(".stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int err = open(".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (in < 0 || out < 0 || err < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	if (validator) {
		char *args = path_in(dir, "args");
		char *argv[] = { (char *)o->validator, "--args-file", args, NULL };

		execv(argv[0], argv);
	} else {
		char *argv[] = { (char *)o->run_job, (char *)dir, NULL };

		execv(argv[0], argv);
	}
	_exit(127);
}

/* Waits for pid until the deadline; returns true with *status when it exited, false on timeout. */
static bool wait_until(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		long long left;
		struct timespec ts;
		sigset_t chld;

		if (r == pid)
			return true;
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		/* Another child (a reparented orphan) may wake us; it is reaped after the job. */
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		sigtimedwait(&chld, NULL, &ts);
	}
}

/* Whether the agent has no child at all. /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN) says so in one small
 * read; without it, the caller scans /proc. */
static bool no_children(void)
{
	char path[64];
	size_t len;
	char *list;
	bool none;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
	list = read_all(path, &len);
	if (!list)
		return false;
	none = strspn(list, " \n") == len;
	free(list);
	return none;
}

/* Children of the agent other than a running job are leftovers: a job's session members, or processes that left
 * its session and were reparented here. Kills them (and their process groups) until none is left. */
static void kill_leftovers(void)
{
	for (int round = 0; round < 50; round++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (no_children())
			return;
		DIR *proc = opendir("/proc");
		struct dirent *e;
		bool any = false;
		pid_t self = getpid();

		while (proc && (e = readdir(proc)) != NULL) {
			char *stat, *buf, *paren;
			size_t len;
			int ppid = 0, pgrp = 0;
			pid_t pid = (pid_t)atoi(e->d_name);

			if (pid <= 0)
				continue;
			stat = path_in("/proc", e->d_name);
			buf = path_in(stat, "stat");
			free(stat);
			stat = read_all(buf, &len);
			free(buf);
			if (!stat)
				continue;
			/* "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so parse after the last ')' */
			paren = strrchr(stat, ')');
			if (paren && sscanf(paren + 1, " %*c %d %d", &ppid, &pgrp) == 2 && ppid == self) {
				if (pgrp > 1 && pgrp != getpgrp())
					kill(-pgrp, SIGKILL);
				kill(pid, SIGKILL);
				any = true;
			}
			free(stat);
		}
		if (proc)
			closedir(proc);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!any)
			return;
		usleep(10000);
	}
}

static int send_tail(const char *id, const char *dir, const char *stream)
{
	char *name = NULL, *path;
	size_t len;
	char *data;
	int rc = 0;

	if (asprintf(&name, ".%s", stream) < 0)
		abort();
	path = path_in(dir, name);
	free(name);
	data = read_all(path, &len);
	free(path);
	if (data && len > 0) {
		size_t from = len > TAIL_BYTES ? len - TAIL_BYTES : 0;

		rc = channel_send_file(id, stream, data + from, len - from);
	}
	free(data);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file under dir (recursively, by name), sent as "<prefix>/<relative path>". */
static int send_tree(const char *id, const char *dir, const char *prefix)
{
	struct dirent **entries;
	int n = scandir(dir, &entries, NULL, by_name), rc = 0;

	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *nm = entries[i]->d_name;
		char *path, *rel;
		struct stat st;

		if (rc != 0 || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) {
			free(entries[i]);
			continue;
		}
		path = path_in(dir, nm);
		rel = path_in(prefix, nm);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = send_tree(id, path, rel);
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			char *data = read_all(path, &len);

			if (data)
				rc = channel_send_file(id, rel, data, len);
			free(data);
		}
		free(path);
		free(rel);
		free(entries[i]);
	}
	free(entries);
	return rc;
}

/* Job ids come from the host (JOB_ID in initramfs.ts); anything else is refused rather than used as a path. */
static bool valid_id(const char *id)
{
	if (!*id || strlen(id) > 64 || id[0] == '.' || id[0] == '-' || id[0] == '_')
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int run_one(const struct options *o, const char *id, const sigset_t *orig)
{
	char *dir = path_in(o->jobs_dir, id), *p, *kind;
	size_t len;
	bool validator, timed_out = false;
	long timeout_s;
	long long deadline;
	int status = 0, rc;
	pid_t pid;

	p = path_in(dir, "out");
	mkdir(p, 0755);
	free(p);
	p = path_in(dir, "timeout");
	timeout_s = read_number(p, 60);
	free(p);
	p = path_in(dir, ".rc");
	unlink(p);
	free(p);
	p = path_in(dir, "kind");
	kind = read_all(p, &len);
	free(p);
	validator = kind && strncmp(kind, "validator", 9) == 0 && (kind[9] == '\0' || kind[9] == '\n');
	free(kind);

	if (channel_frame("job-start %s", id) != 0)
		return -1;
	deadline = now_ms() + (timeout_s > 0 ? timeout_s : 60) * 1000;
	pid = start_job(o, dir, validator, orig);
	if (pid < 0) {
		status = 127 << 8;
	} else if (!wait_until(pid, deadline, &status)) {
		timed_out = true;
		kill(-pid, SIGTERM);
		if (!wait_until(pid, now_ms() + KILL_GRACE_MS, &status)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	/* Whatever the job left running goes too, so the next job starts clean. */
	if (pid > 0)
		kill(-pid, SIGKILL);
	kill_leftovers();

	if (timed_out) {
		rc = 124;
	} else {
		p = path_in(dir, ".rc");
		rc = (int)read_number(p, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		free(p);
	}
	p = path_in(dir, "out");
	if (send_tail(id, dir, "stdout") != 0 || send_tail(id, dir, "stderr") != 0 || send_tree(id, p, "out") != 0 ||
	    channel_frame("job-end %s %d", id, rc) != 0) {
		free(p);
		free(dir);
		return -1;
	}
	free(p);
	p = path_in(dir, "functional-plan.txt");
	reset_between_jobs(&o->reset, !(validator && (rc == 0 || rc == 2) && access(p, F_OK) != 0));
	free(p);
	free(dir);
	return 0;
}

/* Runs every job in the list; -1 when the channel is gone. A missing list is no jobs in the guest, an error otherwise. */
static int run_list(const struct options *o, const char *list, bool missing_ok, const sigset_t *orig)
{
	size_t len;
	char *ids = read_all(list, &len), *line, *save = NULL;
	int rc = 0;

	if (!ids) {
		if (missing_ok)
			return 0;
		fprintf(stderr, "bpfcompat-agent: cannot read %s: %s\n", list, strerror(errno));
		return 1;
	}
	for (line = strtok_r(ids, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		if (!*line)
			continue;
		if (!valid_id(line)) {
			fprintf(stderr, "bpfcompat-agent: job id \"%s\" is not valid, skipped\n", line);
			continue;
		}
		if (run_one(o, line, orig) != 0) {
			fprintf(stderr, "bpfcompat-agent: the result channel is gone\n");
			rc = -1;
		}
	}
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {
		.jobs_dir = "/bpfcompat/jobs",
		.validator = "/bpfcompat/bin/bpfcompat-validator",
		.run_job = "/bpfcompat/bin/run-job",
		.reset = { .bpffs = "/sys/fs/bpf", .tracefs = "/sys/kernel/tracing", .net = true },
	};
	const char *list = NULL;
	bool init = false;
	int fd = 3, rc;
	sigset_t chld, orig;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--init") == 0) init = true;
		else if (strcmp(a, "--jobs-dir") == 0 && v) o.jobs_dir = argv[++i];
		else if (strcmp(a, "--validator") == 0 && v) o.validator = argv[++i];
		else if (strcmp(a, "--run-job") == 0 && v) o.run_job = argv[++i];
		else if (strcmp(a, "--channel-fd") == 0 && v) fd = atoi(argv[++i]);
		else if (strcmp(a, "--bpffs") == 0 && v) o.reset.bpffs = argv[++i];
		else if (strcmp(a, "--tracefs") == 0 && v) o.reset.tracefs = argv[++i];
		else if (strcmp(a, "--no-net-reset") == 0) o.reset.net = false;
		else if (a[0] != '-' && !list) list = a;
		else usage();
	}
	if (!list)
		usage();
	if (init) {
		fd = boot_guest("/bpfcompat/modules.list");
		if (fd < 0)
			power_off();
	} else if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		/* jobs must not inherit the channel: only the agent speaks on it */
		fprintf(stderr, "bpfcompat-agent: channel fd %d: %s\n", fd, strerror(errno));
		return 1;
	}
	channel_open(fd);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* SIGCHLD is blocked and waited for with sigtimedwait; children get the original mask back. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &orig);
	signal(SIGPIPE, SIG_IGN);

	if (init && channel_frame("booted") != 0)
		power_off();
	rc = run_list(&o, list, init, &orig);
	if (!init)
		return rc == 0 ? 0 : 1;
	if (rc == 0)
		channel_frame("done");
	close(fd);
	power_off();
}
