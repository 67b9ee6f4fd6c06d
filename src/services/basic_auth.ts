// Basic auth against the bcrypt hashes of a web config. bcrypt is slow on purpose (tens of
// milliseconds at cost 10), so the comparisons run on a worker thread, one at a time, never on the event loop (bcryptjs'
// own async compare only slices the work on the main thread); a scrape every few seconds with the
// same credentials costs one comparison, as answers are cached by a digest of (user, password, hash).
import * as crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Answers kept; past this the oldest goes (a flood of wrong passwords cannot grow the cache). */
const CACHE_ENTRIES = 1024;

// The worker: compares a password with a hash, one message at a time. bcryptjs is found by the
// path resolved here, so the worker does not depend on its working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

/** A hash of cost 10 that no password is checked against for real: an unknown user costs what a known one does. */
const UNKNOWN_USER_HASH = '$2b$10$eWWwAO3VcYnNYbCjKmbi/esI6Rw1w6qhIQErsPpyrkYfAyHyoq30q';

export interface BasicAuth {
  /** Whether an Authorization header names a user of the config with the right password. */
  check(authorization: string | undefined): Promise<boolean>;
  /** New users (a reloaded file): the cache is emptied. */
  setUsers(users: Map<string, string>): void;
  /** Comparisons run on the worker (cache misses): netsnap_web_config_password_checks_total. */
  readonly comparisons: number;
  close(): void;
}

export function createBasicAuth(initial: Map<string, string>): BasicAuth {
  let users = initial;
  const cache = new Map<string, boolean>();
  const waiting = new Map<number, (ok: boolean) => void>();
  let nextId = 1;
  let comparisons = 0;
  let worker: Worker | null = null;

  function start(): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: require.resolve('bcryptjs') }, name: 'netsnap-bcrypt' });
    // Idle, it never keeps the process alive; while a comparison is pending, it does (ref below).
    w.unref();
    w.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const done = waiting.get(id);
      waiting.delete(id);
      if (waiting.size === 0) w.unref();
      done?.(ok);
    });
    // A worker that dies fails what it was asked (no access), and the next check starts another.
    const failAll = () => {
      if (worker === w) worker = null;
      for (const done of waiting.values()) done(false);
      waiting.clear();
    };
    w.on('error', failAll);
    w.on('exit', failAll);
    return w;
  }

  function compare(password: string, hash: string): Promise<boolean> {
    comparisons++;
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise<boolean>((resolve) => {
      waiting.set(id, resolve);
      w.ref();
      w.postMessage({ id, password, hash });
    });
  }

  return {
    async check(authorization) {
      const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization ?? '');
      if (!m) return false;
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      const hash = users.get(user);
      const key = crypto.createHash('sha256').update(user).update('\0').update(password).update('\0').update(hash ?? '').digest('hex');
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const current = users;
      const ok = (await compare(password, hash ?? UNKNOWN_USER_HASH)) && hash !== undefined;
      // An answer for users since replaced is not kept.
      if (users === current) {
        if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(key, ok);
      }
      return ok;
    },
    setUsers(next) {
      users = next;
      cache.clear();
    },
    get comparisons() {
      return comparisons;
    },
    close() {
      void worker?.terminate();
      worker = null;
    },
  };
}
