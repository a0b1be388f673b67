import type Database from 'better-sqlite3';
import { BpfcompatError } from './errors.ts';
import { sha256Hex } from './hash.ts';

// Run membership, packed (migration 4): a run's members are one JSON array stored once per distinct
// content in member_sets, and run_members maps each run to its set. Nightly runs that reuse every
// verdict have the same members as the previous night, so most runs add one two-integer row instead
// of one row per target. The view run_results expands the sets back to one row per run × profile, so
// every query reads members as before. Member ids (result, kernel, target) are this file's surrogate
// keys, so a set's sha256 is a dedupe key local to the file, never compared across files.

/** One member, in the column order of the run_results view. */
export type MemberRow = [
  profile_id: string, required: number, result: number, reused: number, reused_from_run: string | null,
  kernel: number, target: number, console_log_sha256: string | null, verifier_log_sha256: string | null,
];

/** The run_results view's columns as SQL over a json_each row `j` of a member set. */
export const MEMBER_FIELDS = `j.value->>0 AS profile_id, j.value->>1 AS required, j.value->>2 AS result, j.value->>3 AS reused,
  j.value->>4 AS reused_from_run, j.value->>5 AS kernel, j.value->>6 AS target, j.value->>7 AS console_log_sha256,
  j.value->>8 AS verifier_log_sha256`;

/** Writes runs' member sets; one per connection (caches the ids of sets already stored). */
export class MemberStore {
  private readonly setIds = new Map<string, number>();
  private readonly s: ReturnType<typeof prepare>;
  private readonly path: string;

  constructor(db: Database.Database, path: string) {
    this.s = prepare(db);
    this.path = path;
  }

  /** Records run `seq`'s members (any order; stored by profile id). Call inside the caller's transaction. */
  store(seq: number, runId: string, members: MemberRow[]): void {
    members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = 1; i < members.length; i++) {
      if (members[i]![0] === members[i - 1]![0]) {
        throw new BpfcompatError('HISTORY', `${this.path}: history not updated: run ${runId} lists profile ${members[i]![0]} twice`, {
          hint: 'each profile_id may appear once per run',
        });
      }
    }
    const json = JSON.stringify(members);
    let id = this.setIds.get(json);
    if (id === undefined) {
      const sha = sha256Hex(json);
      id = this.s.setId.get(sha) as number | undefined;
      id ??= Number(this.s.set.run(sha, json).lastInsertRowid);
      // Sets repeat for consecutive runs of one version; a bounded cache keeps the recent ones.
      if (this.setIds.size > 100_000) this.setIds.clear();
      this.setIds.set(json, id);
    }
    this.s.member.run(seq, id);
  }

  /** Drops cached ids (after a rollback: the rows they name may be gone). */
  forget(): void {
    this.setIds.clear();
  }
}

function prepare(db: Database.Database) {
  return {
    setId: db.prepare('SELECT id FROM member_sets WHERE sha256 = ?').pluck(),
    set: db.prepare('INSERT INTO member_sets (sha256, members) VALUES (?, ?)'),
    member: db.prepare('INSERT INTO run_members (run, member_set) VALUES (?, ?)'),
  };
}
