// A child process for the churn test: listens on its own loopback address LISTEN_HOST, and on
// `start TARGET_HOST TARGET_PORT RATE` opens RATE connections per second from its own loopback
// address CLIENT_HOST to the target, holding each for 0-800 ms (one in five for 2-6 s, so that
// many are open through a whole sample, however slow) and then closing it (mostly with a
// reset, so no TIME_WAIT piles up; sometimes gracefully). Every socket this process makes has
// CLIENT_HOST (client side) or LISTEN_HOST (listener, accepted side) as its local address: that is
// how the test knows which process owns which socket. `stop` stops the churn, waits (bounded)
// for its sockets to close and answers `stats OPENED ACCEPTED ERRORS`. Exits when stdin closes,
// or after 300 s at the latest.
// Usage: node churn-child.js LISTEN_HOST CLIENT_HOST
'use strict';
const net = require('node:net');
const readline = require('node:readline');
const [listenHost, clientHost] = process.argv.slice(2);
const MAX_OPEN = 1000; // bound on the connections one child has open at once
let opened = 0;
let accepted = 0;
let errors = 0;
let open = 0;
let timer = null;
const live = new Set();

const server = net.createServer((s) => {
  accepted++;
  live.add(s);
  s.on('error', () => {});
  s.on('end', () => s.end());
  s.on('close', () => live.delete(s));
  // Now and then the server side closes first.
  if (Math.random() < 0.1) setTimeout(() => s.resetAndDestroy(), Math.random() * 400);
});
server.listen({ port: 0, host: listenHost, backlog: 1024 }, () => process.stdout.write(`port ${server.address().port}\n`));

function connectOnce(host, port) {
  if (open >= MAX_OPEN) return;
  open++;
  opened++;
  const c = net.connect({ host, port, localAddress: clientHost });
  live.add(c);
  c.on('error', () => { errors++; });
  c.on('close', () => { open--; live.delete(c); });
  c.on('connect', () => {
    setTimeout(() => {
      if (Math.random() < 0.8) c.resetAndDestroy();
      else c.end();
    }, Math.random() < 0.2 ? 2000 + Math.random() * 4000 : Math.random() * 800);
  });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, host, port, rate] = line.split(' ');
  if (cmd === 'start' && timer === null) {
    // Every 20 ms, a fiftieth of the rate (fractions carried over).
    let owed = 0;
    timer = setInterval(() => {
      owed += Number(rate) / 50;
      for (; owed >= 1; owed--) connectOnce(host, Number(port));
    }, 20);
  } else if (cmd === 'stop') {
    clearInterval(timer);
    timer = null;
    let waited = 0;
    const done = setInterval(() => {
      if (live.size === 0 || ++waited > 100) {
        clearInterval(done);
        for (const s of live) s.destroy();
        process.stdout.write(`stats ${opened} ${accepted} ${errors}\n`);
      }
    }, 20);
  }
});
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), 300_000).unref();
