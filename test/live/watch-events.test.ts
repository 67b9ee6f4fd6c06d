// Watch: connections opened and closed between ticks show up as exactly those +, - and ~ events.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSampler } from '../../src/services/sampler';
import { diffLines, eventLines, skippedNote } from '../../src/cli/watch';
import { valid, type Obj } from '../helpers/schema';
import type { AnySocket, SnapshotDiff } from '../../src/analysis/diff';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

/** The --ndjson lines of a tick, each checked against the schema. */
function validLines(lines: string[]): Obj[] {
  return lines.map((l) => {
    const x = JSON.parse(l) as Obj;
    valid(x);
    return x;
  });
}

const closeOf = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

function mine(diff: SnapshotDiff, port: number) {
  const ours = (s: AnySocket) => s.proto !== 'unix' && (s.localPort === port || s.remotePort === port);
  const text = (s: AnySocket) => (s.proto === 'unix' ? '' : `${s.localPort}>${s.remotePort} ${s.stateName}`);
  return {
    opened: diff.opened.filter(ours).map(text).sort(),
    closed: diff.closed.filter(ours).map(text).sort(),
    changed: diff.changed.filter((c) => ours(c.socket)).map((c) => `${text(c.socket)} was ${c.from}`).sort(),
  };
}

describe(`watch events (${backend.name})`, () => {
  it('sees exactly the sockets opened, closed and changed between ticks', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const P = (server.address() as net.AddressInfo).port;
    const sampler = createSampler({ protocols: ['tcp'], families: [4], owners: true, interval: 0 });
    await sampler.next();

    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect(P, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    const serverSide = await accepted;
    const c = client.localPort!;
    const t1 = await sampler.next();
    expect(mine(t1.diff, P)).toEqual({ opened: [`${P}>${c} ESTABLISHED`, `${c}>${P} ESTABLISHED`].sort(), closed: [], changed: [] });
    const opened = t1.diff.opened.find((s) => s.proto !== 'unix' && s.localPort === c)!;
    expect(opened.owners.map((o) => o.pid)).toEqual([process.pid]);
    const ev1 = validLines(eventLines(t1)).filter((e) => e.kind === 'event' && (e.socket.local.port === c || e.socket.remote?.port === c));
    expect(ev1.map((e) => `${e.event} ${e.socket.local.port}>${e.socket.remote.port}`).sort()).toEqual([`opened ${P}>${c}`, `opened ${c}>${P}`].sort());
    expect(diffLines(t1.diff)).toContain(`+ tcp   127.0.0.1:${c} 127.0.0.1:${P} ESTABLISHED ${process.pid}/${opened.owners[0]!.name}`);

    // The client closes first: its end waits in TIME_WAIT, the server's end goes away.
    serverSide.on('end', () => serverSide.end());
    client.end();
    await Promise.all([closeOf(client), closeOf(serverSide)]);
    const t2 = await sampler.next();
    expect(mine(t2.diff, P)).toEqual({ opened: [], closed: [`${P}>${c} ESTABLISHED`], changed: [`${c}>${P} TIME_WAIT was ESTABLISHED`] });
    const ev2 = validLines(eventLines(t2)).filter((e) => e.kind === 'event' && e.socket.local?.port === c);
    expect(ev2.map((e) => [e.event, e.from, e.to])).toEqual([['changed', 'ESTABLISHED', 'TIME_WAIT']]);

    await new Promise<void>((r) => server.close(() => r()));
    const t3 = await sampler.next();
    expect(mine(t3.diff, P)).toEqual({ opened: [], closed: [`${P}>0 LISTEN`], changed: [] });
    sampler.close();
  });

  it('the CLI prints one header per tick and stops after --count ticks', () => {
    const r = netsnap(['--watch', '0.05', '--count', '3', '-tn']);
    expect(r.status).toBe(0);
    const heads = r.stdout.split('\n').filter((l) => l.startsWith('--- '));
    expect(heads.map((h) => /tick (\d+):/.exec(h)![1])).toEqual(['0', '1', '2']);
    const nd = netsnap(['--watch', '0.05', '--count', '2', '-tn', '--ndjson']);
    const ticks = validLines(nd.stdout.trim().split('\n')).filter((e) => e.kind === 'tick');
    expect(ticks.map((t) => t.tick)).toEqual([0, 1]);
    // Every tick line says how many slots were skipped before it (0 when the tick kept the rate).
    for (const t of ticks) expect(Number.isInteger(t.skippedSlots) && t.skippedSlots >= 0).toBe(true);
    expect(ticks[0]!.skippedSlots).toBe(0);
  });

  it('says when slots were skipped: skippedSlots on the NDJSON tick line, a note on the head line', async () => {
    const sampler = createSampler({ protocols: ['tcp'], families: [4], interval: 0.05 });
    const ticks = sampler[Symbol.asyncIterator]();
    await ticks.next();
    await new Promise((r) => setTimeout(r, 200)); // a slow consumer: 4 slots of 0.05 s
    // Tick 1 was taken on its slot while tick 0 was consumed (the iterator is pipelined); tick 2
    // waited for the consumer.
    const t1 = (await ticks.next()).value as Awaited<ReturnType<typeof sampler.next>>;
    await new Promise((r) => setTimeout(r, 200));
    const t = (await ticks.next()).value as Awaited<ReturnType<typeof sampler.next>>;
    sampler.close();
    expect(t1.skippedSlots).toBe(0);
    expect(t.skippedSlots).toBeGreaterThan(0);
    const tickLine = validLines(eventLines(t)).find((e) => e.kind === 'tick')!;
    expect(tickLine.skippedSlots).toBe(t.skippedSlots);
    expect(skippedNote(0)).toBe('');
    expect(skippedNote(1)).toBe(' | skipped 1 slot (the previous tick took longer than the interval)');
    expect(skippedNote(t.skippedSlots)).toContain(`skipped ${t.skippedSlots} slot`);
  });
});
