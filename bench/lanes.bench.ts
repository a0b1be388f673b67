// Boot-to-verdict per lane on the same kernel version (Debian bookworm, Linux 6.1): the direct-boot lane
// (x86_64), arm64 by emulation (qemu-system-aarch64 under TCG on x86 hosts) and the disk-image lane (Debian 12
// image over SSH). Prints medians and the
// ratio; asserts nothing. Usage: node bench/lanes.bench.ts [runs]   (needs make validator validator-arm64 examples image-debian-12)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 3);
const lanes = [
  { lane: 'direct boot (x86_64)', matrix: 'matrices/dev-one.yaml' },
  { lane: 'arm64 emulation', matrix: 'matrices/dev-one-arm64.yaml' },
  // Needs the image: make image-debian-12. Boot = power-on to SSH ready (systemd, cloud-init, sshd).
  { lane: 'disk image (debian-12)', matrix: 'matrices/image-debian-12.yaml' },
];
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-lanes-bench-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const rows: Array<{ lane: string; release: string; boot: number; verdict: number; wall: number }> = [];
  for (const { lane, matrix } of lanes) {
    const boot: number[] = [];
    const verdict: number[] = [];
    const wall: number[] = [];
    let release = '';
    for (let i = 0; i < runs; i++) {
      const out = join(dir, `r-${rows.length}-${i}.json`);
      const t0 = performance.now();
      // --no-history: every run boots (no verdict reuse).
      const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', matrix, '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'work')], { encoding: 'utf8' });
      wall.push(performance.now() - t0);
      const t = (JSON.parse(readFileSync(out, 'utf8')) as { targets: Array<{ status: string; kernel: { release: string }; vm: { boot_ms: number; duration_ms: number } }> }).targets[0]!;
      if (t.status !== 'pass') throw new Error(`${lane}: expected pass, got ${t.status} (${r.stderr.trim()})`);
      release = t.kernel.release;
      boot.push(t.vm.boot_ms);
      verdict.push(t.vm.duration_ms);
    }
    rows.push({ lane, release, boot: median(boot), verdict: median(verdict), wall: median(wall) });
  }
  const base = rows[0]!.verdict;
  console.log(`${'lane'.padEnd(24)}${'kernel'.padEnd(22)}boot (ms)  boot-to-verdict (ms)  CLI wall (ms)  vs direct   (median of ${runs})`);
  for (const r of rows) {
    console.log(`${r.lane.padEnd(24)}${r.release.padEnd(22)}${String(r.boot).padStart(9)}  ${String(r.verdict).padStart(20)}  ${String(Math.round(r.wall)).padStart(13)}  ${(r.verdict / base).toFixed(2).padStart(8)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
