// Name lookups for non-numeric output: hosts, networks, services and protocols from the usual
// files (what glibc's "files" source gives netstat), plus reverse DNS answers fetched ahead of
// time by prefetchHosts() within a time budget. Every lookup here is synchronous and cached;
// null means "no name: print the number".
import * as fs from 'node:fs';
import { ipv4Text, ipv6Text, parseAddress } from '../model/address';

export interface NamesOptions {
  hostsFile?: string;
  networksFile?: string;
  servicesFile?: string;
  protocolsFile?: string;
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'latin1').split('\n');
  } catch {
    return [];
  }
}

/** Fields of a line, comments stripped. */
function fields(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter(Boolean);
}

export class Names {
  private hosts?: Map<string, string>;
  private networks?: Map<string, string>;
  private services?: Map<string, string>;
  private protocols?: Map<number, string>;
  /** Reverse DNS answers by numeric address text; null = looked up, no name. */
  readonly dns = new Map<string, string | null>();
  /** Told of every host lookup that neither the hosts file nor the DNS cache could answer. */
  onMiss: ((address: string) => void) | undefined;

  constructor(private readonly opts: NamesOptions = {}) {}

  private hostsMap(): Map<string, string> {
    if (!this.hosts) {
      this.hosts = new Map();
      for (const line of readLines(this.opts.hostsFile ?? '/etc/hosts')) {
        const f = fields(line);
        if (f.length < 2) continue;
        const key = canonicalAddress(f[0]!);
        // gethostbyaddr returns the first entry for an address, its canonical (first) name.
        if (key !== null && !this.hosts.has(key)) this.hosts.set(key, f[1]!);
      }
    }
    return this.hosts;
  }

  /** Host name of an address (network byte order, at `off`), from the hosts file or DNS. */
  host(addr: Uint8Array, off: number, family: 4 | 6): string | null {
    const text = family === 4 ? ipv4Text(addr, off) : ipv6Text(addr, off);
    const name = this.hostsMap().get(text) ?? this.dns.get(text);
    if (name === undefined) this.onMiss?.(text);
    return name ?? null;
  }

  /**
   * Name of an IPv4-mapped IPv6 address: glibc's getnameinfo asks DNS for the IPv4 address but
   * finds no /etc/hosts entry for it (the files backend compares the IPv6 form).
   */
  mappedHost(addr: Uint8Array, off: number): string | null {
    const text = ipv4Text(addr, off + 12);
    const name = this.dns.get(text);
    if (name === undefined) this.onMiss?.(text);
    return name ?? null;
  }

  /** /etc/networks name of an IPv4 network number (e.g. 127.0.0.0 -> loopback). */
  network(addr: Uint8Array, off: number): string | null {
    if (!this.networks) {
      this.networks = new Map();
      for (const line of readLines(this.opts.networksFile ?? '/etc/networks')) {
        const f = fields(line);
        if (f.length < 2) continue;
        const parts = f[1]!.split('.');
        if (parts.length > 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) continue;
        // "127" means 127.0.0.0 and "169.254" means 169.254.0.0: trailing parts are zero.
        while (parts.length < 4) parts.push('0');
        const key = parts.map(Number).join('.');
        if (!this.networks.has(key)) this.networks.set(key, f[0]!);
      }
    }
    return this.networks.get(ipv4Text(addr, off)) ?? null;
  }

  /** /etc/services name of a port for tcp or udp. */
  service(port: number, proto: 'tcp' | 'udp'): string | null {
    if (!this.services) {
      this.services = new Map();
      for (const line of readLines(this.opts.servicesFile ?? '/etc/services')) {
        const f = fields(line);
        const m = f[1]?.match(/^(\d+)\/(\w+)$/);
        if (!m) continue;
        const key = `${Number(m[1])}/${m[2]}`;
        if (!this.services.has(key)) this.services.set(key, f[0]!);
      }
    }
    return this.services.get(`${port}/${proto}`) ?? null;
  }

  /** /etc/protocols name of an IP protocol number (raw sockets' "port"). */
  protocol(num: number): string | null {
    if (!this.protocols) {
      this.protocols = new Map();
      for (const line of readLines(this.opts.protocolsFile ?? '/etc/protocols')) {
        const f = fields(line);
        if (f.length < 2 || !/^\d+$/.test(f[1]!)) continue;
        const n = Number(f[1]);
        if (!this.protocols.has(n)) this.protocols.set(n, f[0]!);
      }
    }
    return this.protocols.get(num) ?? null;
  }
}

/** The numeric text our formatters produce for an address written in a hosts file, or null. */
export function canonicalAddress(text: string): string | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const a = parseAddress(text);
    return a ? ipv4Text(a.addr, 0) : null;
  }
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes ? ipv6Text(bytes, 0) : null;
  }
  return null;
}

/** An IPv6 address (a zone after `%` is dropped) as 16 bytes, or null. */
export function parseIpv6(text: string): Uint8Array | null {
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  const a = text.includes(':') ? parseAddress(text) : null;
  return a && a.family === 6 ? a.addr : null;
}

/**
 * The port of an /etc/services name or alias (its tcp entry first, as ss's getservbyname(name, "tcp")),
 * or null.
 */
export function servicePort(name: string, servicesFile = '/etc/services'): number | null {
  let other: number | null = null;
  for (const line of readLines(servicesFile)) {
    const f = fields(line);
    const m = f[1]?.match(/^(\d+)\/(\w+)$/);
    if (!m || (f[0] !== name && !f.slice(2).includes(name))) continue;
    if (m[2] === 'tcp') return Number(m[1]);
    other ??= Number(m[1]);
  }
  return other;
}
