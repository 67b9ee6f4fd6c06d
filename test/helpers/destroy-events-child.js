// Run as an unprivileged user (nobody) by test/parity/destroy-events.test.ts: subscribes to TCP
// destroy events with the addon (argv[2]), says so, then waits for a line on stdin naming the port
// pairs of a connection its parent (root) has closed, makes and closes a loopback connection of its
// own, and reads until it has seen the closes of both (at most 250 reads, 20 ms apart). Prints one
// JSON document: its uid, the granted receive buffer, and the rows it found.
'use strict';
const net = require('node:net');
const readline = require('node:readline');
const addon = require(process.argv[2]);

const LAYOUT = ['inode', 8, 'txQueue', 4, 'rxQueue', 4, 'timerJiffies', 4, 'retransmits', 4, 'uid', 4, 'timeout', 4,
  'drops', 4, 'localPort', 2, 'remotePort', 2, 'localAddr', 16, 'remoteAddr', 16, 'family', 1, 'state', 1];

/** The columns this check needs, per row of a RawInetTable (the layout of src/model/contract.ts). */
function rows(table) {
  const offsets = {};
  let o = 0;
  for (let k = 0; k < LAYOUT.length; k += 2) {
    offsets[LAYOUT[k]] = o;
    o += LAYOUT[k + 1] * table.capacity;
  }
  const b = table.buffer;
  const out = [];
  for (let i = 0; i < table.count; i++) {
    out.push({
      localPort: new DataView(b).getUint16(offsets.localPort + 2 * i, true),
      remotePort: new DataView(b).getUint16(offsets.remotePort + 2 * i, true),
      state: new Uint8Array(b)[offsets.state + i],
      family: new Uint8Array(b)[offsets.family + i],
      uid: new DataView(b).getUint32(offsets.uid + 4 * i, true),
      cookie: String(table.cookie[i]),
    });
  }
  return out;
}

async function ownConnection() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const accepted = new Promise((r) => server.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const serverSide = await accepted;
  const pairs = [[client.localPort, port], [port, client.localPort]];
  client.destroy();
  serverSide.destroy();
  server.close();
  return pairs;
}

async function main() {
  const sub = addon.openDestroyEvents();
  process.stdout.write(JSON.stringify({ ready: true, uid: process.getuid(), rcvbuf: sub.rcvbuf }) + '\n');
  const line = await new Promise((r) => readline.createInterface({ input: process.stdin }).once('line', r));
  const parent = JSON.parse(line);
  const own = await ownConnection();
  const want = [...parent.pairs, ...own];
  const found = new Map();
  let lost = 0;
  for (let i = 0; i < 250 && found.size < want.length; i++) {
    const batch = sub.read();
    lost += batch.lost;
    for (const r of rows(batch.table)) {
      const k = want.findIndex(([l, p]) => r.localPort === l && r.remotePort === p);
      if (k >= 0) found.set(k, r);
    }
    if (found.size < want.length) await new Promise((r) => setTimeout(r, 20));
  }
  sub.close();
  process.stdout.write(JSON.stringify({ uid: process.getuid(), rcvbuf: sub.rcvbuf, lost, parent: parent.pairs.map((_, k) => found.get(k) ?? null), own: own.map((_, k) => found.get(parent.pairs.length + k) ?? null) }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
