// The library's one error policy. Bad usage and bad files (and, for the features that need the
// addon or Linux, an honest refusal) are NetsnapErrors with a stable `code`; a bad argument to an
// API function is a TypeError. The CLI turns codes into exit statuses (see CLI_EXIT_STATUS).

/**
 * - ERR_USAGE: a bad flag, option value or expression on the command line.
 * - ERR_BAD_FILE: a file the user gave (a baseline, a recording) is not what it should be.
 * - ERR_NEEDS_NATIVE: the feature needs the native addon (netlink), and the TypeScript backend runs.
 * - ERR_UNSUPPORTED_PLATFORM: not Linux: there is no /proc/net and no netlink.
 * - ERR_BAD_BACKEND: NETSNAP_BACKEND names no backend, or NETSNAP_OWNER_SOURCE no owner source.
 * - ERR_NATIVE_UNAVAILABLE: NETSNAP_BACKEND=native, and the addon could not be loaded.
 * - ERR_NAMESPACE_GONE: the network namespace being watched has no process left to read it through.
 * - ERR_NETLINK: a netlink dump the request depends on failed (tcp_info of another namespace without
 *   CAP_SYS_ADMIN, say): the rows would be incomplete, so there are none.
 */
export type NetsnapErrorCode =
  | 'ERR_USAGE'
  | 'ERR_BAD_FILE'
  | 'ERR_NEEDS_NATIVE'
  | 'ERR_UNSUPPORTED_PLATFORM'
  | 'ERR_BAD_BACKEND'
  | 'ERR_NATIVE_UNAVAILABLE'
  | 'ERR_NAMESPACE_GONE'
  | 'ERR_NETLINK';

/** The one error class of the library. `code` is stable; `path` and `line` say where. */
export class NetsnapError extends Error {
  readonly code: NetsnapErrorCode;
  readonly path: string | undefined;
  readonly line: number | undefined;
  constructor(code: NetsnapErrorCode, message: string, where: { path?: string; line?: number; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'NetsnapError';
    this.code = code;
    this.path = where.path;
    this.line = where.line;
  }
}

/** What the netstat-style command line exits with for each code (netstat exits 3 on bad flags). */
export const CLI_EXIT_STATUS: Readonly<Record<NetsnapErrorCode, number>> = {
  ERR_USAGE: 3,
  ERR_BAD_FILE: 2,
  ERR_NEEDS_NATIVE: 1,
  ERR_UNSUPPORTED_PLATFORM: 1,
  ERR_BAD_BACKEND: 1,
  ERR_NATIVE_UNAVAILABLE: 1,
  ERR_NAMESPACE_GONE: 1,
  ERR_NETLINK: 1,
};

/** An ERR_USAGE error: what every command-line parser throws. */
export function usageError(message: string): NetsnapError {
  return new NetsnapError('ERR_USAGE', message);
}

/** Whether `err` is a NetsnapError with `code`. */
export function isNetsnapError(err: unknown, code: NetsnapErrorCode): err is NetsnapError {
  return err instanceof NetsnapError && err.code === code;
}
