// The result key is defined where it is stored and verified (history/); the collector computes it from there.
export { resultKey, RESULT_KEY_FIELDS, type ResultKeyInputs as ResultKeyInput } from '../../../history/src/hash.ts';
