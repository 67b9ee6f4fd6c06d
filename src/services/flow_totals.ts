// Running byte totals from throughput ticks, for counters that only go up (the exporter's
// netsnap_*_bytes_total): host-wide, and per process, service port and container, of which each
// exposition shows the top N by bytes moved. Totals include closed connections (destroy events).
import type { Flow, ThroughputTick } from './throughput';

export interface FlowTotal {
  tx: number;
  rx: number;
  retrans: number;
  closed: number;
}

export interface FlowTotalsView {
  host: FlowTotal;
  /** Destroy events the kernel or the addon lost: closes whose bytes are not in the totals. */
  eventsLost: number;
  processes: Array<FlowTotal & { pid: number; program: string }>;
  ports: Array<FlowTotal & { port: number }>;
  containers: Array<FlowTotal & { id: string }>;
}

interface Entry<K> {
  key: K;
  total: FlowTotal;
  /** The last update that moved bytes: entries idle longest go first when the table is full. */
  touched: number;
}

class Table<K> {
  private readonly entries = new Map<string, Entry<K>>();
  constructor(private readonly cap: number) {}

  add(id: string, key: K, f: Flow, update: number): void {
    if (f.txBytes === 0 && f.rxBytes === 0 && f.retransBytes === 0 && f.closed === 0 && this.entries.has(id)) return;
    let e = this.entries.get(id);
    if (!e) {
      e = { key, total: { tx: 0, rx: 0, retrans: 0, closed: 0 }, touched: update };
      this.entries.set(id, e);
      if (this.entries.size > this.cap) this.evict();
    }
    e.total.tx += f.txBytes;
    e.total.rx += f.rxBytes;
    e.total.retrans += f.retransBytes;
    e.total.closed += f.closed;
    if (f.txBytes + f.rxBytes + f.retransBytes > 0) e.touched = update;
  }

  private evict(): void {
    // The quarter idle longest; their series end (Prometheus marks them stale).
    const list = [...this.entries].sort((a, b) => a[1].touched - b[1].touched);
    for (const [id] of list.slice(0, Math.max(1, list.length >> 2))) this.entries.delete(id);
  }

  top(n: number): Array<Entry<K>> {
    return [...this.entries.values()].sort((a, b) => b.total.tx + b.total.rx - (a.total.tx + a.total.rx)).slice(0, n);
  }
}

export class FlowTotals {
  private readonly host: FlowTotal = { tx: 0, rx: 0, retrans: 0, closed: 0 };
  private eventsLost = 0;
  private updates = 0;
  private readonly processes: Table<{ pid: number; program: string }>;
  private readonly ports: Table<number>;
  private readonly containers: Table<string>;

  constructor(private readonly top: number) {
    const cap = Math.max(64, top * 8);
    this.processes = new Table(cap);
    this.ports = new Table(cap);
    this.containers = new Table(cap);
  }

  add(t: ThroughputTick): void {
    this.updates++;
    this.host.tx += t.totals.txBytes;
    this.host.rx += t.totals.rxBytes;
    this.host.retrans += t.totals.retransBytes;
    this.host.closed += t.totals.closed;
    this.eventsLost = t.events.overflows + t.events.lost + t.events.dropped;
    for (const p of t.processes) this.processes.add(`${p.pid}|${p.program}`, { pid: p.pid, program: p.program }, p, this.updates);
    for (const p of t.ports) this.ports.add(String(p.port), p.port, p, this.updates);
    for (const c of t.containers) this.containers.add(c.id, c.id, c, this.updates);
  }

  view(): FlowTotalsView {
    return {
      host: { ...this.host },
      eventsLost: this.eventsLost,
      processes: this.processes.top(this.top).map((e) => ({ ...e.key, ...e.total })),
      ports: this.ports.top(this.top).map((e) => ({ port: e.key, ...e.total })),
      containers: this.containers.top(this.top).map((e) => ({ id: e.key, ...e.total })),
    };
  }
}
