// Run as an unprivileged user (nobody) by test/robustness/unprivileged-all.test.ts: holds sockets of its own
// (a TCP listener, a bound UDP socket, a connected UNIX stream pair), then runs every command of
// argv[3] (JSON: [{ args, netstat }]) with netsnap (argv[2]) and, where `netstat` is set, the real
// netstat, and calls the library (argv[4]: dist/index.js) itself. Prints one JSON document.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const [cli, commandsJson, lib] = process.argv.slice(2);
const commands = JSON.parse(commandsJson);

const inodeOf = (fd) => Number(/^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))[1]);
const handleFd = (o) => {
  const h = o._handle ?? o[Object.getOwnPropertySymbols(o).find((s) => String(s) === 'Symbol(state symbol)')]?.handle;
  return h.fd;
};
const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { encoding: 'latin1', env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000, maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

async function main() {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const udp = dgram.createSocket('udp4');
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-nobody-'));
  const unixPath = path.join(dir, 'nobody.sock');
  const userver = net.createServer({ pauseOnConnect: true });
  await new Promise((r) => userver.listen(unixPath, r));
  const accepted = new Promise((r) => userver.once('connection', r));
  const uclient = net.connect(unixPath);
  await new Promise((r) => uclient.once('connect', r));
  const userverSide = await accepted;

  const out = {
    pid: process.pid,
    tcp: { port: server.address().port, inode: inodeOf(handleFd(server)) },
    udp: { port: udp.address().port, inode: inodeOf(handleFd(udp)) },
    unix: { path: unixPath, client: inodeOf(handleFd(uclient)), serverSide: inodeOf(handleFd(userverSide)), listener: inodeOf(handleFd(userver)) },
    runs: [],
    api: null,
  };
  for (const c of commands) {
    out.runs.push({ args: c.args, netsnap: run(process.execPath, [cli, ...c.args]), netstat: c.netstat ? run('netstat', c.args) : null });
  }

  // The library, as this user.
  const { snapshot, sample, createSampler } = require(lib);
  const summarize = (s) => {
    const mine = [...s.inetSockets()].find((r) => r.inode === out.tcp.inode);
    const others = [...s.inetSockets()].filter((r) => r.inode !== 0 && r.uid !== process.getuid());
    return {
      pidsScanned: s.owners.pidsScanned, pidsDenied: s.owners.pidsDenied, pidsVanished: s.owners.pidsVanished,
      mine: mine ? mine.owners.map((o) => ({ pid: o.pid, name: o.name, uid: o.uid })) : null,
      unix: [...s.unixSockets()].filter((r) => r.inode === out.unix.client).map((r) => r.owners.map((o) => o.pid)),
      othersWithOwners: others.filter((r) => r.owners.length > 0).length,
      others: others.length,
    };
  };
  const sampler = createSampler({ owners: true, interval: 0 });
  const first = await sampler.next();
  const second = await sampler.next();
  sampler.close();
  out.api = {
    snapshot: summarize(snapshot({ owners: true })),
    sample: summarize(await sample({ owners: true })),
    sampler: [summarize(first.snapshot), summarize(second.snapshot)],
  };
  process.stdout.write(JSON.stringify(out));
  uclient.destroy();
  userverSide.destroy();
  userver.close();
  server.close();
  udp.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
