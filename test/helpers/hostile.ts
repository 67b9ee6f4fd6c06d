// Hostile and odd /proc/net inputs (issue #6 part 2), shared by the behaviour suite
// (test/robustness/hostile-inputs.test.ts) and the parity suite, which parses every one with both backends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type HostileFile = 'tcp' | 'tcp6' | 'udp' | 'unix';
export const HOSTILE_FILES: readonly HostileFile[] = ['tcp', 'tcp6', 'udp', 'unix'];

export const HEADER: Record<HostileFile, string> = {
  tcp: '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n',
  tcp6: '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n',
  udp: '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n',
  unix: 'Num       RefCount Protocol Flags    Type St Inode Path\n',
};

/** One valid line (newline included) of each file for `inode`; `port` is the local port. */
export function line(file: HostileFile, inode: number | string, port = 0x1f90): string {
  const p = port.toString(16).toUpperCase().padStart(4, '0');
  switch (file) {
    case 'tcp':
      return `   0: 0100007F:${p} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
    case 'tcp6':
      return `   0: 00000000000000000000000001000000:${p} 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
    case 'udp':
      return `  1: 00000000:${p} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 ${inode} 2 0000000000000000 0\n`;
    case 'unix':
      return `0000000000000000: 00000002 00000000 00010000 0001 01 ${inode} /run/s${port}\n`;
  }
}

/** Fields a line needs: tcp 10 (up to the inode), udp 13 (up to drops), unix 7 (up to the inode). */
export const NEEDED: Record<HostileFile, number> = { tcp: 10, tcp6: 10, udp: 13, unix: 7 };

/** Longest line kept (without its newline): INET_LINE_MAX / UNIX_LINE_MAX in src/model/contract.ts. */
export const LIMIT: Record<HostileFile, number> = { tcp: 64 * 1024, tcp6: 64 * 1024, udp: 64 * 1024, unix: 1 << 20 };

/** `l` (a line with its newline) padded with a trailing ' xxx…' field to `len` bytes before the newline. */
function pad(l: string, len: number): string {
  const body = l.slice(0, -1) + ' ';
  return body + 'x'.repeat(len - body.length) + '\n';
}

/** Named hostile inputs per file: the parity suite parses them all with both backends. */
export function hostileInputs(file: HostileFile): Array<[string, Buffer]> {
  const h = HEADER[file];
  const good = (i: number) => line(file, 1000 + i, 1000 + i);
  const b = (s: string) => Buffer.from(s, 'latin1');
  const crlf = (s: string) => s.replace(/\n/g, '\r\n');
  const mib = 1 << 20;
  return [
    ['empty', b('')],
    ['header only', b(h)],
    ['header without newline', b(h.slice(0, -1))],
    ['truncated last line', b(h + good(1) + good(2).slice(0, -1))],
    ['cut mid-field', b(h + good(1) + good(2).slice(0, 40))],
    ['cut mid-field, then more lines', b(h + good(1) + good(2).slice(0, 40) + '\n' + good(3))],
    ['non-hex digits', b(h + good(1).replace('0000', '0G00') + good(2) + good(3).replace(' 01 ', ' 0Z ').replace(' 0A ', ' 0Z ').replace(' 07 ', ' 0Z '))],
    ['overlong line (1 MiB)', b(h + good(1).slice(0, -1) + ' ' + 'x'.repeat(mib) + '\n' + good(2))],
    ['overlong field (1 MiB)', b(h + good(1).replace('0000000000000000', 'F'.repeat(mib)) + good(2))],
    // Exactly the limit (64 KiB inet, 1 MiB unix, without the newline), then one byte over it.
    ['line at the limit', b(h + pad(good(1), LIMIT[file]) + good(2) + pad(good(3), LIMIT[file] + 1))],
    ['too long last line without newline', b(h + good(1) + good(2).slice(0, -1) + ' ' + 'y'.repeat(LIMIT[file]))],
    ['NUL bytes', b(h + good(1).replace(' 1001', ' 10\x0001') + '\x00'.repeat(100) + '\n' + good(2))],
    ['CRLF', b(crlf(h + good(1) + good(2)))],
    ['extra column', b(h + good(1).slice(0, -1) + ' extra\n' + good(2))],
    // Only the fields before the last one read (inode for tcp, drops for udp, inode for unix).
    ['missing column', b(h + good(1).trim().split(/\s+/).slice(0, NEEDED[file] - 1).join(' ') + '\n' + good(2))],
    ['duplicate inodes', b(h + line(file, 5000, 1) + line(file, 5000, 2))],
    ['inode 0', b(h + line(file, 0, 3) + line(file, 5001, 4))],
  ];
}

/** Writes a procRoot with `net/<file>` for each entry; returns the procRoot. */
export function procTree(files: Partial<Record<string, Buffer | string>>, root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-hostile-'))): string {
  fs.mkdirSync(path.join(root, 'net'), { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(root, 'net', name), data!);
  return root;
}

/** Adds PROCROOT/PID with fd links (name -> target), cmdline, comm and status (Uid). */
export function addProcess(root: string, pid: number, links: Record<string, string>, name = `prog${pid}`, uid = 0): void {
  const dir = path.join(root, String(pid));
  fs.mkdirSync(path.join(dir, 'fd'), { recursive: true });
  for (const [fd, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, 'fd', fd));
  fs.writeFileSync(path.join(dir, 'cmdline'), `/usr/bin/${name}\0--flag\0`);
  fs.writeFileSync(path.join(dir, 'comm'), `${name}\n`);
  fs.writeFileSync(path.join(dir, 'status'), `Name:\t${name}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
}
