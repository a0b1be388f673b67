import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArtifactEvidence, VariantEvidence } from '../../../history/vocabulary/evidence-schema.ts';
import { variantsTables } from './variants.ts';

const kernel = (profile_id: string, status: 'pass' | 'fail', cause: string | null = null) => ({
  profile_id, kernel_release: `${profile_id}-release`, kernel_sha256: `${profile_id}-sha`, status, classification_code: status === 'fail' ? 'UNSUPPORTED_HELPER' : null,
  root_cause: cause ? { kind: 'helper', name: cause } : null, run_id: 'r', result_key: 'k',
});
const variant = (name: string | null, kernels: VariantEvidence['kernels'], signed = false): VariantEvidence => ({
  variant: name, artifact_sha256: `${name}-sha`, artifact_basename: 'x.bpf.o', artifact_uri: null, runs: { r: signed ? ['key'] : [] },
  needs: { program_types: [], map_types: [], helpers: [], btf_ext: false }, kernels,
});

test('variants side by side per version, newest first; a version with one unnamed build has no table', () => {
  const e: ArtifactEvidence = {
    schema_version: 'bpfcompat.artifact-evidence.v1', name: 'agent',
    versions: [
      { version: '0.9', first_seen_at: '2025-01-01', variants: [variant(null, [kernel('debian-12', 'pass')])] },
      { version: '1.0', first_seen_at: '2025-01-02', variants: [
        variant('loop', [kernel('debian-11', 'fail', 'bpf_loop'), kernel('debian-12', 'pass')], true),
        variant('unrolled', [kernel('debian-11', 'pass')]),
      ] },
    ],
  };
  const tables = variantsTables(e);
  assert.deepEqual(tables.map((t) => t.version), ['1.0']);
  const t = tables[0]!;
  assert.deepEqual(t.variants.map((v) => [v.variant, v.signed]), [['loop', true], ['unrolled', false]]);
  assert.deepEqual(t.kernels.map((k) => [k.profile_id, k.release, k.kernel_sha256, k.cells.map((c) => c.status)]), [
    ['debian-11', 'debian-11-release', 'debian-11-sha', ['fail', 'pass']],
    ['debian-12', 'debian-12-release', 'debian-12-sha', ['pass', 'not run']],
  ]);
  assert.deepEqual(t.kernels[0]!.cells[0], { status: 'fail', code: 'UNSUPPORTED_HELPER', cause: 'helper bpf_loop' });
  assert.deepEqual(variantsTables(undefined), []);
});
