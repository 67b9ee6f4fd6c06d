// netsnap report FILE: the HTML report of a recording (see src/report).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecordingStream, type Recording } from '../services/recording';
import { renderReport } from '../report';
import { utf8, type Output } from './output';
import { strerror } from './strerror';
import { parseSubArgs } from './subargs';
import { subcommandSpec } from './options';
import { isNetsnapError } from '../model/errors';

export const REPORT_USAGE = `usage: netsnap report FILE [-o|--output OUT.html] [--title TEXT]
  Writes a self-contained HTML page (charts over time, peaks) of a recording made by netsnap record.
  -o, --output OUT.html   where to write; default FILE with .ndjson replaced by .html; - for stdout
  --title TEXT            the page's heading (default: netsnap report: HOST)
  -h, --help              print this help
`;

export type ReportArgs =
  | { kind: 'run'; file: string; output: string; title: string | undefined }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export function parseReportArgs(argv: string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseSubArgs('report', argv, subcommandSpec('report'));
  } catch (err) {
    if (!isNetsnapError(err, 'ERR_USAGE')) throw err;
    return { kind: 'error', message: err.message.replace(/^netsnap report: /, '') };
  }
  const { options, rest } = parsed;
  if (options.has('help')) return { kind: 'help' };
  const positionals = [...parsed.positionals, ...rest];
  if (positionals.length !== 1) {
    return { kind: 'error', message: positionals.length ? `one recording at a time, not ${positionals.length}` : 'which recording? FILE is missing' };
  }
  const file = positionals[0]!;
  const output = options.get('output') ?? (file.endsWith('.ndjson') ? `${file.slice(0, -'.ndjson'.length)}.html` : `${file}.html`);
  if (output === '') return { kind: 'error', message: 'the output file name is empty' };
  return { kind: 'run', file, output, title: options.get('title') };
}

const errText = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code} (${strerror(code)})` : (err as Error).message;
};

/** Writes through a temporary file in the same directory: a reader never sees half a report. */
function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Exit status: 0 written, 1 unreadable recording or write error, 2 bad arguments. */
export async function runReport(argv: string[], io: Output): Promise<number> {
  const args = parseReportArgs(argv);
  if (args.kind === 'help') {
    io.out(REPORT_USAGE);
    return 0;
  }
  if (args.kind === 'error') {
    io.err(utf8(`netsnap report: ${args.message}\n`));
    io.err(REPORT_USAGE);
    return 2;
  }
  let rec: Recording;
  try {
    rec = await parseRecordingStream(fs.createReadStream(args.file));
  } catch (err) {
    if (isNetsnapError(err, 'ERR_BAD_FILE')) io.err(utf8(`netsnap: ${args.file}: ${err.message}\n`));
    else io.err(utf8(`netsnap: cannot read ${args.file}: ${errText(err)}\n`));
    return 1;
  }
  const html = renderReport(rec, { title: args.title });
  const skipped = rec.skipped.length ? `; ${rec.skipped.length} line(s) skipped (${rec.skipped[0]!.reason}${rec.skipped.length > 1 ? ', …' : ''})` : '';
  if (args.output === '-') {
    io.out(utf8(html));
    io.err(utf8(`netsnap: report of ${rec.samples.length} samples written to stdout${skipped}\n`));
    return 0;
  }
  try {
    writeAtomically(args.output, html);
  } catch (err) {
    io.err(utf8(`netsnap: cannot write ${args.output}: ${errText(err)}\n`));
    return 1;
  }
  io.err(utf8(`netsnap: report of ${rec.samples.length} samples written to ${args.output}${skipped}\n`));
  return 0;
}
