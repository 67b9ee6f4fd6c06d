// The accounting of throughput ticks as first written: one object per connection and tick, Maps by
// BigInt cookie and by strings, sorting for medians. Slow at 100,000 connections but plain to read:
// the unit test runs it beside src/services/flow_accounting.ts on the same ticks and wants equal results.
import { InetTable } from '../../src/model/columns';
import { addressText } from '../../src/model/address';
import { tcpStateName } from '../../src/model/states';
import { TCP_INFO_INDEX } from '../../src/model/tcp_info';
import type { RawDestroyBatch } from '../../src/model/contract';
import type { CompiledFilter } from '../../src/filter/compile';
import { networkOf, type ConnectionFlow, type Flow, type FlowInput, type ProcessFlow, type ThroughputTick } from '../../src/services/flow_accounting';

const IDX = {
  acked: TCP_INFO_INDEX.get('bytesAcked')!,
  received: TCP_INFO_INDEX.get('bytesReceived')!,
  retrans: TCP_INFO_INDEX.get('bytesRetrans')!,
  rtt: TCP_INFO_INDEX.get('rttUs')!,
};

interface Owner {
  pid: number;
  program: string;
  container: string | null;
  cgroup: string | null;
}

interface Seen {
  acked: number;
  received: number;
  retrans: number;
  owner: Owner | null;
  servicePort: number;
  peer: string;
  seenAt: number;
}

const emptyFlow = (): Flow => ({
  connections: 0, txBytes: 0, rxBytes: 0, retransBytes: 0, txBps: null, rxBps: null, retransBps: null,
  closeWait: 0, acceptQueue: 0, rttP50Us: null, closed: 0,
});

class Groups<K> {
  readonly flows = new Map<K, Flow & { rtts: number[] }>();

  get(key: K): Flow & { rtts: number[] } {
    let f = this.flows.get(key);
    if (!f) {
      f = { ...emptyFlow(), rtts: [] };
      this.flows.set(key, f);
    }
    return f;
  }
}

function finish(f: Flow & { rtts?: number[] }, seconds: number | null): Flow {
  const out: Flow = { ...f };
  delete (out as { rtts?: number[] }).rtts;
  if (seconds !== null && seconds > 0) {
    out.txBps = f.txBytes / seconds;
    out.rxBps = f.rxBytes / seconds;
    out.retransBps = f.retransBytes / seconds;
  }
  const r = f.rtts;
  if (r && r.length > 0) {
    r.sort((a, b) => a - b);
    out.rttP50Us = r[(r.length - 1) >> 1]!;
  }
  return out;
}

