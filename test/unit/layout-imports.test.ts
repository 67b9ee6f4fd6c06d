// The layout is a contract (docs/ARCHITECTURE.md): src/ is in layer folders, and a module imports
// only from its own layer or lower ones, never a backend's internals. This test reads every import
// of every module under src/ (static, dynamic and require) and fails on one that breaks the rule.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env';

// Lowest first. Folders on one line share a layer.
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['bytes'],
  ['model'],
  ['names', 'owners', 'filter'],
  ['backends', 'procnet'],
  ['analysis', 'format'],
  ['services'],
  ['report', 'cli'],
  ['.'], // src/index.ts: the package's entry point re-exports from every layer
];

const SRC = path.join(ROOT, 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The folder of src/ a file is in ('.' for src/ itself). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : '.';
}

function layerOf(folder: string): number {
  const i = LAYERS.findIndex((l) => l.includes(folder));
  if (i < 0) throw new Error(`src/${folder} is in no layer: add it to LAYERS and to docs/ARCHITECTURE.md`);
  return i;
}

/** Relative import specifiers of a module: `from '…'`, `import('…')`, `require('…')`, `import '…'`. */
function relativeImports(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])(\.[^'"]*)\1/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2]!);
  return out;
}

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  throw new Error(`${path.relative(ROOT, from)}: cannot resolve '${spec}'`);
}

const BACKEND_INTERNALS = [path.join(SRC, 'backends', 'js') + path.sep, path.join(SRC, 'backends', 'native.ts')];

const files = sources(SRC);
const edges = files.flatMap((from) =>
  relativeImports(fs.readFileSync(from, 'utf8')).map((spec) => ({ from, spec, to: resolve(from, spec) })),
);

describe('the layout of src/', () => {
  it('reads the imports it checks', () => {
    // A reader that found nothing would pass everything.
    expect(files.length).toBeGreaterThan(60);
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.some((e) => e.from.endsWith(path.join('cli', 'cli.ts')) && e.spec === '../backends/select')).toBe(true);
  });

  it('holds at most 8 files at the root of src/', () => {
    const root = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isFile());
    expect(root.length).toBeLessThanOrEqual(8);
  });

  it('puts every folder of src/ in a layer', () => {
    const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const f of folders) expect(LAYERS.flat(), `src/${f}`).toContain(f);
  });

  it('imports only from the same layer or lower ones', () => {
    const upward = edges
      .filter((e) => layerOf(folderOf(e.to)) > layerOf(folderOf(e.from)))
      .map((e) => `${path.relative(ROOT, e.from)} imports ${e.spec} (${folderOf(e.to)} is above ${folderOf(e.from)})`);
    expect(upward).toEqual([]);
  });

  it("imports no backend's internals from outside src/backends/", () => {
    const inside = path.join(SRC, 'backends') + path.sep;
    const internal = edges
      .filter((e) => !e.from.startsWith(inside) && BACKEND_INTERNALS.some((b) => e.to === b || e.to.startsWith(b)))
      .map((e) => `${path.relative(ROOT, e.from)} imports ${e.spec}`);
    expect(internal).toEqual([]);
  });

  it('finds an upward import when there is one', () => {
    // The check itself, on a module that would break the rule.
    const fake = path.join(SRC, 'model', 'x.ts');
    const to = resolve(fake, '../services/sampler');
    expect(layerOf(folderOf(to))).toBeGreaterThan(layerOf(folderOf(fake)));
    expect(relativeImports("import { a } from '../services/sampler';\nconst b = require('../cli/args');\nawait import('./y');")).toEqual([
      '../services/sampler', '../cli/args', './y',
    ]);
  });
});

describe('the layout of test/', () => {
  it('keeps its tests in folders by kind', () => {
    const top = fs.readdirSync(path.join(ROOT, 'test')).filter((n) => n.endsWith('.test.ts'));
    expect(top).toEqual([]);
    for (const kind of ['unit', 'live', 'oracle', 'robustness', 'parity']) {
      expect(fs.readdirSync(path.join(ROOT, 'test', kind)).filter((n) => n.endsWith('.test.ts')).length, kind).toBeGreaterThan(0);
    }
  });
});
