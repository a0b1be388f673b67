import type Database from 'better-sqlite3';
import { BpfcompatError } from './errors.ts';

// Run membership, packed (migration 4): a run's members are one JSON array stored once per distinct
// content in member_sets, and run_members maps each run to its set. Nightly runs that reuse every
// verdict have the same members as the previous night, so most runs add one two-integer row instead
// of one row per target. The view run_results expands the sets back to one row per run × profile, so
// every query reads members as before. Sets are found again by their anchor (the smallest result id
// they reference) and compared as text: results are appended in order, so a new set's anchor lands at
// the end of the index, where a hash key would dirty a random page of it at every commit.

/** One member, in the column order of the run_results view. */
export type MemberRow = [
  profile_id: string, required: number, result: number, reused: number, reused_from_run: string | null,
  kernel: number, target: number, console_log_sha256: string | null, verifier_log_sha256: string | null,
];

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
      let anchor = 0;
      for (const m of members) anchor = anchor === 0 || m[2] < anchor ? m[2] : anchor;
      for (const row of this.s.sets.iterate(anchor) as IterableIterator<{ id: number; members: string }>) {
        if (row.members === json) id = row.id;
      }
      id ??= Number(this.s.set.run(anchor, json).lastInsertRowid);
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
    sets: db.prepare('SELECT id, members FROM member_sets WHERE anchor = ?'),
    set: db.prepare('INSERT INTO member_sets (anchor, members) VALUES (?, ?)'),
    member: db.prepare('INSERT INTO run_members (run, member_set) VALUES (?, ?)'),
  };
}
