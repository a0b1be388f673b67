/* Pseudo-filesystems the validator needs: reuse existing mounts, and undo the ones it made when it exits. */
#define _GNU_SOURCE
#include "validator.h"

#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

static char *made[8];
static int n_made;

bool mount_find(const char *fstype, char *path, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	bool found = false;

	if (!f)
		return false;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, fstype) == 0) {
			snprintf(path, size, "%s", m->mnt_dir);
			found = true;
			break;
		}
	}
	endmntent(f);
	return found;
}

int mount_tracked(const char *fstype, const char *path)
{
	mkdir(path, 0755);
	if (mount(fstype, path, fstype, 0, NULL) != 0)
		return -errno;
	if (n_made < (int)(sizeof(made) / sizeof(made[0])))
		made[n_made++] = xstrdup(path);
	return 0;
}

void unmount_tracked(void)
{
	while (n_made > 0) {
		char *p = made[--n_made];

		umount2(p, MNT_DETACH);
		free(p);
	}
}
