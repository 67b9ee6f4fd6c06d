// Run as an unprivileged user: holds a TCP listener of its own, then runs netstat and netsnap
// with -p and prints what each wrote, as JSON.
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const [cli, ...args] = process.argv.slice(2);
const server = net.createServer();
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const run = (cmd, argv) => {
    const r = spawnSync(cmd, argv, { encoding: 'latin1', env: { ...process.env, LANG: 'C' } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const out = { pid: process.pid, port, netstat: run('netstat', args), netsnap: run(process.execPath, [cli, ...args]) };
  process.stdout.write(JSON.stringify(out));
  server.close();
});