export function referenceAccounting(interval: number, filter: CompiledFilter | null = null): { update(snap: FlowInput, batch: RawDestroyBatch | null): ThroughputTick } {
  const seen = new Map<bigint, Seen>();
  const counted = new Set<bigint>();
  const events = { received: 0, overflows: 0, lost: 0, dropped: 0 };
  let count = 0;
  let last = 0;

  // One Owner per process and tick: names are decoded once per process, not once per socket.
  let ownerCache = new Map<number, Owner | null>();
  function ownerOf(snap: FlowInput, inode: number): Owner | null {
    const index = snap.owners;
    if (inode === 0 || index === null) return null;
    const k = index.first(inode);
    if (k < 0) return null;
    const pid = index.pids[k]!;
    let o = ownerCache.get(pid);
    if (o === undefined) {
      const info = index.process(pid);
      const cg = snap.processCgroups?.get(pid);
      o = { pid, program: info?.name ?? '', container: cg?.container ? cg.container.id : null, cgroup: cg?.cgroup ?? null };
      ownerCache.set(pid, o);
    }
    return o;
  }

  // Peer networks, once per distinct peer address and tick.
  let networkCache = new Map<string, string>();
  function networkOfPeer(address: string): string {
    let n = networkCache.get(address);
    if (n === undefined) {
      n = networkOf(address);
      networkCache.set(address, n);
    }
    return n;
  }

  function update(snap: FlowInput, batch: RawDestroyBatch | null): ThroughputTick {
    const now = snap.takenAt;
    ownerCache = new Map();
    networkCache = new Map();
    const first = count === 0;
    const intervalMs = first ? 0 : now - last;
    const seconds = first ? null : intervalMs / 1000;
    const skippedSlots = first ? 0 : Math.max(0, Math.round(intervalMs / (interval * 1000)) - 1);
    last = now;
    const totals = { ...emptyFlow(), rtts: [] as number[] };
    const states: Record<string, number> = {};
    const processes = new Groups<number>();
    const processInfo = new Map<number, Owner>();
    const ports = new Groups<number>();
    const peers = new Groups<string>();
    const networks = new Groups<string>();
    const containers = new Groups<string>();
    const containerCgroup = new Map<string, string | null>();
    const connections: ConnectionFlow[] = [];
    const unattributed = { ...emptyFlow(), rtts: [] as number[] };
    const udp = { sockets: 0, rxQueue: 0, txQueue: 0, drops: 0 };
    let opened = 0;
    let closedCount = 0;

    // Listening ports of this host (service ports) and their owners, accept queues.
    const listening = new Map<string, Owner | null>();
    const listenPorts = new Set<number>();
    for (const t of snap.inet) {
      if (t.proto !== 'tcp') continue;
      for (let i = 0; i < t.count; i++) {
        if (t.state[i] !== 10) continue;
        const fam = t.familyOf(i);
        const owner = ownerOf(snap, t.inode[i]!);
        listening.set(`${fam}|${addressText(t.localAddr, i * 16, fam)}|${t.localPort[i]}`, owner);
        listenPorts.add(t.localPort[i]!);
        const q = t.rxQueue[i]!;
        ports.get(t.localPort[i]!).acceptQueue += q;
        totals.acceptQueue += q;
        if (owner) {
          processes.get(owner.pid).acceptQueue += q;
          processInfo.set(owner.pid, owner);
          if (owner.container !== null) {
            containers.get(owner.container).acceptQueue += q;
            containerCgroup.set(owner.container, owner.cgroup);
          }
        }
      }
    }
    const listenerOwner = (fam: 4 | 6, address: string, port: number): Owner | null | undefined => {
      const any = fam === 4 ? '0.0.0.0' : '::';
      const v4 = fam === 6 && address.startsWith('::ffff:') ? address.slice(7) : null;
      return listening.get(`${fam}|${address}|${port}`) ?? listening.get(`${fam}|${any}|${port}`)
        ?? (v4 !== null ? listening.get(`4|${v4}|${port}`) ?? listening.get(`4|0.0.0.0|${port}`) ?? listening.get(`6|::|${port}`) : undefined);
    };

    const credit = (owner: Owner | null, servicePort: number, peer: string, tx: number, rx: number, re: number, closing: boolean): void => {
      const all = [totals];
      if (owner) {
        all.push(processes.get(owner.pid));
        processInfo.set(owner.pid, owner);
        if (owner.container !== null) {
          all.push(containers.get(owner.container));
          containerCgroup.set(owner.container, owner.cgroup);
        }
      }
      all.push(ports.get(servicePort), peers.get(peer), networks.get(networkOfPeer(peer)));
      for (const f of all) {
        f.txBytes += tx;
        f.rxBytes += rx;
        f.retransBytes += re;
        if (closing) f.closed++;
      }
    };

    // Live connections: their bytes since the previous tick.
    const alive = new Set<bigint>();
    for (const t of snap.inet) {
      if (t.proto === 'udp') {
        for (let i = 0; i < t.count; i++) {
          udp.sockets++;
          udp.rxQueue += t.rxQueue[i]!;
          udp.txQueue += t.txQueue[i]!;
          udp.drops += t.drops[i]!;
        }
        continue;
      }
      const ext = t.ext;
      const cookies = t.cookie;
      if (!ext || !cookies) continue;
      for (let i = 0; i < t.count; i++) {
        const st = t.state[i]!;
        if (st === 10 || st === 6) continue; // listeners, TIME_WAIT: no connection's bytes
        const name = tcpStateName(st);
        states[name] = (states[name] ?? 0) + 1;
        if (!ext.hasInfo(i)) continue;
        const cookie = cookies[i]!;
        alive.add(cookie);
        const fam = t.familyOf(i);
        const localPort = t.localPort[i]!;
        const remotePort = t.remotePort[i]!;
        const remoteAddress = addressText(t.remoteAddr, i * 16, fam);
        const servicePort = listenPorts.has(localPort) ? localPort : remotePort;
        const acked = ext.at(IDX.acked, i);
        const received = ext.at(IDX.received, i);
        const retrans = ext.at(IDX.retrans, i);
        const rtt = ext.at(IDX.rtt, i);
        const prev = seen.get(cookie);
        const owner = ownerOf(snap, t.inode[i]!) ?? prev?.owner ?? null;
        let tx = 0;
        let rx = 0;
        let re = 0;
        if (prev) {
          tx = Math.max(0, acked - prev.acked);
          rx = Math.max(0, received - prev.received);
          re = Math.max(0, retrans - prev.retrans);
        } else if (!first) {
          opened++;
          tx = acked;
          rx = received;
          re = retrans;
        }
        credit(owner, servicePort, remoteAddress, tx, rx, re, false);
        const groups = [totals, ports.get(servicePort), peers.get(remoteAddress), networks.get(networkOfPeer(remoteAddress))];
        if (owner) {
          groups.push(processes.get(owner.pid));
          if (owner.container !== null) groups.push(containers.get(owner.container));
        }
        for (const g of groups) {
          g.connections++;
          if (st === 8) g.closeWait++;
          if (rtt > 0) g.rtts.push(rtt);
        }
        seen.set(cookie, { acked, received, retrans, owner, servicePort, peer: remoteAddress, seenAt: now });
        // Rates computed here: no second pass of object copies over every connection.
        const perSec = seconds !== null && seconds > 0 ? 1 / seconds : null;
        connections.push({
          connections: 1, txBytes: tx, rxBytes: rx, retransBytes: re,
          txBps: perSec === null ? null : tx / seconds!, rxBps: perSec === null ? null : rx / seconds!, retransBps: perSec === null ? null : re / seconds!,
          closeWait: st === 8 ? 1 : 0, acceptQueue: 0, closed: 0,
          rttP50Us: rtt > 0 ? rtt : null, cookie: cookie.toString(), family: fam,
          local: { address: addressText(t.localAddr, i * 16, fam), port: localPort }, remote: { address: remoteAddress, port: remotePort },
          state: name, pid: owner?.pid ?? null, program: owner?.program ?? null,
        });
      }
    }

    // Closed connections: their final counters less what earlier ticks counted.
    if (batch !== null) {
      events.received += batch.received;
      events.overflows += batch.overflows;
      events.lost += batch.lost;
      events.dropped += batch.dropped;
      const t = new InetTable('tcp', 'tcp', batch.table, 'netlink');
      for (let i = 0; i < t.count; i++) {
        if (t.remotePort[i] === 0) continue; // a listener's close
        const cookie = t.cookie![i]!;
        if (counted.has(cookie)) continue;
        counted.add(cookie);
        if (counted.size > 1 << 18) counted.delete(counted.values().next().value!);
        const fam = t.familyOf(i);
        const info = t.ext;
        if (!info?.hasInfo(i)) continue;
        if (filter !== null && !filter.matches(t, i, () => [])) {
          // Owner predicates are answered below with the owner it had; address/port/info ones here.
          if (!filter.needs.owners) continue;
        }
        const prev = seen.get(cookie);
        const acked = info.at(IDX.acked, i);
        const received = info.at(IDX.received, i);
        const retrans = info.at(IDX.retrans, i);
        const localAddress = addressText(t.localAddr, i * 16, fam);
        const remoteAddress = addressText(t.remoteAddr, i * 16, fam);
        let owner: Owner | null = null;
        let servicePort = listenPorts.has(t.localPort[i]!) ? t.localPort[i]! : t.remotePort[i]!;
        if (prev) {
          owner = prev.owner;
          servicePort = prev.servicePort;
        } else {
          owner = listenerOwner(fam, localAddress, t.localPort[i]!) ?? null;
        }
        if (filter !== null && filter.needs.owners) {
          const o = owner ? [{ pid: owner.pid, comm: owner.program, program: owner.program, container: owner.container ? { id: owner.container } : null }] : [];
          if (!filter.matches(t, i, () => o)) continue;
        }
        // Before the first tick everything is baseline: a connection that closes then is not counted.
        if (first && !prev) {
          seen.delete(cookie);
          continue;
        }
        const tx = Math.max(0, acked - (prev?.acked ?? 0));
        const rx = Math.max(0, received - (prev?.received ?? 0));
        const re = Math.max(0, retrans - (prev?.retrans ?? 0));
        seen.delete(cookie);
        alive.delete(cookie);
        closedCount++;
        // Born and gone between two ticks: it opened in this one too.
        if (!prev) opened++;
        // Its port and peer are known whoever owned it; the owner-less ones also make the unattributed row.
        credit(owner, servicePort, remoteAddress, tx, rx, re, true);
        if (owner === null) {
          unattributed.txBytes += tx;
          unattributed.rxBytes += rx;
          unattributed.retransBytes += re;
          unattributed.closed++;
        }
      }
    }
    // Connections gone without a close event (lost, or left the filter): forget them.
    for (const [cookie, s] of seen) if (!alive.has(cookie) && s.seenAt !== now) seen.delete(cookie);

    count++;
    const processList: ProcessFlow[] = [...processes.flows].map(([pid, f]) => {
      const o = processInfo.get(pid);
      return { pid, program: o?.program ?? '', container: o?.container ?? null, ...finish(f, seconds) };
    });
    return {
      tick: count - 1,
      time: now,
      intervalMs,
      skippedSlots,
      totals: {
        ...finish(totals, seconds), states, opened,
        openedPerSec: seconds ? opened / seconds : null, closedPerSec: seconds ? closedCount / seconds : null,
      },
      processes: processList,
      ports: [...ports.flows].map(([port, f]) => ({ proto: 'tcp' as const, port, ...finish(f, seconds) })),
      peers: [...peers.flows].map(([address, f]) => ({ address, ...finish(f, seconds) })),
      networks: [...networks.flows].map(([network, f]) => ({ network, ...finish(f, seconds) })),
      containers: [...containers.flows].map(([id, f]) => ({ id, cgroup: containerCgroup.get(id) ?? null, ...finish(f, seconds) })),
      connections,
      unattributed: finish(unattributed, seconds),
      udp,
      events: { ...events },
    };
  }

  return { update };
}
