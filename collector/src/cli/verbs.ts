import type { Verb } from './verb.ts';
import { testVerb } from './test.ts';
import { kernelsVerb } from './kernels.ts';
import { doctorVerb } from './doctor.ts';
import { historyVerb } from './history.ts';
import { compareVerb } from './compare.ts';
import { siteVerb } from './site.ts';
import { testCommandVerb } from './test-command.ts';
import { suiteVerb } from './suite.ts';
import { imagesVerb } from './images.ts';
import { screenVerb } from './screen.ts';
import { keysVerb } from './keys.ts';
import { probeVerb } from './probe.ts';
import { selectVerb } from './select.ts';
import { fetchVerb } from './fetch.ts';
import { reportSummaryVerb } from './report-summary.ts';
import { profileVerb } from './profile.ts';
import { envVerb } from './env.ts';
import { versionVerb } from './version.ts';
import { matrixVerb } from './matrix.ts';

// The verb registry: each verb lives in its own file under cli/ and only parses flags and calls the core.
export const verbs: Verb[] = [testVerb, testCommandVerb, suiteVerb, screenVerb, kernelsVerb, imagesVerb, siteVerb, historyVerb, keysVerb, probeVerb, selectVerb, fetchVerb, compareVerb, reportSummaryVerb, profileVerb, matrixVerb, doctorVerb, envVerb, versionVerb];
