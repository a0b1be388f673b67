/* Between jobs of one boot: a job's processes are gone (so are its fd-held links); this removes what outlives
 * them. iproute2's ip/tc are staged by the host when it has them and called by path; busybox's applets cannot
 * detach XDP, so with them only lo is brought up (failures are evidence for the next job, not errors here). */
#define _GNU_SOURCE
#include "reset.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

int run_quiet(char *const argv[], const char *input)
{
	int pipefd[2] = { -1, -1 }, status;
	pid_t pid;

	if (input && pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(input ? pipefd[0] : null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (input) {
		size_t len = strlen(input);

		close(pipefd[0]);
		if (write(pipefd[1], input, len) != (ssize_t)len) {
			/* the tool exited early: its exit code says what happened */
		}
		close(pipefd[1]);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			continue;
		nftw(p, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(p);
	}
	closedir(d);
}

/* Truncating kprobe_events removes every kprobe event (as `echo > kprobe_events` does). */
static void clear_kprobe_events(const char *tracefs)
{
	char *p;
	int fd;

	if (asprintf(&p, "%s/kprobe_events", tracefs) < 0)
		return;
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return;
	if (write(fd, "\n", 1) != 1) {
		/* nothing registered, or a busy probe: the next job sees what is left */
	}
	close(fd);
}

static void reset_lo(void)
{
	static const char batch[] = "link set dev lo xdp off\nlink set dev lo xdpgeneric off\nlink set dev lo up\n";
	char *ip_batch[] = { "/usr/bin/ip", "-force", "-batch", "-", NULL };
	char *ip_up[] = { "/usr/bin/ip", "link", "set", "lo", "up", NULL };
	char *bb_up[] = { BUSYBOX, "ip", "link", "set", "lo", "up", NULL };
	char *tc_del[] = { "/usr/bin/tc", "qdisc", "del", "dev", "lo", "clsact", NULL };
	char *bb_tc_del[] = { BUSYBOX, "tc", "qdisc", "del", "dev", "lo", "clsact", NULL };

	/* One ip process for the three link resets (an exec costs ~25 ms under TCG); -force goes on past an error. */
	if (access(ip_batch[0], X_OK) == 0) {
		if (run_quiet(ip_batch, batch) != 0)
			run_quiet(ip_up, NULL);
	} else {
		run_quiet(bb_up, NULL);
	}
	run_quiet(access(tc_del[0], X_OK) == 0 ? tc_del : bb_tc_del, NULL);
}

void reset_between_jobs(const struct reset_paths *paths, bool full)
{
	empty_dir(paths->bpffs);
	clear_kprobe_events(paths->tracefs);
	if (full && paths->net)
		reset_lo();
}
