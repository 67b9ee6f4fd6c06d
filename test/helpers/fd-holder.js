// A child process for the owner churn tests (started with fork(): an IPC channel to the test).
// Listens on HOST (a loopback address of the test's own), connects from HOST to another's listener,
// closes sockets, and passes them on: a socket it gives travels to the test with the IPC message
// (SCM_RIGHTS under Node's handle passing), and one the test hands it is held from then on. Also
// opens and closes /dev/null, to change its number of fds without a socket.
// Messages in: { id, cmd, ... }; every one is answered { id, ... } once done:
//   connect {host, port}  -> { localPort }: a connection from HOST, once connected
//   close                 -> {}: the oldest socket it holds closed (its fd; the socket if no one else holds it)
//   give {which}          -> { localPort, remotePort } with the socket ('newest' client socket, or 'taken'
//                            the last one it was handed); this process keeps its fd
//   drop {which}          -> {}: its fd of that socket closed ('given' the last given, 'taken' the last taken)
//   take (with a handle)  -> {}: the socket handed over, held from now on
//   opennull / closenull  -> {}: one more fd on /dev/null, or one less
// Messages out, unasked: { port } once listening, { accepted: remotePort } for each connection accepted.
// Exits when the IPC channel closes, or after 120 s at the latest.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

const host = process.argv[2];
/** Sockets whose fd this process holds, oldest first. */
const held = [];
const clients = [];
const taken = [];
const nulls = [];
let given = null;

const server = net.createServer((s) => {
  s.on('error', () => {});
  held.push(s);
  process.send({ accepted: s.remotePort });
});
server.listen(0, host, () => process.send({ port: server.address().port }));

function closeFd(s, reply) {
  for (const list of [held, clients, taken]) {
    const k = list.indexOf(s);
    if (k >= 0) list.splice(k, 1);
  }
  if (s.destroyed) return reply({});
  s.once('close', () => reply({}));
  s.destroy();
}

process.on('message', (m, handle) => {
  const reply = (x, h) => (h ? process.send({ id: m.id, ...x }, h, { keepOpen: true }) : process.send({ id: m.id, ...x }));
  switch (m.cmd) {
    case 'connect': {
      const s = net.connect({ host: m.host, port: m.port, localAddress: host }, () => {
        held.push(s);
        clients.push(s);
        reply({ localPort: s.localPort });
      });
      s.on('error', () => {});
      break;
    }
    case 'close': {
      const s = held[0];
      if (!s) return reply({});
      closeFd(s, reply);
      break;
    }
    case 'give': {
      const s = m.which === 'taken' ? taken[taken.length - 1] : clients[clients.length - 1];
      if (!s) return reply({ none: true });
      given = s;
      reply({ localPort: s.localPort, remotePort: s.remotePort }, s);
      break;
    }
    case 'drop': {
      const s = m.which === 'taken' ? taken[taken.length - 1] : given;
      if (!s) return reply({});
      if (s === given) given = null;
      closeFd(s, reply);
      break;
    }
    case 'take': {
      handle.on('error', () => {});
      held.push(handle);
      taken.push(handle);
      reply({});
      break;
    }
    case 'opennull':
      nulls.push(fs.openSync('/dev/null', 'r'));
      reply({});
      break;
    case 'closenull':
      if (nulls.length) fs.closeSync(nulls.pop());
      reply({});
      break;
    default:
      reply({ error: `unknown command ${m.cmd}` });
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), 120_000).unref();
