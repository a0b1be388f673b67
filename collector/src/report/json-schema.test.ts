import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from './json-schema.ts';

// The published schemas must match the zod schemas; regenerate with UPDATE_GOLDEN=1 and review the diff.
test('docs/schema/*.json are generated from the zod schemas', () => {
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    const file = join('docs', 'schema', name);
    const text = JSON.stringify(schema, null, 2) + '\n';
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
    assert.equal(readFileSync(file, 'utf8'), text, `${file} is stale: run UPDATE_GOLDEN=1 node --test ${import.meta.filename}`);
  }
  const report = jsonSchemas()['report.schema.json'] as { properties: Record<string, unknown>; required: string[] };
  for (const key of ['schema_version', 'targets', 'summary']) assert.ok(report.required.includes(key), key);
  // The suite file's schema: editors complete the reference keys and reject unknown ones.
  const suite = jsonSchemas()['suite.schema.json'] as { required: string[]; additionalProperties: boolean; properties: { cases: { items: { properties: Record<string, unknown>; additionalProperties: boolean } } } };
  assert.deepEqual(suite.required.sort(), ['cases', 'name']);
  assert.equal(suite.additionalProperties, false);
  for (const key of ['artifact', 'manifest', 'command', 'test']) assert.ok(key in suite.properties.cases.items.properties, key);
  assert.equal(suite.properties.cases.items.additionalProperties, false);
});
