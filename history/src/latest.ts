import type Database from 'better-sqlite3';

// The newest verdict per artifact name × profile id (migration 4): one row per artifact name whose
// `cells` JSON maps each profile id to its newest member. A run updates one row instead of one row per
// target — per-cell upserts were a third of a bulk append. The view latest_verdicts expands the cells to
// the columns it had as a table, so readers are unchanged. Newest = greatest (started_at, run id), so
// appends and merges in any order agree.

/** A cell, in the column order of the latest_verdicts view after (artifact_name, profile_id). */
export type Cell = [
  run_id: string, started_at: string, version: string, variant: string | null, required: number, status: string,
  classification_code: string | null, confidence: string | null, kernel_sha256: string, kernel_release: string, result_key: string,
];

export type Cells = Map<string, Cell>;

/** Whether cell a is newer than b (ASCII timestamps and ids: JS and SQLite's BINARY order agree). */
export function newer(a: Cell, b: Cell): boolean {
  return a[1] !== b[1] ? a[1] > b[1] : a[0] > b[0];
}

export function decodeCells(json: string | undefined): Cells {
  return json === undefined ? new Map() : new Map(Object.entries(JSON.parse(json) as Record<string, Cell>));
}

/** Canonical text: profile ids in ascending order (object key order would put integer-like ids first). */
export function encodeCells(cells: Cells): string {
  const keys = [...cells.keys()].sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(cells.get(k))}`).join(',')}}`;
}

/** Folds a candidate into cells; true when it changed them. */
export function offer(cells: Cells, profileId: string, cell: Cell): boolean {
  const known = cells.get(profileId);
  if (known !== undefined && !newer(cell, known)) return false;
  cells.set(profileId, cell);
  return true;
}

export function latestStatements(db: Database.Database, schema = 'main') {
  return {
    read: db.prepare(`SELECT cells FROM ${schema}.latest_by_artifact WHERE artifact_name = ?`).pluck(),
    write: db.prepare(`INSERT INTO ${schema}.latest_by_artifact (artifact_name, cells) VALUES (?, ?)
      ON CONFLICT (artifact_name) DO UPDATE SET cells = excluded.cells`),
  };
}

/** Merges an attached source's latest cells into main (inside the caller's transaction); returns cells changed. */
export function mergeLatest(db: Database.Database): number {
  const main = latestStatements(db);
  let changed = 0;
  const rows = db.prepare('SELECT artifact_name, cells FROM src.latest_by_artifact ORDER BY artifact_name').raw().all() as [string, string][];
  for (const [name, json] of rows) {
    const cells = decodeCells(main.read.get(name) as string | undefined);
    let dirty = false;
    for (const [profile, cell] of decodeCells(json)) {
      if (offer(cells, profile, cell)) {
        changed++;
        dirty = true;
      }
    }
    if (dirty) main.write.run(name, encodeCells(cells));
  }
  return changed;
}
