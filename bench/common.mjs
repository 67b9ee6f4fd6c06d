// What the whole-process benches share: medians and number formats, the rows of /proc/net/tcp{,6}
// right now, the C floors (bench/floor/*.c, built with cc -O2), and interleaved timing rounds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const now = () => performance.now();

/**
 * Back-to-back async samples of `request`: after two warm-up samples, next() takes one more. `how`:
 * 'reuse' fills the tables of the sample before the last again, as src/services/sampler.ts does
 * (the last one may still be read); 'trim' makes new tables trimmed to their rows, as sample()
 * (src/backends/snapshot.ts) asks; 'new' makes new tables with their headroom.
 */
export async function backToBack(backend, request, how) {
  if (!['new', 'trim', 'reuse'].includes(how)) throw new TypeError(`backToBack: how must be 'new', 'trim' or 'reuse', got ${how}`);
  const asked = how === 'trim' ? { ...request, trim: true } : request;
  const kept = [await backend.sampleAsync(asked), await backend.sampleAsync(asked)];
  return async () => {
    const older = kept.shift();
    const r = how === 'reuse' ? { ...request, reuse: request.files.map((f) => older.files.find((x) => x.name === f)?.table ?? null) } : asked;
    kept.push(await backend.sampleAsync(r));
  };
}
export const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const ms = (x) => (!Number.isFinite(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
// Two decimals; three below 0.1, where two would round a ratio onto a bound (0.0745× is not 0.07×).
export const rx = (x) => (Number.isFinite(x) ? `${x.toFixed(Math.abs(x) < 0.1 ? 3 : 2)}×` : '–');
export const fmtN = (n) => n.toLocaleString('en-US');

/** Rows (sockets) in /proc/net/tcp + tcp6 right now. */
export function liveTcpSockets() {
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      const t = fs.readFileSync(f, 'latin1');
      for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 10) n++;
      n--;
    } catch { /* absent */ }
  }
  return n;
}

/**
 * Builds the C floors into bench/.build: `floors` maps read_floor, fdscan_floor and netlink_floor
 * to their executables (those that compiled); `note` says what was skipped, '' when nothing was.
 */
export function buildFloors() {
  const floors = {};
  let note = '';
  const cc = spawnSync('cc', ['--version'], { stdio: 'ignore', timeout: 10000 });
  if (cc.error || cc.status !== 0) {
    note = 'cc not found: the C floors were skipped';
    console.error(`bench: ${note}`);
    return { floors, note };
  }
  const floorDir = path.join(root, 'bench', 'floor');
  const buildDir = path.join(root, 'bench', '.build');
  fs.mkdirSync(buildDir, { recursive: true });
  for (const name of ['read_floor', 'fdscan_floor', 'netlink_floor']) {
    const out = path.join(buildDir, name);
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(floorDir, `${name}.c`)], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) {
      console.error(`bench: cc ${name}.c failed, skipping it:\n${r.stderr ?? r.error}`);
      note += `${name}.c did not compile; `;
      continue;
    }
    floors[name] = out;
  }
  return { floors, note };
}

/**
 * Interleaved rounds: each round runs every variant once, starting one further along each time, until
 * maxRounds, or budgetMs once minRounds are done. A variant's run() that throws is dead from then on:
 * with `overMs` on the error (it ran past its time cap) that is its result, else `onFail(name, err)`.
 * A variant may cap itself with maxRuns or budgetMs (of its own runs). Returns name -> wall ms of each run.
 */
export function rounds(variants, { minRounds, maxRounds, budgetMs, onFail }) {
  const t = new Map(variants.map((v) => [v.name, []]));
  const t0 = now();
  for (let r = 0; r < maxRounds; r++) {
    if (r >= minRounds && now() - t0 > budgetMs) break;
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length];
      if (v.dead) continue;
      const xs = t.get(v.name);
      if (xs.length >= (v.maxRuns ?? Infinity) || (xs.length > 0 && xs.reduce((a, b) => a + b, 0) >= (v.budgetMs ?? Infinity))) continue;
      try {
        const a = now();
        v.run();
        xs.push(now() - a);
      } catch (e) {
        v.dead = true;
        if (e?.overMs) v.overMs = e.overMs;
        else onFail(v.name, e);
      }
    }
  }
  return t;
}

/** One line about the machine, for a RESULTS file. */
export function machine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown cpu';
  return `${cpu}, ${os.cpus().length} cores (nproc), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/**
 * Writes bench/NAME (the lines, then `## Notes` and the notes block the file had, kept across runs)
 * and adds `link` once to the notes block of bench/RESULTS.md, the only part of it run.mjs keeps.
 */
export function writeResults(name, lines, link) {
  const file = path.join(root, 'bench', name);
  let notes = '<!-- notes -->\n<!-- /notes -->';
  try {
    const m = /<!-- notes -->[\s\S]*?<!-- \/notes -->/.exec(fs.readFileSync(file, 'utf8'));
    if (m) notes = m[0];
  } catch { /* first run */ }
  fs.writeFileSync(file, [...lines, '## Notes', '', notes, ''].join('\n'));
  const main = path.join(root, 'bench', 'RESULTS.md');
  try {
    const text = fs.readFileSync(main, 'utf8');
    if (!text.includes(name) && text.includes('<!-- /notes -->')) fs.writeFileSync(main, text.replace('<!-- /notes -->', `\n${link}\n<!-- /notes -->`));
  } catch { /* no RESULTS.md yet: nothing to link from */ }
}

/**
 * A bench's current load generator (startLoad of bench/loadgen.mjs), stopped on any way out: by stop()
 * when a size is done, and on SIGINT, SIGTERM or SIGHUP, after `onSignal` (say, a child of the bench's
 * own to kill), when the bench then exits 130. set(load) keeps it and returns it.
 */
export function loadSlot(who, onSignal = () => {}) {
  let current = null;
  const stop = async () => {
    const l = current;
    current = null;
    if (l) await l.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      console.error(`\n${who}: ${sig}, stopping the load generator`);
      onSignal();
      await stop();
      process.exit(130);
    });
  }
  return { set: (l) => (current = l), stop };
}
