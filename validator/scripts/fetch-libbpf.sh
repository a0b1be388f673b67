#!/bin/sh
# Download (once) and verify the pinned libbpf source tarball, print its cached path.
# The cache is keyed by sha256 so a changed pin never reuses a stale file.
set -eu

lock="${1:?usage: fetch-libbpf.sh LOCKFILE}"
url=$(awk '$1 == "url" { print $2 }' "$lock")
sha=$(awk '$1 == "sha256" { print $2 }' "$lock")
if [ -z "$url" ] || [ -z "$sha" ]; then
  echo "fetch-libbpf: $lock must have 'url' and 'sha256' lines" >&2
  exit 1
fi

dir="${XDG_CACHE_HOME:-$HOME/.cache}/bpfcompat/src/$sha"
file="$dir/$(basename "$url")"

verify() {
  actual=$(sha256sum "$1" | awk '{ print $1 }')
  [ "$actual" = "$sha" ]
}

if [ -f "$file" ] && verify "$file"; then
  echo "$file"
  exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp "$dir/.download.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp" "$url"
if ! verify "$tmp"; then
  echo "fetch-libbpf: sha256 mismatch for $url (expected $sha, got $(sha256sum "$tmp" | awk '{ print $1 }')); fix validator/libbpf.lock or the mirror" >&2
  exit 1
fi
chmod 0644 "$tmp"
mv "$tmp" "$file"
trap - EXIT
echo "$file"
