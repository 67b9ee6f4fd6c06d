/** The one error class of the library. `code` is stable; `path` and `line` say where. */
export class NetsnapError extends Error {
  readonly code: string;
  readonly path: string | undefined;
  readonly line: number | undefined;
  constructor(code: string, message: string, where: { path?: string; line?: number; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'NetsnapError';
    this.code = code;
    this.path = where.path;
    this.line = where.line;
  }
}
