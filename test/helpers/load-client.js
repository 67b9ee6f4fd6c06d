// A bounded loopback load for the record tests, run as the command `netsnap record` watches:
//   node load-client.js PORT CONNECTIONS [QUEUE_PORT QUEUED]
// (PORT 0: it serves the connections itself, on a port it announces on stderr)
// Says on stderr its pid and how many sockets it held before the load, then waits for SIGUSR1;
// opens QUEUED connections to QUEUE_PORT (a listener that never accepts: they stay in its accept
// queue) and CONNECTIONS to 127.0.0.1:PORT, writes a line on each, and holds them all until
// SIGUSR2; then closes them (this side first, so its sockets go to TIME_WAIT) and exits 0.
// The test sends the signals when the recording shows the phase before, so nothing depends on
// timing. Gives up with status 1 after 60 s whatever happens.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

const [givenPort, count, queuePort, queued] = process.argv.slice(2).map(Number);
// Not unref()ed: while it waits for its signals, this timer is what keeps the process alive.
setTimeout(() => {
  console.error('load-client: gave up after 60 s');
  process.exit(1);
}, 60_000);

const signalled = (sig) => new Promise((resolve) => process.once(sig, resolve));
const start = signalled('SIGUSR1');
const stop = signalled('SIGUSR2');

// Sockets this process holds before the load (stdio socketpairs, say), for the test to add up.
const base = fs.readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}).length;
console.error(`load-client: pid ${process.pid}, ${base} sockets before the load`);

function connect(p) {
  return new Promise((resolve, reject) => {
    const s = net.connect(p, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

async function ownServer() {
  const server = net.createServer((c) => c.resume());
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address();
  console.error(`load-client: serving on port ${port}`);
  return port;
}

(async () => {
  const port = givenPort === 0 ? await ownServer() : givenPort;
  await start;
  // The queued ones first: whenever all CONNECTIONS are up, so are they.
  const waiting = [];
  for (let i = 0; i < (queued || 0); i++) waiting.push(await connect(queuePort));
  const conns = [];
  for (let i = 0; i < count; i++) conns.push(await connect(port));
  for (const c of conns) c.write('hello\n');
  console.error('load-client: holding');
  await stop;
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
