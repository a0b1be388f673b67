/* Functional tests: each command runs under /bin/sh -c while the links are alive, killed on timeout (exit 124). */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_MAX 4096

struct tail {
	char buf[TAIL_MAX];
	size_t len;
};

/* Keeps only the last TAIL_MAX bytes a stream produced. */
static void tail_add(struct tail *t, const char *data, size_t n)
{
	if (n >= TAIL_MAX) {
		memcpy(t->buf, data + n - TAIL_MAX, TAIL_MAX);
		t->len = TAIL_MAX;
		return;
	}
	if (t->len + n > TAIL_MAX) {
		size_t drop = t->len + n - TAIL_MAX;

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void join_cgroup(const char *dir)
{
	char *path, pid[32];
	int fd;

	if (!dir)
		return;
	path = xasprintf("%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* best effort: cgroup programs then see the test's own traffic */
	if (write(fd, pid, strlen(pid)) < 0)
		(void)0;
	close(fd);
}

static void set_error(struct test_ev *t, char *msg)
{
	free(t->error);
	t->error = msg;
}

static bool tail_contains(const struct tail *t, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return true;
	for (size_t i = 0; i + n <= t->len; i++)
		if (memcmp(t->buf + i, needle, n) == 0)
			return true;
	return false;
}

static char *tail_dup(const struct tail *t, size_t *len)
{
	char *s = malloc(t->len + 1);

	if (!s)
		abort();
	memcpy(s, t->buf, t->len);
	s[t->len] = '\0';
	*len = t->len;
	return s;
}

static void run_test(const struct functional_test *ft, struct test_ev *t, const char *cgroup_dir)
{
	struct tail out = { .len = 0 }, err = { .len = 0 };
	int po[2], pe[2], status = 0;
	long long deadline;
	bool exited = false;
	pid_t pid;

	t->test = ft;
	t->error = xstrdup("");
	t->exit_code = -1;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		set_error(t, xasprintf("pipe: %s", strerror(errno)));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		set_error(t, xasprintf("fork: %s", strerror(errno)));
		close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
		goto done;
	}
	if (pid == 0) {
		setpgid(0, 0);
		join_cgroup(cgroup_dir);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execl("/bin/sh", "sh", "-c", ft->command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	deadline = now_ms() + (long long)ft->timeout_seconds * 1000;
	{
		struct pollfd fds[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
		int open_fds = 2;

		while (open_fds > 0 || !exited) {
			long long left = deadline - now_ms();
			char buf[4096];

			if (!exited && waitpid(pid, &status, WNOHANG) == pid)
				exited = true;
			if (left <= 0) {
				if (!exited) {
					t->timed_out = true;
					kill(-pid, SIGKILL);
					kill(pid, SIGKILL);
					waitpid(pid, &status, 0);
				}
				break;
			}
			if (open_fds == 0) {
				/* output closed but the shell still runs: wait in small steps for it or the deadline */
				poll(NULL, 0, 10);
				continue;
			}
			/* once the shell exited, give leftovers held by background children a short grace */
			if (poll(fds, 2, exited ? 100 : (int)(left < 50 ? left : 50)) == 0 && exited)
				break;
			for (int i = 0; i < 2; i++) {
				ssize_t n;

				if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				n = read(fds[i].fd, buf, sizeof(buf));
				if (n > 0) {
					tail_add(i == 0 ? &out : &err, buf, (size_t)n);
				} else if (n == 0 || errno != EINTR) {
					close(fds[i].fd);
					fds[i].fd = -1;
					open_fds--;
				}
			}
		}
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0)
				close(fds[i].fd);
	}
	/* no stray background processes of a test survive into the next one */
	kill(-pid, SIGKILL);
	if (t->timed_out)
		t->exit_code = 124;
	else if (WIFEXITED(status))
		t->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		t->exit_code = 128 + WTERMSIG(status);
done:
	t->stdout_tail = tail_dup(&out, &t->stdout_len);
	t->stderr_tail = tail_dup(&err, &t->stderr_len);
	if (t->timed_out)
		set_error(t, xasprintf("timed out after %d s", ft->timeout_seconds));
	else if (t->exit_code < 0)
		; /* error already set */
	else if (t->exit_code != ft->expect_exit_code)
		set_error(t, xasprintf("exit code %d, expected %d", t->exit_code, ft->expect_exit_code));
	else if (!tail_contains(&out, ft->expect_stdout_contains))
		set_error(t, xasprintf("stdout does not contain \"%s\"", ft->expect_stdout_contains));
	else if (!tail_contains(&err, ft->expect_stderr_contains))
		set_error(t, xasprintf("stderr does not contain \"%s\"", ft->expect_stderr_contains));
	t->status = t->error[0] ? OUT_FAIL : OUT_PASS;
}

void run_functional_tests(const struct options *opts, struct evidence *ev, const char *cgroup_dir)
{
	bool required_failed = false, optional_failed = false;

	for (int i = 0; i < opts->n_tests; i++) {
		struct test_ev *t = &ev->tests[ev->n_tests++];

		run_test(&opts->tests[i], t, cgroup_dir);
		if (t->status == OUT_FAIL) {
			if (opts->tests[i].required)
				required_failed = true;
			else
				optional_failed = true;
		}
	}
	ev->functional_status = required_failed ? OUT_FAIL : optional_failed ? OUT_WARN : OUT_PASS;
}

/* Tests that did not run still appear, so the report lists every planned test. */
void skip_functional_tests(const struct options *opts, struct evidence *ev, const char *why)
{
	for (int i = 0; i < opts->n_tests; i++) {
		struct test_ev *t = &ev->tests[ev->n_tests++];

		memset(t, 0, sizeof(*t));
		t->test = &opts->tests[i];
		t->status = OUT_SKIPPED;
		t->exit_code = -1;
		t->stdout_tail = xstrdup("");
		t->stderr_tail = xstrdup("");
		t->error = xstrdup(why);
	}
	ev->functional_status = OUT_SKIPPED;
}
