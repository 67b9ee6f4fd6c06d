// A filtered sample maps owners only for the rows that passed (and every UNIX row, which a filter
// does not choose): both backends give identical owner columns, equal to the unfiltered scan's
// entries for exactly those inodes, and read only the processes that hold one of them.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { loadNative } from '../../src/backends/native';
import type { Backend, RawOwners, RawSample, SampleRequest } from '../../src/model/contract';
import { compileFilter } from '../../src/filter/compile';
import { FIXTURES } from '../helpers/env';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const native: Backend = loaded.backend;
const js: Backend = jsBackend;

const FILES = ['tcp', 'tcp6', 'udp', 'udp6', 'unix'];

function request(root: string, filter: string | null): SampleRequest {
  const r: SampleRequest = { netDir: `${root}/net`, files: FILES, owners: true, procRoot: root, littleEndian: true, source: 'proc' };
  if (filter !== null) r.filter = compileFilter(filter).request;
  return r;
}

/** The inodes of every row of a sample's tables. */
function inodesOf(raw: RawSample): Set<number> {
  const out = new Set<number>();
  for (const f of raw.files) if (f.table) for (const ino of new Float64Array(f.table.buffer, 0, f.table.count)) out.add(ino);
  return out;
}

/** The unfiltered owners cut to `keep`: entries of those inodes, records of the processes holding one. */
function cut(o: RawOwners, keep: Set<number>) {
  const rows = [...o.inodes.keys()].filter((i) => keep.has(o.inodes[i]!));
  const pids = new Set(rows.map((i) => o.pids[i]!));
  return {
    inodes: rows.map((i) => o.inodes[i]), pids: rows.map((i) => o.pids[i]), fds: rows.map((i) => o.fds[i]),
    procPids: [...o.procPids].filter((p) => pids.has(p)),
  };
}

describe('owners of a filtered sample, native against TypeScript', () => {
  for (const [fixture, filter] of [
    ['basic', 'sport = :8080 or dport = :8080'], ['basic', 'state listening'], ['basic', 'src [::1]'], ['summary', 'dport > :1000'],
    ['summary', 'not sport = :22'], ['basic', 'sport = :1'],
  ] as const) {
    it(`${fixture}: '${filter}'`, () => {
      const root = `${FIXTURES}/${fixture}/proc`;
      const a = native.sample(request(root, filter));
      const b = js.sample(request(root, filter));
      const all = js.sample(request(root, null));
      const keep = inodesOf(b);
      expect(inodesOf(a)).toEqual(keep);
      for (const o of [a.owners!, b.owners!]) {
        const got = { inodes: [...o.inodes], pids: [...o.pids], fds: [...o.fds], procPids: [...o.procPids] };
        expect(got).toEqual(cut(all.owners!, keep));
      }
      expect(a.owners!.strings).toEqual(b.owners!.strings);
      expect([...a.owners!.nameLen]).toEqual([...b.owners!.nameLen]);
      expect(a.owners!.pidsScanned).toBe(b.owners!.pidsScanned);
    });
  }

  it('reads fewer processes when the filter keeps fewer sockets (the fixtures say which)', () => {
    const root = `${FIXTURES}/basic/proc`;
    const none = native.sample({ ...request(root, 'sport = :1'), files: ['tcp', 'tcp6'] });
    expect(inodesOf(none).size).toBe(0);
    expect(none.owners!.inodes.length).toBe(0);
    expect(none.owners!.procPids.length).toBe(0);
    const every = native.sample({ ...request(root, null), files: ['tcp', 'tcp6'] });
    expect(every.owners!.procPids.length).toBeGreaterThan(0);
  });
});
