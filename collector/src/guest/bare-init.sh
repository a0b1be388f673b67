#!/bin/busybox sh
# The smallest useful guest: proves the kernel reached userspace, then powers off at once.
# Used by the KVM probe and the bare-boot benchmark floor.
/bin/busybox mkdir -p /proc /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "@@BPFC booted" > /dev/ttyS1
/bin/busybox poweroff -f
