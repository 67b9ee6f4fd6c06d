// The v1 JSON Schema, compiled once, and the checks every JSON test makes of netsnap's output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { expect } from 'vitest';
import { netsnap } from './cli';
import { ROOT } from './env';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'netsnap-v1.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Throws with the first violations when `x` is not a valid v1 document or line. */
export function valid(x: unknown): void {
  if (!validate(x)) throw new Error(`schema violation: ${JSON.stringify(validate.errors?.slice(0, 5))}\nin ${JSON.stringify(x).slice(0, 500)}`);
}

/** Runs netsnap; checks it succeeded quietly and wrote ASCII only (JSON escapes the rest). */
export function asciiStdout(args: string[]): string {
  const r = netsnap(args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(/^[\x00-\x7f]*$/.test(r.stdout)).toBe(true);
  return r.stdout;
}
