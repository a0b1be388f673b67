#!/bin/busybox sh
# The smallest useful guest: proves the kernel reached userspace, then powers off at once.
# Used by the KVM probe and the bare-boot benchmark floor.
/bin/busybox mkdir -p /proc /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
# arm64's channel is virtio-console: its modules are listed by the host and loaded first.
if [ -f /bpfcompat/modules.list ]; then
  while read -r m; do [ -n "$m" ] && /bin/busybox insmod "$m"; done < /bpfcompat/modules.list
fi
CH=/dev/${bpfcompat_channel:-ttyS1}
i=0
while [ ! -e "$CH" ] && [ $i -lt 50 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
echo "@@BPFC booted" > "$CH"
/bin/busybox poweroff -f
