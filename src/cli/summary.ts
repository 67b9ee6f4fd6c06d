// --summary (-y): counts by protocol and state, top ports, peers and processes, and warnings.
import { snapshot } from '../backends/snapshot';
import { snapshotWarnings } from '../model/snapshot';
import { summarize, summaryText } from '../analysis/summary';
import type { CliOptions } from './args';
import { internalsOptions, listingFilter, tableRequest } from './listing';
import { shownText, utf8, type Output } from './output';
import { NetsnapError } from '../model/errors';

/** Output wants binary strings (one char per byte); ours are Unicode: send their UTF-8 bytes. */

export async function runSummary(o: CliOptions, io: Output): Promise<number> {
  const { protocols, families } = tableRequest(o);
  // The snapshot holds only the sockets that pass the filter: every part of the summary counts those.
  const filter = listingFilter(o);
  if (filter !== null && o.unix) throw new NetsnapError('ERR_USAGE', 'a filter does not choose UNIX sockets for --summary yet (list them with -x, or summarize without -x)');
  const f = filter === null ? {} : { filter: filter.text };
  const snap = snapshot({ protocols, families, owners: true, procRoot: o.procRoot, netDir: o.netDir ?? undefined, source: o.source, ...f, ...internalsOptions(o) });
  for (const w of snapshotWarnings(snap)) io.err(`netsnap: ${w}\n`);
  for (const u of snap.unreadable) {
    if (u.code !== 'ENOENT') io.err(`netsnap: ${snap.netDir}/${u.file}: ${u.code}\n`);
  }
  const s = summarize(snap, { top: o.top });
  if (o.format === 'text') io.out(utf8(summaryText(s, shownText(io))));
  else io.out(utf8(`${JSON.stringify(s, null, o.format === 'json' ? 2 : undefined)}\n`));
  return 0;
}
