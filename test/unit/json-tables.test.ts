// --json / --ndjson of -r, -i and -s: schema-valid on every fixture and on this machine, the
// same rows as the text, real values, u64 counters exact.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { asciiStdout, valid, type Obj } from '../helpers/schema';
import { FIXTURES, backend } from '../helpers/env';

const stdout = asciiStdout;

function json(args: string[]): Obj {
  const doc = JSON.parse(stdout(['--json', ...args])) as Obj;
  valid(doc);
  return doc;
}

function ndjson(args: string[]): Obj[] {
  const lines = stdout(['--ndjson', ...args]).split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((l) => {
    const o = JSON.parse(l) as Obj;
    valid(o);
    return o;
  });
}

const root = (name: string) => ['--proc-root', path.join(FIXTURES, name, 'proc')];

/** Rows of a text table: lines after the column line, per `Kernel …` title. */
function textTables(args: string[]): number[] {
  const counts: number[] = [];
  let inTable = false;
  for (const line of netsnap(args).stdout.split('\n')) {
    if (line.startsWith('Kernel ')) {
      counts.push(0);
      inTable = false;
    } else if (/^(Destination|Source|Iface)\b/.test(line)) inTable = true;
    else if (inTable && line !== '') counts[counts.length - 1]!++;
  }
  return counts;
}

describe(`-r --json (${backend.name})`, () => {
  const fixtures = ['routes', 'routes-cache', 'routes-malformed', 'routes-missing-field', 'routes-no-ipv6'];
  const modes = [['-r'], ['-r', '-A', 'inet,inet6'], ['-rC', '-4', '-6'], ['-rCF', '-A', 'inet6,inet'], ['-r', '-6']];
  for (const f of fixtures) {
    for (const m of modes) {
      it(`${f}: ${m.join(' ')} validates, ndjson and json agree`, () => {
        const doc = json([...root(f), ...m]);
        expect(doc.kind).toBe('routes');
        const lines = ndjson([...root(f), ...m]);
        const routes = lines.filter((l) => l.kind === 'route');
        expect(routes.length).toBe((doc.tables as Obj[]).reduce((n, t) => n + t.routes.length, 0));
      });
    }
  }

  it('has the same rows as the text and every field of a route', () => {
    const doc = json([...root('routes'), '-r', '-A', 'inet,inet6']);
    const tables = doc.tables as Obj[];
    expect(tables.map((t) => [t.family, t.table, t.error])).toEqual([['inet', 'fib', null], ['inet6', 'fib', null]]);
    expect(tables.map((t) => t.routes.length)).toEqual(textTables([...root('routes'), '-r', '-n', '-A', 'inet,inet6']));
    expect(tables[0]!.routes).toContainEqual({
      iface: 'eth0', destination: '10.9.0.0', gateway: '192.0.2.1', mask: '255.255.0.0', flags: 3, flagsText: 'UG',
      refCnt: 1, use: 12345, metric: 7, mtu: 1400, window: 4096, irtt: 37,
    });
    const cache = json([...root('routes'), '-r', '-C', '-6']).tables as Obj[];
    expect(cache.map((t) => t.routes.length)).toEqual(textTables([...root('routes'), '-r', '-C', '-n', '-6']));
  });

  it('gives the IPv4 cache entries and a missing file as an error', () => {
    const doc = json([...root('routes-cache'), '-rC']);
    expect(doc.tables[0]).toMatchObject({ family: 'inet', table: 'cache', error: null });
    expect(doc.tables[0].routes[0]).toMatchObject({ iface: 'eth0', destination: '198.51.100.7', gateway: '192.0.2.1', use: 42, hhRef: 1 });
    const none = json([...root('routes-no-ipv6'), '-r', '-6']);
    expect(none.tables[0]).toMatchObject({ family: 'inet6', error: 'ENOENT', routes: [] });
  });
});

describe(`-i --json (${backend.name})`, () => {
  it('lists the text rows, with every field and exact counters', () => {
    const doc = json([...root('ifaces'), '-i']);
    expect(doc.kind).toBe('interfaces');
    const names = (doc.interfaces as Obj[]).map((i) => i.name);
    const text = netsnap([...root('ifaces'), '-i']).stdout.split('\n').slice(2).filter(Boolean).map((l) => l.split(' ')[0]);
    expect(names).toEqual(text);
    const all = json([...root('ifaces'), '-ia']);
    expect(all.interfaces.length).toBe(textTables([...root('ifaces'), '-ia'])[0]);
    const out = stdout(['--json', ...root('ifaces'), '-i']);
    expect(out).toContain('"rxBytes":5497558138880,"rxPackets":123456789012');
    const eth0 = (doc.interfaces as Obj[]).find((i) => i.name === 'eth0')!;
    expect(eth0).toMatchObject({ mtu: 1400, stats: { rxErrors: 3, rxDropped: 7, rxFifo: 1234567, txBytes: 2147483648, txPackets: 7621 } });
    expect(eth0.flagNames).toContain('UP');
  });

  it('reports a vanished device instead of stopping', () => {
    const doc = json([...root('ifaces-vanished'), '-ia']);
    expect(doc.interfaces.map((i: Obj) => i.name)).toContain('eth0');
    expect(doc.errors).toContainEqual({ file: null, name: 'gone0', code: 'ENODEV' });
    const lines = ndjson([...root('ifaces-vanished'), '-ia']);
    expect(lines.filter((l) => l.kind === 'interfaceError')).toHaveLength(doc.errors.length);
  });
});

describe(`-s --json (${backend.name})`, () => {
  const fixtures = ['stats', 'stats-dirs', 'stats-no-snmp6', 'stats-quirks'];
  for (const f of fixtures) {
    for (const m of [['-s'], ['-s', '-6'], ['-s', '-t']]) {
      it(`${f}: ${m.join(' ')} validates`, () => {
        const doc = json([...root(f), ...m]);
        expect(doc.kind).toBe('statistics');
        const lines = ndjson([...root(f), ...m]);
        expect(lines.filter((l) => l.kind === 'counterTable').length).toBe((doc.sources as Obj[]).reduce((n, s) => n + s.tables.length, 0));
      });
    }
  }

  it('carries the counters, u64 exact', () => {
    const doc = json([...root('stats'), '-s']);
    const snmp = (doc.sources as Obj[])[0]!;
    expect(snmp.file).toBe(path.join(FIXTURES, 'stats', 'proc', 'net', 'snmp'));
    const ip = (snmp.tables as Obj[]).find((t) => t.title === 'Ip')!;
    expect(ip.counters).toContainEqual({ name: 'InReceives', value: 123456 });
    const quirks = stdout(['--json', ...root('stats-quirks'), '-s']);
    expect(quirks).toContain('"value":18446744073709551615');
    const q = JSON.parse(quirks) as Obj;
    expect(q.sources[0].malformed).toBe(true);
    const dirs = json([...root('stats-dirs'), '-s']);
    expect(dirs.sources.map((s: Obj) => s.error)).toEqual([null, 'EISDIR', 'EISDIR']);
  });
});

describe(`live machine (${backend.name})`, () => {
  it('validates -r, -i, -s in both formats', () => {
    for (const m of [['-r'], ['-r', '-A', 'inet,inet6'], ['-i'], ['-ia'], ['-s'], ['-s', '-6']]) {
      const doc = json(m);
      expect(doc.procRoot).toBe('/proc');
      ndjson(m);
    }
    const lo = (json(['-ia']).interfaces as Obj[]).find((i) => i.name === 'lo');
    if (lo) expect(lo.flagNames).toContain('LOOPBACK');
  });
});
