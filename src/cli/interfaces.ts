// netstat -i / -ia / -ie: reads what netstat gets from /proc/net/dev and its ioctls, then prints
// with format/interfaces. netstat asks the kernel with SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFHWADDR,
// SIOCGIFTXQLEN (we read the same values from /sys/class/net/<dev>/) and SIOCGIFCONF/SIOCGIFADDR
// (IPv4 labels and addresses, which neither /proc nor /sys carry; see liveIpv4).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliOptions } from './args';
import { escapedOutput, type Output } from './output';
import { strerror } from './strerror';
import { TABLE_HEADER, TABLE_TITLE, interfaceBlock, interfaceRow, interfaceShown } from '../format/interfaces';
import {
  baseDevice, guessIpv4Config, interfaceList, ioctlFlags, type InterfaceInfo, type Ipv4Config,
} from '../procnet/interface_list';
import { parseNetDev } from '../procnet/dev';
import { parseIfInet6, type Inet6Entry } from '../procnet/if_inet6';
import { interfaceJson, interfacesDocument, type JsonObject, writeJson } from '../format/json';
import { readProcText } from '../procnet/read';

/**
 * Where sysfs is for a given proc root: its sibling directory `sys`. `/proc` gives `/sys`,
 * `/host/proc` gives `/host/sys`, and a fixture `fixtures/ifaces/proc` gives
 * `fixtures/ifaces/sys`, so a fixture tree holds both. /sys/class/net shows the network
 * namespace sysfs was mounted in, not necessarily the reader's (`ip netns exec` remounts it).
 */
export function sysRootFor(procRoot: string): string {
  return path.join(path.dirname(path.resolve(procRoot)), 'sys');
}

/** Whether procRoot is this process's own /proc, so the kernel may be asked directly too. */
function isLiveProc(procRoot: string): boolean {
  return path.resolve(procRoot) === '/proc';
}

/**
 * IPv4 labels and their first address, from getifaddrs() through os.networkInterfaces(): the
 * nearest thing to SIOCGIFCONF Node offers. Its limits, which netstat's ioctls do not have:
 * libuv lists only devices that are UP and RUNNING, so alias rows and `inet` lines of other
 * devices are missing; and the broadcast and point-to-point peer are guesses (guessIpv4Config).
 * Only used for the live /proc: with another root there is no way to ask that system's kernel.
 */
function liveIpv4(): Map<string, Ipv4Config> {
  const out = new Map<string, Ipv4Config>();
  let all: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  try {
    all = os.networkInterfaces();
  } catch {
    return out; // uv_interface_addresses failed (a sandbox without netlink): as if no IPv4 at all
  }
  for (const [label, addrs] of Object.entries(all)) {
    // Node 18.0-18.3 gave family as the number 4.
    const v4 = addrs?.find((a) => a.family === 'IPv4' || (a.family as unknown) === 4);
    const config = v4 ? guessIpv4Config(v4.address, v4.netmask) : null;
    if (config) out.set(label, config);
  }
  return out;
}

type Link = Omit<InterfaceInfo, 'name' | 'stats' | 'ipv4'>;

function sysInt(dir: string, file: string, radix: 10 | 16): number | null {
  const r = readProcText(`${dir}/${file}`);
  if (!r.ok) return null;
  const t = r.text.trim();
  const valid = radix === 16 ? /^(0x)?[0-9a-fA-F]+$/.test(t) : /^-?\d+$/.test(t);
  return valid ? parseInt(t, radix) : null;
}

/** `aa:bb:cc:…` as SIOCGIFHWADDR leaves it in netstat's buffer: 8 bytes kept, the rest zero. */
function hwAddress(text: string | null): Uint8Array {
  const bytes = new Uint8Array(16);
  if (text === null) return bytes;
  const parts = text.trim().split(':').filter((p) => p !== '');
  for (let i = 0; i < Math.min(parts.length, 8); i++) bytes[i] = parseInt(parts[i]!, 16) & 255;
  return bytes;
}

/**
 * What netstat's if_fetch() learns about a device, from /sys/class/net/<dev>/. As with the
 * ioctls, only the flags are required: an unreadable flags file is the "Device not found" of a
 * device that vanished; other missing files give netstat's fallbacks (mtu 0, no txqueuelen).
 */
