// --summary --json, saved baselines and --compare --json validate against their schemas.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { FIXTURES, ROOT, backend } from '../helpers/env';

const load = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', f), 'utf8')) as { $id: string };
const ajv = new Ajv2020({ strict: false, allErrors: true });
const summarySchema = ajv.compile(load('summary-v1.schema.json'));
const baselineSchema = load('baseline-v1.schema.json');
const baseline = ajv.compile(baselineSchema);
const comparison = ajv.getSchema(`${baselineSchema.$id}#/$defs/comparison`)!;
const PROC = path.join(FIXTURES, 'summary', 'proc');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-schema-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function valid(check: typeof baseline, doc: unknown): void {
  if (!check(doc)) throw new Error(`schema violation: ${JSON.stringify(check.errors?.slice(0, 5))}`);
}

describe(`summary and baseline JSON against their schemas (${backend.name})`, () => {
  it('--summary --json, on the fixture and on this machine', () => {
    for (const args of [['-y', '--json', '--proc-root', PROC], ['--summary', '--json', '-tu']]) {
      const r = netsnap(args);
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout) as { kind: string; sockets: number };
      valid(summarySchema, doc);
      expect(doc.kind).toBe('summary');
    }
  });

  it('a saved baseline and a --compare --json report', () => {
    const file = path.join(dir, 'b.json');
    expect(netsnap(['--save-baseline', file, '--proc-root', PROC]).status).toBe(0);
    valid(baseline, JSON.parse(fs.readFileSync(file, 'utf8')));
    const r = netsnap(['--compare', path.join(FIXTURES, 'baseline', 'old.json'), '--proc-root', PROC, '--json']);
    expect(r.status).toBe(1);
    valid(comparison, JSON.parse(r.stdout));
  });
});
