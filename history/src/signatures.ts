import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from '../vocabulary/hash.ts';
import { keyIdOf, publicKeyFromRaw, rawPublicKey, signBytes, verifyBytes, type SigningKey, type TrustedKey } from '../vocabulary/signing.ts';
import { RUN_RESULTS_NATURAL } from './logical.ts';
import type { VerifyMismatch } from './types.ts';

// Signed runs (migration 7). A signature covers a run's statement: its identity (artifact, version, variant, the
// validator and manifest it ran with) and, per profile, the verdict columns and the result key, kernel and target
// hashes they come from. verify() re-derives those hashes from the stored bytes, so a verdict edited anywhere (the
// target JSON, its columns, the member set) changes the statement and the signature no longer holds.

export const RUN_STATEMENT_SCHEMA = 'bpfcompat.run-statement.v1';

const RUN_COLUMNS = `id, started_at, artifact_name, artifact_version, artifact_variant, artifact_uri, artifact_sha256, validator_sha256, manifest_sha256,
  mode, validation_mode, summary_status, exit_code`;

const MEMBERS = `SELECT n.profile_id, n.required, n.result_key, n.reused, n.kernel_sha256, n.target_sha256, t.status, t.classification_code,
    t.failed_stage, t.warning_code
  FROM (${RUN_RESULTS_NATURAL.replaceAll('SCHEMA.', 'main.')} WHERE r.id = ?) n
    JOIN targets t ON substr(t.sha256, 1, 16) = substr(n.target_sha256, 1, 16) AND t.sha256 = n.target_sha256
  ORDER BY n.profile_id`;

/** The canonical JSON a run's signatures are over, or null when the history has no such run. */
export function runStatement(db: Database.Database, runId: string): string | null {
  const run = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(runId) as Record<string, unknown> | undefined;
  if (!run) return null;
  const members = (db.prepare(MEMBERS).all(runId) as Record<string, unknown>[]).map((m) => ({
    ...m, required: m.required === 1 || m.required === true, reused: m.reused === 1 || m.reused === true,
  }));
  return canonicalJson({ schema: RUN_STATEMENT_SCHEMA, run, members });
}

export interface SignResult {
  keyId: string;
  /** runs this call signed, in run order */
  signed: string[];
  /** runs the key had signed already */
  already: number;
}

/** Signs the runs (all, or the named ones) that this key has not signed yet, in one transaction. */
export function signRuns(db: Database.Database, key: SigningKey, opts: { runIds?: readonly string[]; now?: string } = {}): SignResult {
  const publicKey = rawPublicKey(key.publicKey).toString('base64');
  const now = opts.now ?? new Date().toISOString();
  const ids = opts.runIds ?? (db.prepare('SELECT id FROM runs ORDER BY seq').pluck().all() as string[]);
  const has = db.prepare('SELECT 1 FROM signatures WHERE run_id = ? AND key_id = ?').pluck();
  const insert = db.prepare('INSERT INTO signatures (run_id, key_id, public_key, statement_sha256, signature, signed_at) VALUES (?, ?, ?, ?, ?, ?)');
  const signed: string[] = [];
  let already = 0;
  db.transaction(() => {
    for (const id of ids) {
      if (has.get(id, key.keyId) !== undefined) {
        already++;
        continue;
      }
      const statement = runStatement(db, id);
      if (statement === null) continue;
      insert.run(id, key.keyId, publicKey, sha256Hex(statement), signBytes(key, statement), now);
      signed.push(id);
    }
  }).immediate();
  return { keyId: key.keyId, signed, already };
}

export interface SignatureCheck {
  /** signatures checked */
  checked: number;
  /** runs with at least one good signature (by a trusted key, when keys are given) */
  signedRuns: number;
  mismatches: VerifyMismatch[];
}

/**
 * Checks every signature against the run's statement as the history now holds it. With trusted keys, a signature
 * by any other key is a mismatch; with requireSigned, so is a run without a good (trusted) signature.
 */
export function checkSignatures(db: Database.Database, opts: { trusted?: readonly TrustedKey[]; requireSigned?: boolean } = {}): SignatureCheck {
  const mismatches: VerifyMismatch[] = [];
  const trusted = opts.trusted && opts.trusted.length > 0 ? new Set(opts.trusted.map((k) => k.keyId)) : null;
  const good = new Set<string>();
  let checked = 0;
  const rows = db.prepare('SELECT run_id, key_id, public_key, statement_sha256, signature FROM signatures ORDER BY run_id, key_id').all() as
    { run_id: string; key_id: string; public_key: string; statement_sha256: string; signature: string }[];
  for (const s of rows) {
    checked++;
    const where = { table: 'signatures', key: `run ${s.run_id}` };
    let publicKey;
    try {
      publicKey = publicKeyFromRaw(s.public_key);
    } catch {
      mismatches.push({ ...where, problem: `key ${s.key_id.slice(0, 16)}: stored public key is not an Ed25519 key` });
      continue;
    }
    if (keyIdOf(publicKey) !== s.key_id) {
      mismatches.push({ ...where, problem: `key id ${s.key_id.slice(0, 16)} is not the hash of the stored public key` });
      continue;
    }
    if (trusted && !trusted.has(s.key_id)) {
      mismatches.push({ ...where, problem: `signed by untrusted key ${s.key_id.slice(0, 16)}` });
      continue;
    }
    const statement = runStatement(db, s.run_id);
    if (statement === null) {
      mismatches.push({ ...where, problem: 'signature of a run the history does not hold' });
      continue;
    }
    if (sha256Hex(statement) !== s.statement_sha256 || !verifyBytes(publicKey, statement, s.signature)) {
      mismatches.push({ ...where, problem: `signature by key ${s.key_id.slice(0, 16)} does not match the run's verdicts and result keys (changed after signing)` });
      continue;
    }
    good.add(s.run_id);
  }
  if (opts.requireSigned) {
    for (const id of db.prepare('SELECT id FROM runs ORDER BY seq').pluck().all() as string[]) {
      if (!good.has(id)) mismatches.push({ table: 'signatures', key: `run ${id}`, problem: trusted ? 'no good signature by a trusted key' : 'not signed' });
    }
  }
  return { checked, signedRuns: good.size, mismatches };
}

/** Run id → key ids with a good signature over its current statement (for the site and select). */
export function goodSignatures(db: Database.Database): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const rows = db.prepare('SELECT run_id, key_id, public_key, signature FROM signatures ORDER BY run_id, key_id').all() as
    { run_id: string; key_id: string; public_key: string; signature: string }[];
  for (const s of rows) {
    const statement = runStatement(db, s.run_id);
    let ok = false;
    try {
      const pk = publicKeyFromRaw(s.public_key);
      ok = statement !== null && keyIdOf(pk) === s.key_id && verifyBytes(pk, statement, s.signature);
    } catch {
      ok = false;
    }
    if (ok) out.set(s.run_id, [...(out.get(s.run_id) ?? []), s.key_id]);
  }
  return out;
}
