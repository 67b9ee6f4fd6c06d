// A child process for the churn tests: listens on loopback, and on command opens a connection
// to a given port or closes its oldest one, answering "ok" each time. Exits when stdin closes.
const net = require('node:net');
const readline = require('node:readline');
const server = net.createServer(() => {});
const accepted = [];
server.on('connection', (s) => accepted.push(s));
const mine = [];
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'connect') {
    const s = net.connect(Number(arg), '127.0.0.1', () => {
      mine.push(s);
      process.stdout.write('ok\n');
    });
  } else if (cmd === 'close') {
    const s = mine.shift();
    if (!s) return process.stdout.write('ok\n');
    s.once('close', () => process.stdout.write('ok\n'));
    s.destroy();
  }
});
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), 120_000).unref();
