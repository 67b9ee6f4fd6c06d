// The one reader of small /proc (and sysfs) text files. Their text is a binary (latin1) string,
// one char per byte, like every other netsnap string; a file that cannot be read is its errno
// code, and each caller decides what that means (netstat says different things for different
// files). Parsing lives in the module named after each file.
import * as fs from 'node:fs';

export type ProcText = { ok: true; text: string } | { ok: false; code: string };

function failure(err: unknown): ProcText {
  const code = (err as NodeJS.ErrnoException).code;
  return { ok: false, code: typeof code === 'string' ? code : 'EIO' };
}

/** A small /proc file, whole, as latin1 text; or the errno code (`ENOENT`, `EACCES`, `EISDIR`, …). */
export function readProcText(path: string): ProcText {
  try {
    return { ok: true, text: fs.readFileSync(path, 'latin1') };
  } catch (err) {
    return failure(err);
  }
}

/** readProcText without blocking the event loop, for readers that run beside a server or a recording. */
export async function readProcTextAsync(path: string): Promise<ProcText> {
  try {
    return { ok: true, text: await fs.promises.readFile(path, 'latin1') };
  } catch (err) {
    return failure(err);
  }
}
