// End to end against Debian's archive: every preset's signing key is taken out of Debian trixie's ubuntu-keyring or
// distribution-gpg-keys through the signed chain (InRelease by debian-archive-keyring → Packages → .deb sha256),
// and holds the fingerprint the distribution publishes for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelSource } from '../../config/matrix.ts';
import { cacheRoot } from '../../infra/xdg.ts';
import { loadKeyring } from '../apt/keyring.ts';
import { debianKeyFile } from './debian-keys.ts';
import { expandPreset } from './plans.ts';

// Fingerprints as each distribution publishes them (its key page / release notes).
const PUBLISHED: Array<[unknown, string]> = [
  [{ ubuntu: { release: '24.04' } }, 'F6ECB3762474EDA9D21B7022871920D1991BC93C'], // Ubuntu Archive Automatic Signing Key (2018)
  [{ almalinux: { release: 9 } }, 'BF18AC2876178908D6E71267D36CB86CB86B3716'], // AlmaLinux OS 9
  [{ rocky: { release: 8 } }, '7051C470A929F454CEBE37B715AF5DAC6D745A60'], // Rocky Enterprise Software Foundation - Release key 2022
  [{ rocky: { release: 9 } }, '21CB256AE16FC54C6E652949702D426D350D275D'], // Rocky Enterprise Software Foundation - Release key 2022 (9)
  [{ 'centos-stream': { release: 9 } }, '99DB70FAE1D7CE227FB6488205B555B38483C65D'], // CentOS Official Signing Key
  [{ oracle: { release: 9 } }, '3E6D826D3FBAB389C2F38E34BC4D06A08D8B756F'], // Oracle OSS group (Open Source Software group)
  [{ amazon: { release: 2023 } }, 'B21C50FA44A99720EAA72F7FE951904AD832C631'], // Amazon Linux 2023
  [{ fedora: { release: 42 } }, 'B0F4950458F69E1150C6C5EDC8AC4916105EF944'], // Fedora 42
];

test('preset keys come out of Debian packages through the signed chain and match the published fingerprints', { timeout: 300_000 }, async () => {
  const cacheDir = process.env.BPFCOMPAT_CACHE_DIR ?? cacheRoot();
  for (const [k, fpr] of PUBLISHED) {
    const { field, expanded } = expandPreset(KernelSource.parse(k))!;
    assert.ok(!('file' in expanded.key), `${field}: its key comes from a Debian package`);
    const file = await debianKeyFile(expanded.key, { cacheDir, offline: false, where: `profile t: ${field}` });
    const keyring = await loadKeyring(file, { profileId: 't', field: `${field}.keyring`, cacheDir });
    assert.ok(keyring.fingerprints.includes(fpr), `${field}: ${keyring.fingerprints.join(', ')} lacks ${fpr}`);
    assert.ok(keyring.armoredKeys.length === keyring.fingerprints.length, 'one armored file per key for rpmkeys');
  }
});
