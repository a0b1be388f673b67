import type { Verb } from './verb.ts';
import { testVerb } from './test.ts';
import { kernelsVerb } from './kernels.ts';

// The verb registry: each verb lives in its own file under cli/ and only parses flags and calls the core.
export const verbs: Verb[] = [testVerb, kernelsVerb];
