// --json / --ndjson for the socket listing: the same tables and rows as the text listing
// (netstat's table selection and its -a / -l rules), every field of every row. Owners are always
// mapped (all of them, not only the first as in netstat's column). Shape: schema/netsnap-v1.schema.json.
import { snapshot } from '../snapshot';
import type { Proto } from '../model';
import type { CliOptions } from './args';
import { SILENT, type Output } from './output';
import { listingFormat, selectTables } from './listing';
import { withResolvedHosts } from '../names/dns';
import { inetRowShown, unixRowShown } from '../format/netstat';
import { socketsDocument, socketsJson, socketsNdjsonLines, writeJson } from '../format/json';

export async function runListingJson(o: CliOptions, io: Output): Promise<number> {
  const sel = selectTables(o);
  const protocols: Proto[] = [...sel.protos];
  if (sel.unix) protocols.push('unix');
  const families: Array<4 | 6> = [];
  if (sel.inet) families.push(4);
  if (sel.inet6) families.push(6);
  const snap = snapshot({ protocols, families, owners: true, procRoot: o.procRoot, netDir: o.netDir ?? undefined });
  const fmt = listingFormat(o);
  const names = o.numericHosts && o.numericPorts ? null : (fmt.names ?? null);
  // The text listing's order: per protocol, the IPv4 file then the IPv6 one.
  const files: string[] = [];
  for (const p of sel.protos) {
    if (sel.inet) files.push(p);
    if (sel.inet6) files.push(`${p}6`);
  }
  const build = () =>
    socketsJson(
      snap,
      { inet: (t, i) => inetRowShown(t, i, fmt), unix: (t, i) => unixRowShown(t, i, fmt) },
      { names, numericHosts: o.numericHosts, numericPorts: o.numericPorts, numericUsers: o.numericUsers },
      files,
    );
  return withResolvedHosts(o.numericHosts ? null : names, o.resolveTimeout, (dry) => {
    const sockets = build();
    const doc = socketsDocument(snap, sockets);
    writeJson(o, dry ? SILENT : io, doc, () => socketsNdjsonLines(doc));
    return 0;
  });
}
