// Seeded generators of /proc/net lines, valid and broken, for the parity loop.

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  hex(digits: number): string {
    let s = '';
    for (let i = 0; i < digits; i++) s += '0123456789ABCDEFabcdef'[this.int(this.next() < 0.9 ? 16 : 22)];
    return s;
  }
  dec(maxDigits: number): string {
    const n = 1 + this.int(maxDigits);
    let s = String(1 + this.int(9));
    for (let i = 1; i < n; i++) s += String(this.int(10));
    return this.next() < 0.1 ? '0' : s;
  }
  space(): string {
    return this.pick([' ', ' ', ' ', '  ', '\t', '   ']);
  }
}

export function inetLine(g: Gen, udp: boolean): string {
  const v6 = g.next() < 0.4;
  const addr = () => g.hex(v6 ? 32 : 8);
  const fields = [
    `${g.int(65536)}:`,
    `${addr()}:${g.hex(1 + g.int(4))}`,
    `${addr()}:${g.hex(1 + g.int(4))}`,
    g.hex(1 + g.int(2)),
    `${g.hex(1 + g.int(8))}:${g.hex(1 + g.int(8))}`,
    `${g.hex(1 + g.int(2))}:${g.hex(1 + g.int(8))}`,
    g.hex(1 + g.int(8)),
    g.dec(10),
    g.dec(3),
    g.dec(16),
  ];
  if (udp) fields.push(g.dec(3), '0000000000000000', g.dec(10));
  else fields.push('1', '0000000000000000', '20', '4', '30', '10', '-1');
  return g.space() + fields.join(g.space());
}

export function unixLine(g: Gen): string {
  const f = [`${g.hex(16)}:`, g.hex(8), g.hex(8), g.pick(['00000000', '00010000', g.hex(8)]), g.hex(4), g.hex(2), g.dec(16)];
  const path = g.pick(['', ' /run/a.sock', ' /tmp/with space', ' @abstract@@', ' /x\tz', ` ${'p'.repeat(g.int(300))}`]);
  return f.join(g.space()) + path;
}

/** Breaks a line the way hostile or torn input would. */
export function mutate(g: Gen, line: string): string {
  const b = [...line];
  switch (g.int(7)) {
    case 0: return line.slice(0, g.int(line.length + 1)); // truncated
    case 1: b.splice(g.int(b.length + 1), 0, String.fromCharCode(g.int(256))); return b.join(''); // stray byte
    case 2: if (b.length) b[g.int(b.length)] = '\0'; return b.join('');
    case 3: if (b.length) b.splice(g.int(b.length), 1); return b.join(''); // byte lost
    case 4: return line.replace(/[0-9A-Fa-f]/, 'Z');
    case 5: return `${line} ${g.hex(12)}`;
    default: return line.replace(/ +/, '');
  }
}

/** A whole file: header, lines (some broken), maybe no final newline. */
export function file(g: Gen, kind: 'tcp' | 'udp' | 'unix', lines: number): Uint8Array {
  const out = [kind === 'unix' ? 'Num       RefCount Protocol Flags    Type St Inode Path' : '  sl  local_address rem_address   st ...'];
  for (let i = 0; i < lines; i++) {
    let l = kind === 'unix' ? unixLine(g) : inetLine(g, kind === 'udp');
    if (g.next() < 0.3) l = mutate(g, l);
    if (g.next() < 0.03) l = '';
    out.push(l);
  }
  let text = out.join('\n');
  if (g.next() < 0.8) text += '\n';
  return Buffer.from(text, 'latin1');
}
