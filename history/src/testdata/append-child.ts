// A child process for the fault tests: appends `count` synthetic runs with ids `<prefix>-<n>` to a history.
import { openHistory } from '../index.ts';
import { makeRun } from './factory.ts';

const [path, prefix, countArg] = process.argv.slice(2);
const h = openHistory(path!);
for (let i = 0; i < Number(countArg); i++) {
  h.appendRun(makeRun({ id: `${prefix}-${i}`, name: prefix!, version: `v${i}`, startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString() }), { 'debian-12-6.1': `boot log ${prefix} ${i}` });
}
h.close();