function readLink(sysRoot: string, dev: string): { ok: true; link: Link } | { ok: false; code: string } {
  const dir = `${sysRoot}/class/net/${dev}`;
  const flagsFile = readProcText(`${dir}/flags`);
  if (!flagsFile.ok) return { ok: false, code: flagsFile.code === 'ENOENT' ? 'ENODEV' : flagsFile.code };
  const devFlags = /^\s*(0x)?[0-9a-fA-F]+\s*$/.test(flagsFile.text) ? parseInt(flagsFile.text.trim(), 16) : NaN;
  if (Number.isNaN(devFlags)) return { ok: false, code: 'EINVAL' };
  const operstate = readProcText(`${dir}/operstate`);
  const carrier = readProcText(`${dir}/carrier`);
  const address = readProcText(`${dir}/address`);
  const flags = ioctlFlags({
    devFlags,
    operstate: operstate.ok ? operstate.text.trim() : null,
    carrier: carrier.ok ? carrier.text.trim() === '1' : null,
    bridgePort: fs.existsSync(`${dir}/brport`),
  });
  return {
    ok: true,
    link: {
      flags,
      mtu: sysInt(dir, 'mtu', 10) ?? 0,
      hwType: sysInt(dir, 'type', 10) ?? -1,
      hwAddress: hwAddress(address.ok ? address.text : null),
      txQueueLen: sysInt(dir, 'tx_queue_len', 10),
    },
  };
}

/**
 * One round of netstat's iface_info(): the title (only on the first round of -c), the column
 * line (table form only), then a row or block per interface in nstrcmp order.
 */
export function runInterfaces(o: CliOptions, shown: Output, first: boolean): number {
  if (o.format !== 'text') return runInterfacesJson(o, shown);
  const io = escapedOutput(shown);
  const long = o.extend > 0;
  let out = first ? TABLE_TITLE : '';
  if (!long) out += TABLE_HEADER;

  const devPath = `${o.procRoot}/net/dev`;
  const dev = readProcText(devPath);
  if (!dev.ok) io.err(`Warning: cannot open ${devPath} (${strerror(dev.code)}). Limited output.\n`);
  const ipv4 = isLiveProc(o.procRoot) ? liveIpv4() : new Map<string, Ipv4Config>();
  const list = interfaceList(dev.ok ? parseNetDev(dev.text) : [], [...ipv4.keys()]);

  let inet6: Inet6Entry[] = [];
  if (long) {
    const f = readProcText(`${o.procRoot}/net/if_inet6`);
    if (f.ok) inet6 = parseIfInet6(f.text);
  }

  const sysRoot = sysRootFor(o.procRoot);
  for (const item of list) {
    const r = readLink(sysRoot, baseDevice(item.name));
    if (!r.ok) {
      // netstat stops at the first device it cannot fetch and exits 1 after perror().
      io.out(out);
      const why = r.code === 'ENODEV' ? 'Device not found' : strerror(r.code);
      io.err(`${item.name}: error fetching interface information: ${why}\n`);
      io.err(`missing interface information: ${strerror(r.code)}\n`);
      return 1;
    }
    const info: InterfaceInfo = { name: item.name, ...r.link, stats: item.stats, ipv4: ipv4.get(item.name) ?? null };
    if (!interfaceShown(info, o.all)) continue;
    out += long ? interfaceBlock(info, inet6) : interfaceRow(info);
  }
  io.out(out);
  return 0;
}

/**
 * --json / --ndjson of -i: the rows the text would list (UP only unless -a), every field, IPv6
 * addresses always included. A device that cannot be fetched (it vanished) is an entry of
 * `errors`, and the list goes on instead of stopping as netstat does.
 */
function runInterfacesJson(o: CliOptions, io: Output): number {
  const devPath = `${o.procRoot}/net/dev`;
  const dev = readProcText(devPath);
  const errors: JsonObject[] = [];
  if (!dev.ok) errors.push({ file: devPath, name: null, code: dev.code });
  const ipv4 = isLiveProc(o.procRoot) ? liveIpv4() : new Map<string, Ipv4Config>();
  const list = interfaceList(dev.ok ? parseNetDev(dev.text) : [], [...ipv4.keys()]);
  const f = readProcText(`${o.procRoot}/net/if_inet6`);
  const inet6: Inet6Entry[] = f.ok ? parseIfInet6(f.text) : [];
  const sysRoot = sysRootFor(o.procRoot);
  const interfaces: JsonObject[] = [];
  for (const item of list) {
    const r = readLink(sysRoot, baseDevice(item.name));
    if (!r.ok) {
      errors.push({ file: null, name: item.name, code: r.code });
      continue;
    }
    const info: InterfaceInfo = { name: item.name, ...r.link, stats: item.stats, ipv4: ipv4.get(item.name) ?? null };
    if (interfaceShown(info, o.all)) interfaces.push(interfaceJson(info, inet6));
  }
  const doc = interfacesDocument(o.procRoot, interfaces, errors);
  writeJson(o, io, doc, () => [
    ...interfaces.map((i) => ({ schema: 'netsnap/v1', kind: 'interface', ...i })),
    ...errors.map((e) => ({ schema: 'netsnap/v1', kind: 'interfaceError', ...e })),
  ]);
  return 0;
}
