import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { BpfcompatError, corruptError, isCorruption, readError, writeError } from './errors.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';

export interface OpenOptions {
  /** open without writing anything; the file must exist and be at the current schema version or older */
  readonly?: boolean;
  /** stop migrating at this version (tests and tooling that need an older schema); default: the newest */
  migrateTo?: number;
  /** milliseconds a writer waits for another writer's lock; default 10 s */
  busyTimeoutMs?: number;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Refuses a file that is not SQLite before SQLite touches it: opening in WAL mode would otherwise create
 * -wal/-shm files beside someone's unrelated file. Returns false when the file is absent or empty.
 */
function checkHeader(path: string): boolean {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw corruptError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err instanceof BpfcompatError ? err : readError(path, err);
  }
  if (size === 0) return false;
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 16 || !head.equals(SQLITE_MAGIC)) throw corruptError(path, 'no SQLite header');
  return true;
}

function currentVersion(db: Database.Database): number {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!hasTable) {
    const others = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number };
    if (others.n > 0) throw new BpfcompatError('HISTORY_CORRUPT', 'is an SQLite database of another program (no schema_version table)');
    return 0;
  }
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

function migrate(db: Database.Database, from: number, to: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > to) continue;
    // IMMEDIATE: two processes opening an old file at once must not both run the same migration.
    db.transaction(() => {
      const now = currentVersion(db);
      if (now >= m.version) return;
      m.up(db);
      record.run(m.version, m.description, new Date().toISOString());
    }).immediate();
  }
}

/** The -wal and -shm files beside a history that exist now. */
export function sidecars(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`].filter((p) => existsSync(p));
}

/**
 * After a refused or read-only open: removes the -wal/-shm files this process made beside the file (SQLite creates
 * them even to read a WAL database), unless the log holds data someone else wrote meanwhile.
 */
export function dropNewSidecars(path: string, before: readonly string[]): void {
  const wal = `${path}-wal`;
  try {
    if (existsSync(wal) && statSync(wal).size > 0) return;
  } catch {
    return;
  }
  for (const p of [wal, `${path}-shm`]) if (!before.includes(p)) rmSync(p, { force: true });
}

const isCantOpen = (err: unknown): boolean => (err as { code?: unknown }).code === 'SQLITE_CANTOPEN';

/**
 * A WAL-mode history whose directory (or file) cannot be written cannot be opened read-only in place: SQLite must
 * create its -shm beside it. Reading needs no lock there, so the file is read into memory (marked rollback-journal
 * in the copy's header, as an in-memory database cannot use WAL) and opened from that copy.
 */
function readonlySnapshot(path: string): Database.Database {
  let walBytes = 0;
  try {
    walBytes = statSync(`${path}-wal`).size;
  } catch {
    // no -wal: every commit is in the file itself
  }
  if (walBytes > 0) {
    throw new BpfcompatError('HISTORY', `${path}: cannot read history: its write-ahead log ${path}-wal holds commits and the directory is not writable`, {
      hint: 'open it once where it is writable (any bpfcompat history verb) to fold the log into the file',
    });
  }
  try {
    const bytes = readFileSync(path);
    if (bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
    return new Database(bytes, { readonly: true });
  } catch (err) {
    throw readError(path, err);
  }
}

/** Opens (creating when absent, unless read-only) and migrates a history database. */
export function openDatabase(path: string, opts: OpenOptions = {}): Database.Database {
  const exists = checkHeader(path);
  const readonly = opts.readonly === true;
  if (readonly && !exists) {
    throw new BpfcompatError('HISTORY', `${path}: no history there`, { hint: 'run bpfcompat test first, or pass --history PATH' });
  }
  if (!readonly) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw writeError(path, err);
    }
  }
  const before = readonly ? sidecars(path) : [];
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly });
    if (readonly) db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
  } catch (err) {
    if (!(readonly && isCantOpen(err))) throw readonly ? readError(path, err) : writeError(path, err);
    db = readonlySnapshot(path);
  }
  try {
    db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 10_000)}`);
    db.pragma('foreign_keys = ON');
    // 64 MiB page cache (default 2 MiB): hash-keyed indexes are random-access, and at a million results
    // the working set of their inner pages no longer fits the default, which made appends 4x slower.
    db.pragma('cache_size = -65536');
    let version: number;
    try {
      version = currentVersion(db);
    } catch (err) {
      if (err instanceof BpfcompatError) throw corruptError(path, err.message);
      if (isCorruption(err)) throw corruptError(path, (err as Error).message, err);
      throw err;
    }
    if (version > SCHEMA_VERSION) {
      throw new BpfcompatError('HISTORY_NEWER', `${path}: history schema version ${version} is newer than this bpfcompat knows (${SCHEMA_VERSION})`, {
        hint: 'upgrade bpfcompat',
      });
    }
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Checkpoint every ~40 MiB of WAL instead of every ~4 MiB: bulk appends and merges rewrite the same
      // index pages in consecutive commits, and each checkpoint copies a page once however often it
      // changed (a fifth fewer bytes written at a million results). Closing the last connection still
      // checkpoints and removes the WAL.
      db.pragma('wal_autocheckpoint = 10000');
      const target = Math.min(opts.migrateTo ?? SCHEMA_VERSION, SCHEMA_VERSION);
      if (version < target) migrate(db, version, target);
    } else if (version < SCHEMA_VERSION) {
      throw new BpfcompatError('HISTORY_OLDER', `${path}: history schema version ${version} is older than ${SCHEMA_VERSION} and the file is opened read-only`, {
        hint: 'run any writing bpfcompat command on it once (e.g. bpfcompat history verify) to upgrade it',
      });
    }
    return db;
  } catch (err) {
    db.close();
    if (readonly) dropNewSidecars(path, before);
    throw readonly ? readError(path, err) : writeError(path, err);
  }
}

export function schemaVersion(db: Database.Database): number {
  return currentVersion(db);
}
