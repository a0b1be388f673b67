# bpfcompat — two commands on a fresh Debian machine (as root):
#   make demo    set everything up, then validate the shipped examples on the Debian matrix
#   make test    set everything up, then run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(CURDIR)/node_modules/.bin/node
BPFCOMPAT := $(NODE) collector/bin/bpfcompat.js
MATRIX ?= matrices/debian.yaml

APT_PACKAGES := qemu-system-x86 busybox-static clang llvm libelf-dev zlib1g-dev libzstd-dev gpgv \
	debian-archive-keyring cpio xz-utils zstd pkg-config dpkg-dev curl file ca-certificates make gcc \
	libc6-dev chromium git kmod libxml2-utils libxdp1 flex bison bc libbpf-tools xdp-tools bpftool iproute2
# arm64 lane (arm64 kernels under emulation): emulator, cross compiler, arm64 static libs via multiarch.
APT_PACKAGES_ARM64 := qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64
# Other kernel packages (.rpm: bsdtar unpacks them, rpmbuild builds the tests' packages) and the remote-host lane's test sshd.
APT_PACKAGES += rpm2cpio libarchive-tools rpm openssh-server $(APT_PACKAGES_ARM64)
# Repository kernel sources' tests build and sign real apt and dnf repositories (apt-ftparchive, gpg, createrepo_c; rpmsign is in rpm);
# gpg also reads and dearmors the profiles' keys, bzip2 unpacks bz2 primary metadata.
APT_PACKAGES += apt-utils gpg createrepo-c bzip2
# OCI artifacts: a real registry on loopback and skopeo for the tests; htpasswd for its auth
APT_PACKAGES += docker-registry skopeo apache2-utils
# Disk-image lane: `images build` (mmdebstrap, mke2fs, qemu-img) and its NoCloud seed (genisoimage).
APT_PACKAGES += mmdebstrap genisoimage e2fsprogs qemu-utils
# QEMU is started through setpriv --pdeathsig (dies with bpfcompat); tests lock files with chattr (e2fsprogs, above).
APT_PACKAGES += util-linux
EXAMPLE_SRCS := $(wildcard examples/*/*.bpf.c)
EXAMPLE_OBJS := $(patsubst %.bpf.c,build/examples/%.bpf.o,$(notdir $(EXAMPLE_SRCS)))
vpath %.bpf.c $(sort $(dir $(EXAMPLE_SRCS)))
LIBBPF_INCLUDE := validator/build/libbpf/include

.PHONY: image-debian-12 validator-arm64 kernel-nobtf help setup deps apt npm validator examples kernels demo test typecheck unit e2e bench doctor clean

help:
	@echo "make demo   set up everything and validate the shipped examples on $(MATRIX)"
	@echo "make test   set up everything and run every test"
	@echo "make setup | deps | validator | examples | kernels | typecheck | bench | doctor | clean"

setup: deps validator validator-arm64 examples kernels image-debian-12

deps: apt npm

# Installs only the Debian packages that are missing (needs root; prints the command otherwise).
apt:
	@if [ "$$(id -u)" = 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64 && [ "$$(dpkg --print-architecture)" != arm64 ]; then \
	  echo "bpfcompat: enabling Debian multiarch arm64 (arm64 lane)"; dpkg --add-architecture arm64; fi
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "bpfcompat: missing Debian packages: $$missing (run: sudo apt-get install -y $$missing)" >&2; exit 1; fi; \
	  echo "bpfcompat: installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v npm >/dev/null || { echo "bpfcompat: installing npm"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }

# npm's own node may be older than 22: the `node` package in package.json puts Node 24 in node_modules/.bin.
npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	# npm ci refuses this lockfile (npm leaves out other platforms' optional bindings); install honours the locked versions.
	npm install --no-save --no-audit --no-fund --loglevel=error
	@$(NODE) -e 'const [M]=process.versions.node.split(".").map(Number); if (M < 22) { console.error("bpfcompat: node_modules/.bin/node is " + process.version + ", need >= 22"); process.exit(1) }'
	@$(NODE) -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()' || { echo "bpfcompat: better-sqlite3 does not load under $$($(NODE) --version)" >&2; exit 1; }
	@touch $@

validator:
	$(MAKE) -C validator all testdata

# The arm64 guest userland: static aarch64 validator (cross-built) and Debian's busybox-static:arm64
# (apt-get download checks it against apt's signed index).
ARM64_GUEST := validator/build/arm64
validator-arm64: $(ARM64_GUEST)/busybox $(ARM64_GUEST)/bash
	$(MAKE) -C validator arm64
# Command mode on arm64 runs Debian's bash:arm64 (not co-installable with the host's bash, so downloaded);
# its libtinfo goes to lib/, libc comes from libc6:arm64 (multiarch, installed by `make deps`).
$(ARM64_GUEST)/bash:
	@mkdir -p $(@D)/lib
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && (cd "$$tmp" && apt-get download -qq bash:arm64 libtinfo6:arm64) && \
	  dpkg-deb -x "$$tmp"/bash_*_arm64.deb "$$tmp/root" && dpkg-deb -x "$$tmp"/libtinfo6_*_arm64.deb "$$tmp/root" && \
	  install -m 0755 "$$tmp"/root/lib/aarch64-linux-gnu/libtinfo.so.6.* $(@D)/lib/libtinfo.so.6 && install -m 0755 "$$tmp/root/bin/bash" $@
$(ARM64_GUEST)/busybox:
	@mkdir -p $(@D)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && (cd "$$tmp" && apt-get download -qq busybox-static:arm64) && \
	  dpkg-deb -x "$$tmp"/busybox-static_*_arm64.deb "$$tmp/root" && install -m 0755 "$$tmp/root/bin/busybox" $@

examples: $(EXAMPLE_OBJS)
build/examples/%.bpf.o: %.bpf.c | $(LIBBPF_INCLUDE)
	@mkdir -p $(dir $@)
	clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I$(LIBBPF_INCLUDE) -I/usr/include/$$(gcc -print-multiarch) -c $< -o $@
$(LIBBPF_INCLUDE):
	$(MAKE) -C validator libbpf

# The image lane's Debian 12 disk (mmdebstrap from deb.debian.org, needs root), built once into the cache.
image-debian-12: npm
	@$(BPFCOMPAT) images list | grep -q '^debian-12 ' || $(BPFCOMPAT) images build debian-12

kernels: npm
	$(BPFCOMPAT) kernels fetch --matrix $(MATRIX)

# A small 6.1 kernel built from Debian's linux-source-6.1 with BTF off (cached; shows MISSING_BTF for real).
kernel-nobtf:
	examples/no-btf/build-kernel.sh

# The demo needs no disk image (only the image lane and its tests do): `make setup` builds that.
demo: deps validator examples kernels
	@mkdir -p reports
	@rc=0; H=reports/history.sqlite; rm -f $$H $$H-wal $$H-shm; \
	$(BPFCOMPAT) test --artifact build/examples/pass_everywhere.bpf.o --matrix $(MATRIX) --out reports/pass-everywhere.json --markdown reports/pass-everywhere.md --artifact-name pass-everywhere --history $$H || rc=$$?; \
	$(BPFCOMPAT) test --artifact build/examples/missing_kprobe.bpf.o --manifest examples/missing-kprobe/manifest.yaml --matrix $(MATRIX) --out reports/missing-kprobe.json --markdown reports/missing-kprobe.md --artifact-name missing-kprobe --history $$H || rc=$$?; \
	echo "== exec-tracer 1.0 (uses bpf_loop) and 1.1 (a bounded loop instead, plus a tcx counter)"; \
	$(BPFCOMPAT) test --artifact build/examples/bpf_loop.bpf.o --matrix $(MATRIX) --out reports/exec-tracer-1.0.json --markdown reports/exec-tracer-1.0.md --artifact-name exec-tracer --artifact-version 1.0 --history $$H || rc=$$?; \
	$(BPFCOMPAT) test --artifact build/examples/exec_tracer_v2.bpf.o --matrix $(MATRIX) --out reports/exec-tracer-1.1.json --markdown reports/exec-tracer-1.1.md --artifact-name exec-tracer --artifact-version 1.1 --history $$H || rc=$$?; \
	echo "== what 1.1 changed (compare --fail-on-regression exits 2: a kernel where it no longer attaches)"; \
	$(BPFCOMPAT) compare 1.0 1.1 --artifact-name exec-tracer --history $$H --markdown reports/exec-tracer-1.0-1.1.md --fail-on-regression; crc=$$?; \
	[ $$crc -le 2 ] || rc=1; sed -n '/^| Profile/,$$p' reports/exec-tracer-1.0-1.1.md; \
	$(BPFCOMPAT) site build --history $$H --out reports/site || rc=1; \
	echo; echo "Reports: $(CURDIR)/reports/*.{json,md} (exit 0/2 are verdicts; 2 = a required kernel failed)"; \
	echo "History: $(CURDIR)/reports/history.sqlite"; \
	echo "Serve the site:  $(NODE) $(CURDIR)/collector/bin/bpfcompat.js site serve --dir $(CURDIR)/reports/site"; \
	[ $$rc -le 2 ]

typecheck: npm
	tsc -p tsconfig.json

# Unit and end-to-end tests (e2e tests boot real kernels in QEMU and drive a real chromium).
test: setup typecheck
	$(NODE) --test --test-concurrency=2 'collector/**/*.test.ts' 'history/**/*.test.ts' 'validator/**/*.test.ts' 'site/**/*.test.ts' 'examples/**/*.test.ts' '.ci/**/*.test.ts'

bench: setup
	$(NODE) bench/boot.bench.ts
	$(NODE) bench/suite.bench.ts
	$(NODE) bench/lanes.bench.ts
	$(NODE) bench/history.bench.ts

doctor: npm
	$(BPFCOMPAT) doctor

clean:
	rm -rf build validator/build site/dist
