import { z } from 'zod';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { Matrix } from '../config/matrix.ts';
import { Manifest } from '../config/manifest.ts';
import { Suite } from '../config/suite.ts';
import { ValidatorResult } from '../validation/validator-result.ts';
import { HostProfile } from '../runtime/host-profile.ts';
import { ScreenReport } from '../../../history/vocabulary/screen-schema.ts';

/** The JSON Schemas shipped in docs/schema/, generated from the zod schemas (the single source of truth). */
export function jsonSchemas(): Record<string, unknown> {
  const gen = (schema: z.ZodType, id: string, io: 'input' | 'output') => ({
    $id: `https://bpfcompat.dev/schema/${id}`,
    ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }),
  });
  return {
    'report.schema.json': gen(Report, 'report.v1.json', 'output'),
    'validator-result.schema.json': gen(ValidatorResult, 'validator-result.v1.json', 'output'),
    'matrix.schema.json': gen(Matrix, 'matrix.json', 'input'),
    'manifest.schema.json': gen(Manifest, 'manifest.json', 'input'),
    'suite.schema.json': gen(Suite, 'suite.json', 'input'),
    'host-profile.schema.json': gen(HostProfile, 'host-profile.v1.json', 'output'),
    'screen.schema.json': gen(ScreenReport, 'screen.v1.json', 'output'),
  };
}
