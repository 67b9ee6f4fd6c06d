// A bounded loopback load for the record tests, run as the command `netsnap record` watches:
//   node load-client.js PORT CONNECTIONS HOLD_MS [QUEUE_PORT QUEUED]
// opens CONNECTIONS to 127.0.0.1:PORT, writes a line on each, holds them HOLD_MS, closes them
// (this side closes first, so its sockets go to TIME_WAIT), and, when given, leaves QUEUED
// connections to QUEUE_PORT (a listener that never accepts) in its accept queue for as long.
// Says on stderr its pid and how many sockets it held before. Exits 0 when done; gives up with status 1 after 30 s whatever happens.
'use strict';
const net = require('node:net');

const fs = require('node:fs');

const [port, count, holdMs, queuePort, queued] = process.argv.slice(2).map(Number);
// Sockets this process holds before the load (stdio socketpairs, say), for the test to add up.
const base = fs.readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}).length;
console.error(`load-client: pid ${process.pid}, ${base} sockets before the load`);
setTimeout(() => {
  console.error('load-client: gave up after 30 s');
  process.exit(1);
}, 30_000).unref();

function connect(p) {
  return new Promise((resolve, reject) => {
    const s = net.connect(p, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

(async () => {
  // The queued ones first: whenever all CONNECTIONS are up, so are they.
  const waiting = [];
  for (let i = 0; i < (queued || 0); i++) waiting.push(await connect(queuePort));
  const conns = [];
  for (let i = 0; i < count; i++) conns.push(await connect(port));
  for (const c of conns) c.write('hello\n');
  await new Promise((r) => setTimeout(r, holdMs));
  await Promise.all([...conns, ...waiting].map((c) => new Promise((r) => {
    c.on('close', r);
    c.end();
    setTimeout(() => c.destroy(), 2000).unref();
  })));
  process.exit(0);
})().catch((err) => {
  console.error(`load-client: ${err.message}`);
  process.exit(1);
});
