// --save-baseline FILE and --compare FILE.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { snapshot } from '../backends/snapshot';
import { snapshotWarnings } from '../model/snapshot';
import { BaselineError, buildBaseline, compareBaseline, comparisonText, parseBaseline, type Baseline } from '../analysis/baseline';
import type { CliOptions } from './args';
import { selectTables } from './listing';
import { shownText, utf8, type Output } from './output';

/** Output wants binary strings (one char per byte); ours are Unicode: send their UTF-8 bytes. */
import type { Proto } from '../model/contract';

/** Reads and validates a baseline; an error text when it is unreadable or invalid. */
export function readBaseline(file: string): Baseline | string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot read baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `invalid baseline ${file}: not JSON (${(err as Error).message})`;
  }
  try {
    return parseBaseline(value);
  } catch (err) {
    if (err instanceof BaselineError) return `invalid baseline ${file}: ${err.message}`;
    throw err;
  }
}

/** Exit status: 0 nothing differs (or saved), 1 something differs, 2 bad baseline file or write error. */
export async function runBaseline(o: CliOptions, io: Output): Promise<number> {
  // Read the old baseline before anything is written (--compare F --save-baseline F compares first).
  let base: Baseline | null = null;
  if (o.compare !== null) {
    const r = readBaseline(o.compare);
    if (typeof r === 'string') {
      io.err(utf8(`netsnap: ${r}\n`));
      return 2;
    }
    base = r;
  }
  const sel = selectTables(o);
  const protocols: Proto[] = sel.protos.filter((p) => p !== 'raw');
  const families: Array<4 | 6> = [];
  if (sel.inet) families.push(4);
  if (sel.inet6) families.push(6);
  // A filter scopes the baseline (say, to one service's ports): saved and compared alike.
  const filter = o.filter === null ? {} : { filter: o.filter };
  const snap = snapshot({ protocols, families, owners: true, procRoot: o.procRoot, netDir: o.netDir ?? undefined, source: o.source, ...filter });
  for (const w of snapshotWarnings(snap)) io.err(`netsnap: ${w}\n`);
  const now = buildBaseline(snap);
  let status = 0;
  if (base) {
    const c = compareBaseline(base, now);
    if (o.format === 'text') io.out(utf8(comparisonText(c, shownText(io))));
    else io.out(utf8(`${JSON.stringify(c, null, o.format === 'json' ? 2 : undefined)}\n`));
    status = c.differences.length ? 1 : 0;
  }
  if (o.saveBaseline !== null) {
    const file = o.saveBaseline;
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(now, null, 2)}\n`);
      fs.renameSync(tmp, file);
    } catch (err) {
      try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
      io.err(utf8(`netsnap: cannot write baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`));
      return 2;
    }
    const msg = `Baseline saved to ${file}: ${now.listeners.length} listener(s), ${now.networks.length} remote network(s).\n`;
    if (base || o.format !== 'text') io.err(utf8(msg));
    else io.out(utf8(msg));
  }
  return status;
}
