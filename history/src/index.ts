// The public API of history/: the collector writes through it, the site reads through it.
export { openHistory, openHistoryForReading, History, verdictsOf, type RunRef } from './history.ts';
export type { OpenOptions } from './database.ts';
export { SCHEMA_VERSION } from './migrations.ts';
export { mergeHistories, type MergeResult } from './merge.ts';
export { resultKey, type ResultKeyInputs } from './hash.ts';
export {
  compareVerdicts, changeOf, classificationDelta, statusScore, renderDiffMarkdown, renderDiffJson, diffSummaryLine, mdCell,
  type Diff, type DiffSide, type DiffSummary, type ProfileDiff, type Change, type Verdict, type VerdictSet,
} from './compare.ts';
export type * from './types.ts';
export { RUN_STATEMENT_SCHEMA, type SignResult, type SignatureCheck } from './signatures.ts';
export { artifactEvidence } from './evidence.ts';
