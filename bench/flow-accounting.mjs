// The throughput accounting alone (src/services/flow_accounting.ts: what `netsnap top`, the
// sampler's flows and the exporter's byte counters run on the event loop every tick), on synthetic
// netlink tables built here: no kernel, no load generator, the same numbers on any machine with the
// same CPU. N connections held by 16 processes, on 4 service ports, from --peers distinct peer
// addresses; every tick each connection moves bytes, 1% close (with a destroy event) and as many
// are born. Reports the median and max of update() per tick, with and without the connection rows
// read, and the heap after gc() at the start and the end.
//
//   npm run build && node --expose-gc bench/flow-accounting.mjs [--connections 100000] [--peers 1000] [--ticks 40]
import { parseArgs } from 'node:util';
import { InetTable, OwnerIndex } from '../dist/model/columns.js';
import { inetLayout } from '../dist/model/contract.js';
import { TCP_INFO_COLUMN, TCP_INFO_F64_COLUMNS, TCP_INFO_U32_COLUMNS } from '../dist/model/tcp_info.js';
import { FlowAccounting } from '../dist/services/flow_accounting.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100000' },
    peers: { type: 'string', default: '1000' },
    ticks: { type: 'string', default: '40' },
  },
});
const N = Number(values.connections);
const PEERS = Number(values.peers);
const TICKS = Number(values.ticks);
const PIDS = 16;
const PORTS = [443, 8080, 5432, 6379];

function table(conns) {
  const n = conns.length;
  const capacity = Math.max(1, n);
  const L = inetLayout(capacity);
  const buffer = new ArrayBuffer(L.byteLength);
  const inode = new Float64Array(buffer, L.inode, capacity);
  const localPort = new Uint16Array(buffer, L.localPort, capacity);
  const remotePort = new Uint16Array(buffer, L.remotePort, capacity);
  const localAddr = new Uint8Array(buffer, L.localAddr, capacity * 16);
  const remoteAddr = new Uint8Array(buffer, L.remoteAddr, capacity * 16);
  const family = new Uint8Array(buffer, L.family, capacity);
  const state = new Uint8Array(buffer, L.state, capacity);
  const cookie = new BigUint64Array(n);
  const ext = {
    infoLen: new Uint16Array(n), infoU32: new Uint32Array(TCP_INFO_U32_COLUMNS * n), infoF64: new Float64Array(TCP_INFO_F64_COLUMNS * n),
    cong: new Uint8Array(n), congNames: [], memCount: new Uint8Array(n), mem: new Uint32Array(9 * n),
  };
  const col = (name) => {
    const c = TCP_INFO_COLUMN.get(name);
    return { a: c.wide ? ext.infoF64 : ext.infoU32, base: c.column * n };
  };
  const acked = col('bytesAcked');
  const received = col('bytesReceived');
  const rtt = col('rttUs');
  for (let i = 0; i < n; i++) {
    const c = conns[i];
    inode[i] = c.inode;
    localPort[i] = c.localPort;
    remotePort[i] = c.remotePort;
    localAddr.set([10, 0, 0, 1], i * 16);
    remoteAddr.set([10, 1 + ((c.peer >> 16) & 255), (c.peer >> 8) & 255, c.peer & 255], i * 16);
    family[i] = 4;
    state[i] = c.state;
    cookie[i] = BigInt(c.cookie);
    ext.infoLen[i] = c.state === 10 ? 0 : 232;
    acked.a[acked.base + i] = c.acked;
    received.a[received.base + i] = c.received;
    rtt.a[rtt.base + i] = c.rtt;
  }
  return { buffer, capacity, count: n, problems: new Uint32Array(0), cookie, ext, backlog: new Uint32Array(n), cgroupId: new BigUint64Array(n), ifindex: new Uint32Array(n) };
}

function owners(conns) {
  const sorted = conns.filter((c) => c.inode > 0).sort((a, b) => a.inode - b.inode);
  const enc = new TextEncoder();
  const names = Array.from({ length: PIDS }, (_, k) => enc.encode(`server${k}`));
  const strings = new Uint8Array(names.reduce((a, b) => a + b.length, 0));
  const nameStart = [];
  let o = 0;
  for (const b of names) {
    nameStart.push(o);
    strings.set(b, o);
    o += b.length;
  }
  return new OwnerIndex({
    inodes: new Float64Array(sorted.map((c) => c.inode)), pids: new Int32Array(sorted.map((c) => c.pid)), fds: new Int32Array(sorted.length),
    procPids: new Int32Array(Array.from({ length: PIDS }, (_, k) => 1000 + k)), procUids: new Uint32Array(PIDS),
    nameStart: new Uint32Array(nameStart), nameLen: new Uint32Array(names.map((b) => b.length)),
    commStart: new Uint32Array(nameStart), commLen: new Uint32Array(names.map((b) => b.length)), strings,
    pidsScanned: PIDS, pidsVanished: 0, pidsDenied: 0, socketFds: sorted.length,
  });
}

let nextCookie = 1;
let nextInode = 100000;
const born = () => {
  const k = nextCookie++;
  return {
    cookie: k, inode: nextInode++, pid: 1000 + (k % PIDS), localPort: PORTS[k % PORTS.length], remotePort: 30000 + (k % 30000),
    peer: k % PEERS, state: 1, acked: 0, received: 0, rtt: 50 + (k % 400),
  };
};
const listeners = PORTS.map((p, k) => ({ cookie: 1e9 + k, inode: 10 + k, pid: 1000 + k, localPort: p, remotePort: 0, peer: 0, state: 10, acked: 0, received: 0, rtt: 0 }));
let alive = Array.from({ length: N }, born);

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[(s.length - 1) >> 1];
}

for (const readRows of (process.env.ROWS === "0" ? [false] : [false, true])) {
  const acc = new FlowAccounting({ interval: 0.25 });
  const times = [];
  let heapStart = 0;
  for (let tick = 0; tick < TICKS; tick++) {
    const closed = [];
    for (const c of alive) {
      c.acked += 1000 + (c.cookie % 5000);
      c.received += 500;
    }
    alive = alive.filter((c, k) => {
      if ((k + tick) % 100 !== 0) return true;
      closed.push({ ...c, state: 7, acked: c.acked + 10 });
      return false;
    });
    for (let k = closed.length; k > 0; k--) alive.push(born());
    const all = [...listeners, ...alive];
    const input = { takenAt: tick * 250, inet: [new InetTable('tcp', 'tcp', table(all), 'netlink')], owners: owners(all), processCgroups: null };
    const batch = { table: table(closed), received: closed.length, dropped: 0, overflows: 0, lost: 0, error: null };
    if (tick === 5 && globalThis.gc) {
      globalThis.gc();
      heapStart = process.memoryUsage().heapUsed;
    }
    const t0 = performance.now();
    const out = acc.update(input, batch);
    if (readRows) void out.connections.length;
    const ms = performance.now() - t0;
    if (tick >= 5) times.push(ms);
  }
  let heapEnd = 0;
  if (globalThis.gc) {
    globalThis.gc();
    heapEnd = process.memoryUsage().heapUsed;
  }
  console.log(JSON.stringify({
    connections: N, peers: PEERS, ticks: times.length, connectionRowsRead: readRows,
    updateMsMedian: +median(times).toFixed(1), updateMsMax: +Math.max(...times).toFixed(1),
    usPerConnection: +((median(times) * 1000) / N).toFixed(2),
    heapAfterGcMB: globalThis.gc ? { start: +(heapStart / 2 ** 20).toFixed(1), end: +(heapEnd / 2 ** 20).toFixed(1) } : null,
  }));
}
