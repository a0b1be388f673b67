import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BpfcompatError } from '../history/vocabulary/errors.ts';
import { sha256File, sha256Hex } from '../history/vocabulary/hash.ts';
import { rawPublicKey, signBytes, type SigningKey } from '../history/vocabulary/signing.ts';
import { openDatabase } from '../history/src/database.ts';
import { SITE_SIGNATURES_PATH, SITE_SIGNATURES_SCHEMA } from '../history/vocabulary/site-signatures.ts';

// After Astro has written the site: the validated objects published by content (/artifacts/<sha256>.bpf.o) and the
// signed manifest of every API file and object (api/v1/signatures.json and its detached .sig). select and fetch
// check what they read against it (collector/src/runtime/site-source.ts).


/** Object files under the given files and directories (recursively), by sha256. */
async function objectsIn(paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new BpfcompatError('FILE_NOT_FOUND', `--with-artifacts ${p}: no such file or directory`, { hint: 'pass the directories or files holding the .bpf.o objects that were tested' });
    }
    const files = st.isDirectory()
      ? (await readdir(p, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.o')).map((e) => join(e.parentPath, e.name))
      : [p];
    for (const f of files) out.set(await sha256File(f), f);
  }
  return out;
}

/** Copies every object of the history found among `paths` to out/artifacts/<sha256>.bpf.o; returns published and missing counts. */
export async function publishArtifacts(history: string, outDir: string, paths: readonly string[]): Promise<{ published: number; missing: string[] }> {
  const db = openDatabase(history, { readonly: true });
  let wanted: string[];
  try {
    wanted = db.prepare("SELECT sha256 FROM artifacts WHERE kind = 'object' ORDER BY sha256").pluck().all() as string[];
  } finally {
    db.close();
  }
  const found = await objectsIn(paths);
  await mkdir(join(outDir, 'artifacts'), { recursive: true });
  const missing: string[] = [];
  let published = 0;
  for (const sha of wanted) {
    const src = found.get(sha);
    if (!src) {
      missing.push(sha);
      continue;
    }
    await copyFile(src, join(outDir, 'artifacts', `${sha}.bpf.o`));
    published++;
  }
  return { published, missing };
}

/** Writes api/v1/signatures.json (sha256 of every API JSON file and published object) and its detached signature. */
export async function signSite(outDir: string, key: SigningKey, now = new Date()): Promise<{ keyId: string; files: number }> {
  const files: Record<string, string> = {};
  for (const dir of ['api', 'artifacts']) {
    let entries;
    try {
      entries = await readdir(join(outDir, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue; // no published objects
    }
    for (const e of entries) {
      if (!e.isFile() || !(e.name.endsWith('.json') || e.name.endsWith('.bpf.o'))) continue;
      const rel = relative(outDir, join(e.parentPath, e.name)).split(sep).join('/');
      if (rel === SITE_SIGNATURES_PATH) continue;
      files[rel] = sha256Hex(await readFile(join(outDir, rel)));
    }
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  const manifest = JSON.stringify({
    schema: SITE_SIGNATURES_SCHEMA, key_id: key.keyId, public_key: rawPublicKey(key.publicKey).toString('base64'), generated_at: now.toISOString(), files: sorted,
  }, null, 2) + '\n';
  await writeFile(join(outDir, SITE_SIGNATURES_PATH), manifest);
  await writeFile(join(outDir, `${SITE_SIGNATURES_PATH}.sig`), signBytes(key, manifest) + '\n');
  return { keyId: key.keyId, files: Object.keys(sorted).length };
}
