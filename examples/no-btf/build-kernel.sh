#!/bin/sh
# Builds (once) a small x86_64 kernel WITHOUT BTF from Debian's linux-source-6.1 package, so MISSING_BTF can be
# shown on a real kernel (every Debian kernel has BTF). Prints the cached bzImage path; the build time is
# written beside it (build-seconds). Usage: examples/no-btf/build-kernel.sh   (or: make kernel-nobtf)
# Needs: curl, flex, bison, bc, gcc, make (~140 MB download, ~5 min on 2 cores).
set -eu

version=6.1.176-1
sha=9305d1a151b8e83dcb88aa11361e7b9513f0c252bdf7f5647e4542762d99c094
here=$(cd "$(dirname "$0")" && pwd)
frag="$here/kernel.config"
key=$( (cat "$frag"; echo "$version") | sha256sum | awk '{ print substr($1, 1, 16) }')
dir="${XDG_CACHE_HOME:-$HOME/.cache}/bpfcompat/nobtf"
out="$dir/$version-$key"
if [ -f "$out/bzImage" ]; then
  echo "$out/bzImage"
  exit 0
fi
mkdir -p "$dir"
deb="$dir/linux-source-6.1_${version}_all.deb"
verify() { [ "$(sha256sum "$1" | awk '{ print $1 }')" = "$sha" ]; }
if [ ! -f "$deb" ] || ! verify "$deb"; then
  # pinned by sha256 (the value in bookworm's signed Packages index), so any host can fetch it
  curl -fsSL --retry 3 -o "$deb.part" "http://deb.debian.org/debian/pool/main/l/linux/linux-source-6.1_${version}_all.deb"
  verify "$deb.part" || { echo "build-kernel: sha256 mismatch for linux-source-6.1_${version}_all.deb" >&2; rm -f "$deb.part"; exit 1; }
  mv "$deb.part" "$deb"
fi
work=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './usr/src/linux-source-6.1.tar.xz'
tar -xJf "$work/usr/src/linux-source-6.1.tar.xz" -C "$work"
src="$work/linux-source-6.1"
make -C "$src" -s tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$frag" >&2
make -C "$src" -s olddefconfig >&2
# fail early when Kconfig dropped an option the guest needs
for opt in ACPI BPF_SYSCALL KPROBE_EVENTS FTRACE_SYSCALLS SERIAL_8250_CONSOLE BLK_DEV_INITRD DEVTMPFS CGROUP_BPF; do
  grep -q "^CONFIG_$opt=y" "$src/.config" || { echo "build-kernel: CONFIG_$opt did not survive olddefconfig" >&2; exit 1; }
done
if grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$src/.config"; then echo "build-kernel: BTF is on" >&2; exit 1; fi
nice make -C "$src" -s -j"$(nproc)" bzImage >&2
end=$(date +%s)
mkdir -p "$out.tmp"
cp "$src/arch/x86/boot/bzImage" "$out.tmp/bzImage"
cp "$src/.config" "$out.tmp/config"
echo $((end - start)) > "$out.tmp/build-seconds"
mv "$out.tmp" "$out"
echo "build-kernel: built in $((end - start)) s (extract + config + bzImage on $(nproc) cores)" >&2
echo "$out/bzImage"
