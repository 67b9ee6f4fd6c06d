// --json / --ndjson for the socket listing: the same tables and rows as the text listing
// (netstat's table selection and its -a / -l rules), every field of every row. Owners are always
// mapped (all of them, not only the first as in netstat's column). Shape: schema/netsnap-v1.schema.json.
import { snapshot } from '../backends/snapshot';
import type { CliOptions } from './args';
import { SILENT, type Output } from './output';
import { inetRowPredicate, internalsOptions, listingFilter, listingFormat, tableRequest, unixRowPredicate } from './listing';
import { withResolvedHosts } from '../names/dns';
import { socketsDocument, socketsJson, socketsNdjsonLines, writeJson, type JsonObject } from '../format/json';
import { parseIgmp, type GroupMembership } from '../procnet/igmp';
import { parseIgmp6 } from '../procnet/igmp6';
import { ipv4Text, ipv6Text } from '../model/address';
import { readProcText } from '../procnet/read';
import type { Names } from '../names/names';

/** -g's memberships: both families unless -4/-6 (or -A) chose; missing files give none. */
function readGroups(o: CliOptions): GroupMembership[] {
  const netDir = o.netDir ?? `${o.procRoot}/net`;
  const both = !o.inet && !o.inet6;
  const out: GroupMembership[] = [];
  const read = (f: string) => {
    const r = readProcText(`${netDir}/${f}`);
    return r.ok ? r.text : null;
  };
  const v4 = both || o.inet ? read('igmp') : null;
  if (v4 !== null) out.push(...parseIgmp(v4).groups);
  const v6 = both || o.inet6 ? read('igmp6') : null;
  if (v6 !== null) out.push(...parseIgmp6(v6).groups);
  return out;
}

function groupJson(g: GroupMembership, names: Names | null): JsonObject {
  const address = g.family === 4 ? ipv4Text(g.group, 0) : ipv6Text(g.group, 0);
  const out: JsonObject = { family: g.family, interface: g.device.trimEnd(), refCount: g.users, group: address };
  const name = names ? names.host(g.group, 0, g.family) : null;
  if (name !== null) out.name = name;
  return out;
}

export async function runListingJson(o: CliOptions, io: Output): Promise<number> {
  const { sel, protocols, families } = tableRequest(o);
  const filter = listingFilter(o);
  const f = filter === null ? {} : { filter: filter.text };
  const snap = snapshot({ protocols, families, owners: true, procRoot: o.procRoot, netDir: o.netDir ?? undefined, source: o.source, ...f, ...internalsOptions(o) });
  const fmt = listingFormat(o);
  const inetShown = inetRowPredicate(filter, fmt);
  const names = o.numericHosts && o.numericPorts ? null : (fmt.names ?? null);
  // The text listing's order: per protocol, the IPv4 file then the IPv6 one.
  const files: string[] = [];
  for (const p of sel.protos) {
    if (sel.inet) files.push(p);
    if (sel.inet6) files.push(`${p}6`);
  }
  const groups = o.groups ? readGroups(o) : null;
  const build = () =>
    socketsJson(
      snap,
      { inet: inetShown, unix: unixRowPredicate(filter, fmt) },
      { names, numericHosts: o.numericHosts, numericPorts: o.numericPorts, numericUsers: o.numericUsers },
      files,
    );
  return withResolvedHosts(o.numericHosts ? null : names, o.resolveTimeout, (dry) => {
    const sockets = build();
    const doc = socketsDocument(snap, sockets);
    if (!groups) {
      writeJson(o, dry ? SILENT : io, doc, () => socketsNdjsonLines(doc));
      return 0;
    }
    // -g: the group memberships ride along, as in the text listing.
    const list = groups.map((g) => groupJson(g, o.numericHosts ? null : names));
    writeJson(o, dry ? SILENT : io, { ...doc, groups: list }, () => [
      ...socketsNdjsonLines(doc),
      ...list.map((g) => ({ schema: 'netsnap/v1', kind: 'group', ...g })),
    ]);
    return 0;
  });
}
