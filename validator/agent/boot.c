/* The guest's set-up, done by the agent as PID 1 (init.sh execs it once busybox has installed its applets): the
 * filesystems BPF programs and the validator need, lo up, the staged modules, and the result channel in raw mode.
 * Each of these was a busybox fork+exec in init.sh (~25 ms each under TCG, about half a second a boot). A missing
 * filesystem or module is evidence on the console, not a reason to stop: the validator reports what it lacks. */
#define _GNU_SOURCE
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void try_mount(const char *type, const char *dir)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, 0, NULL) != 0 && errno != EBUSY)
		printf("bpfcompat-init: cannot mount %s on %s: %s\n", type, dir, strerror(errno));
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) != 0))
		printf("bpfcompat-init: cannot bring lo up: %s\n", strerror(errno));
	if (s >= 0)
		close(s);
}

/* Modules are listed dependencies first by the host (collector/src/guest/modules.ts), uncompressed. */
static void load_modules(const char *list)
{
	FILE *f = fopen(list, "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int fd;

		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) {
			if (errno != EEXIST)
				printf("bpfcompat-init: insmod %s failed: %s\n", line, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
}

/* The result channel: /dev/$bpfcompat_channel (the host names it on the kernel command line, hvc0 on arm64), else
 * ttyS1. A module's device node can appear a moment after the module loads. Raw: no translation, no echo. */
static int open_channel(void)
{
	const char *name = getenv("bpfcompat_channel");
	char path[64];
	struct termios t;
	int fd = -1;

	snprintf(path, sizeof(path), "/dev/%s", name && *name && !strchr(name, '/') ? name : "ttyS1");
	for (int i = 0; i < 50 && (fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (fd < 0) {
		printf("bpfcompat-init: cannot open the result channel %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	/* Jobs do not inherit the descriptor (close-on-exec); without the node they cannot open the channel by path
	 * either, short of recreating it as root. */
	unlink(path);
	return fd;
}

int boot_guest(const char *modules_list)
{
	/* proc is mounted by init.sh (busybox --install needs it) */
	try_mount("sysfs", "/sys");
	try_mount("devtmpfs", "/dev");
	try_mount("tmpfs", "/tmp");
	try_mount("tracefs", "/sys/kernel/tracing");
	try_mount("debugfs", "/sys/kernel/debug");
	try_mount("bpf", "/sys/fs/bpf");
	try_mount("cgroup2", "/sys/fs/cgroup");
	try_mount("securityfs", "/sys/kernel/security");
	lo_up();
	load_modules(modules_list);
	fflush(stdout);
	return open_channel();
}
