import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The parts stack one way: vocabulary at the bottom, history on it, collector and site on history. Every project
// import (TypeScript, Astro, plain JS) is held against this table; an upward import or a circle of files fails.

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Layer name, the path prefixes it owns (first match wins), and the layers it may import from (besides itself). */
const LAYERS: { name: string; prefixes: string[]; mayImport: string[] }[] = [
  { name: 'vocabulary', prefixes: ['history/vocabulary/'], mayImport: [] },
  { name: 'history', prefixes: ['history/'], mayImport: ['vocabulary'] },
  { name: 'collector', prefixes: ['collector/'], mayImport: ['history', 'vocabulary'] },
  { name: 'site', prefixes: ['site/', 'astro.config.mjs'], mayImport: ['history', 'vocabulary'] },
  // Tests of the validator's output contract read it with the collector's parsers; the C code imports nothing.
  { name: 'validator-tests', prefixes: ['validator/'], mayImport: ['collector', 'history', 'vocabulary'] },
  // Whole-project tests, examples and benches sit on top of everything.
  { name: 'top', prefixes: ['examples/', 'bench/', '.ci/'], mayImport: ['collector', 'site', 'history', 'vocabulary', 'validator-tests'] },
];

/** A verb may call the part it drives: `bpfcompat site build` renders the site, `site serve` serves it. */
const ALLOWED_EDGES = new Set(['collector/src/cli/site.ts -> site/build.ts', 'collector/src/cli/site.ts -> site/serve.ts']);

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', '.astro', 'testdata']);

function projectFiles(dir = REPO, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) projectFiles(path, out);
    else if (/\.(ts|astro|mjs|js)$/.test(entry.name)) out.push(relative(REPO, path));
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** Relative imports of a file, resolved to repository paths. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) out.push(normalize(join(dirname(file), m[2]!)));
  return out;
}

function layerOf(file: string): string | undefined {
  return LAYERS.find((l) => l.prefixes.some((p) => file === p || file.startsWith(p)))?.name;
}

function upwardImports(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of graph) {
    const fromLayer = layerOf(from);
    if (!fromLayer) continue;
    const allowed = new Set([fromLayer, ...LAYERS.find((l) => l.name === fromLayer)!.mayImport]);
    for (const to of tos) {
      const toLayer = layerOf(to);
      if (!toLayer || allowed.has(toLayer) || ALLOWED_EDGES.has(`${from} -> ${to}`)) continue;
      bad.push(`${from} (${fromLayer}) imports ${to} (${toLayer})`);
    }
  }
  return bad;
}

/** Strongly connected components with more than one file (Tarjan), each a circle of imports. */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function projectGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of projectFiles()) graph.set(file, importsOf(file, readFileSync(join(REPO, file), 'utf8')));
  return graph;
}

test('layers: no part imports a part above it', () => {
  const graph = projectGraph();
  assert.ok(graph.size > 200, `expected the whole project, found ${graph.size} files`);
  assert.deepEqual(upwardImports(graph), []);
});

test('layers: no circle of imports', () => {
  assert.deepEqual(circles(projectGraph()), []);
});

test('layers: the checker sees an upward import and a circle', () => {
  const graph = new Map<string, string[]>([
    ['history/vocabulary/codes.ts', ['history/src/queries.ts']],
    ['history/src/queries.ts', ['history/vocabulary/codes.ts']],
    ['site/src/lib/model.ts', ['collector/src/report/markdown.ts']],
    ['collector/src/cli/site.ts', ['site/build.ts']],
    ['collector/src/a.ts', ['collector/src/b.ts']],
    ['collector/src/b.ts', ['collector/src/a.ts']],
  ]);
  assert.deepEqual(upwardImports(graph), [
    'history/vocabulary/codes.ts (vocabulary) imports history/src/queries.ts (history)',
    'site/src/lib/model.ts (site) imports collector/src/report/markdown.ts (collector)',
  ]);
  assert.deepEqual(circles(graph).sort(), [
    ['collector/src/a.ts', 'collector/src/b.ts'],
    ['history/src/queries.ts', 'history/vocabulary/codes.ts'],
  ]);
  assert.deepEqual(importsOf('site/src/pages/x.astro', "---\nimport A from '../lib/a.ts';\nconst m = await import('../../x.ts');\n---"), [
    'site/src/lib/a.ts',
    'site/x.ts',
  ]);
});
