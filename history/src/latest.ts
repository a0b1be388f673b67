import type Database from 'better-sqlite3';

// The newest verdict per artifact name × profile id (migration 4): one row per artifact name, whose
// `cells` JSON holds each profile's newest member. A run rewrites one small row instead of one row per
// target — per-cell upserts were a third of a bulk append, and the row is kept small (run fields once
// per run, the kernel by its id) because every row a transaction touches is a page its commit writes.
// The view latest_verdicts expands the rows to the columns it had as a table, so readers are unchanged.
// Newest = greatest (started_at, run id), so appends and merges in any order agree.
//
// Stored form: {"runs": [[run_id, started_at, version, variant], …],
//               "cells": [[profile_id, run index, required, status, classification_code, confidence, kernel id, result_key], …]}
// with cells by profile id. Kernel ids are this file's surrogates (kernels.id); merge maps them.

/** A cell in memory. */
export type Cell = [
  run_id: string, started_at: string, version: string, variant: string | null, required: number, status: string,
  classification_code: string | null, confidence: string | null, kernel: number, result_key: string,
];

export type Cells = Map<string, Cell>;

interface Stored {
  runs: [string, string, string, string | null][];
  cells: [string, number, number, string, string | null, string | null, number, string][];
}

/** Whether cell a is newer than b (ASCII timestamps and ids: JS and SQLite's BINARY order agree). */
export function newer(a: Cell, b: Cell): boolean {
  return a[1] !== b[1] ? a[1] > b[1] : a[0] > b[0];
}

export function decodeCells(json: string | undefined): Cells {
  const cells: Cells = new Map();
  if (json === undefined) return cells;
  const stored = JSON.parse(json) as Stored;
  for (const [profile, ri, required, status, code, confidence, kernel, key] of stored.cells) {
    const [runId, startedAt, version, variant] = stored.runs[ri]!;
    cells.set(profile, [runId, startedAt, version, variant, required, status, code, confidence, kernel, key]);
  }
  return cells;
}

export function encodeCells(cells: Cells): string {
  const runs: Stored['runs'] = [];
  const runIndex = new Map<string, number>();
  const out: Stored['cells'] = [];
  for (const profile of [...cells.keys()].sort()) {
    const c = cells.get(profile)!;
    let ri = runIndex.get(c[0]);
    if (ri === undefined) {
      ri = runs.push([c[0], c[1], c[2], c[3]]) - 1;
      runIndex.set(c[0], ri);
    }
    out.push([profile, ri, c[4], c[5], c[6], c[7], c[8], c[9]]);
  }
  return JSON.stringify({ runs, cells: out });
}

/** Folds a candidate into cells; true when it changed them. */
export function offer(cells: Cells, profileId: string, cell: Cell): boolean {
  const known = cells.get(profileId);
  if (known !== undefined && !newer(cell, known)) return false;
  cells.set(profileId, cell);
  return true;
}

export function latestStatements(db: Database.Database) {
  return {
    read: db.prepare('SELECT cells FROM main.latest_by_artifact WHERE artifact_name = ?').pluck(),
    write: db.prepare(`INSERT INTO main.latest_by_artifact (artifact_name, cells) VALUES (?, ?)
      ON CONFLICT (artifact_name) DO UPDATE SET cells = excluded.cells`),
  };
}

/** Merges an attached source's latest cells into main (inside the caller's transaction); returns cells changed. */
export function mergeLatest(db: Database.Database): number {
  const main = latestStatements(db);
  // Kernel ids are local to each file: src id → main id (kernels are merged before latest verdicts).
  const kernelMap = new Map(db.prepare('SELECT s.id, m.id FROM src.kernels s JOIN main.kernels m ON m.sha256 = s.sha256').raw().all() as [number, number][]);
  let changed = 0;
  const rows = db.prepare('SELECT artifact_name, cells FROM src.latest_by_artifact ORDER BY artifact_name').raw().all() as [string, string][];
  for (const [name, json] of rows) {
    const cells = decodeCells(main.read.get(name) as string | undefined);
    let dirty = false;
    for (const [profile, cell] of decodeCells(json)) {
      const mapped: Cell = [...cell];
      mapped[8] = kernelMap.get(cell[8])!;
      if (offer(cells, profile, mapped)) {
        changed++;
        dirty = true;
      }
    }
    if (dirty) main.write.run(name, encodeCells(cells));
  }
  return changed;
}
