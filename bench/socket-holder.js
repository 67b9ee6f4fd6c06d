// A child process that holds COUNT loopback TCP sockets for the soak: one listener on 127.0.0.1
// and (COUNT-1)/2 connections to it, both ends kept open in this process. Prints
// `ready <sockets> <port>` when they are all established; exits when stdin closes (or after
// MAX_SECONDS at the latest). Usage: node socket-holder.js COUNT [MAX_SECONDS]
'use strict';
const net = require('node:net');
const count = Number(process.argv[2] ?? 1000);
const maxSeconds = Number(process.argv[3] ?? 3600);
if (!(count >= 1 && count <= 19_000)) {
  process.stderr.write('socket-holder: COUNT must be 1..19000 (the fd hard limit is 20,000 per process)\n');
  process.exit(2);
}
const held = [];
const server = net.createServer({ pauseOnConnect: true }, (s) => {
  s.on('error', () => {});
  held.push(s);
});
server.maxConnections = 20_000;
const pairs = Math.floor((count - 1) / 2);
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, async () => {
  const { port } = server.address();
  const BATCH = 200;
  for (let done = 0; done < pairs; ) {
    const n = Math.min(BATCH, pairs - done);
    await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const c = net.connect({ port, host: '127.0.0.1' }, () => resolve());
      c.once('error', reject);
      held.push(c);
    })));
    done += n;
  }
  // Wait (bounded) until every accepted end has arrived too.
  for (let i = 0; i < 500 && held.length < 2 * pairs; i++) await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(`ready ${1 + held.length} ${port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
