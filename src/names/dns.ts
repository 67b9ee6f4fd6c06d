// Reverse DNS for non-numeric listings, bounded in time. netstat calls gethostbyaddr once per
// address, serially, and hangs for the resolver's timeout on each; we ask for all addresses at
// once and stop waiting when the budget is spent: what did not resolve prints numerically.
import * as dns from 'node:dns';
import type { Names } from './names';

export async function prefetchHosts(names: Names, addresses: Iterable<string>, budgetSeconds: number): Promise<void> {
  const todo = [...new Set(addresses)].filter((a) => !names.dns.has(a));
  if (todo.length === 0 || budgetSeconds <= 0) return;
  const budgetMs = Math.max(1, Math.round(budgetSeconds * 1000));
  const resolver = new dns.promises.Resolver({ timeout: budgetMs, tries: 1 });
  let open = true;
  const lookups = Promise.all(
    todo.map(async (address) => {
      let name: string | null = null;
      try {
        name = (await resolver.reverse(address))[0] ?? null;
      } catch {
        // NXDOMAIN, refused, timeout, cancelled: no name
      }
      if (open) names.dns.set(address, name);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, budgetMs);
  });
  await Promise.race([lookups, budget]);
  open = false;
  clearTimeout(timer);
  resolver.cancel();
}
