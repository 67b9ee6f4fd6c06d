// A DNS server on a loopback address that answers PTR queries from a table and NXDOMAIN
// otherwise: enough to test reverse lookups by netsnap and by netstat (glibc) alike.
import * as dgram from 'node:dgram';

export function ptrName(address: string): string {
  if (address.includes(':')) {
    const words = expand6(address);
    const nibbles = words.map((w) => w.toString(16).padStart(4, '0')).join('').split('');
    return `${nibbles.reverse().join('.')}.ip6.arpa`;
  }
  return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
}

function expand6(a: string): number[] {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const t = tail ? tail.split(':').map((x) => parseInt(x, 16)) : [];
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export interface FakeDns {
  queries: string[];
  close(): Promise<void>;
}

export async function startFakeDns(host: string, answers: Record<string, string>): Promise<FakeDns> {
  const table = new Map(Object.entries(answers).map(([addr, name]) => [ptrName(addr).toLowerCase(), name]));
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    // The question: labels from offset 12, then type and class.
    const labels: string[] = [];
    let i = 12;
    while (i < msg.length && msg[i] !== 0) {
      const len = msg[i]!;
      labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
      i += 1 + len;
    }
    const qEnd = i + 5;
    if (qEnd > msg.length) return;
    const qname = labels.join('.').toLowerCase();
    const qtype = msg.readUInt16BE(i + 1);
    queries.push(qname);
    const name = qtype === 12 ? table.get(qname) : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(name ? 0x8580 : 0x8583, 2); // response, authoritative, RD+RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(name ? 1 : 0, 6);
    const question = msg.subarray(12, qEnd);
    let answer = Buffer.alloc(0);
    if (name) {
      const rdata = encodeName(name);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the question's name
      rr.writeUInt16BE(12, 2); // PTR
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      answer = Buffer.concat([rr, rdata]);
    }
    sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, host, () => resolve());
  });
  return { queries, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}
