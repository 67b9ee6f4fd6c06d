// Reverse DNS for non-numeric listings, bounded in time. netstat calls gethostbyaddr once per
// address, serially, and hangs for the resolver's timeout on each; we ask for all addresses at
// once and stop waiting when the budget is spent: what did not resolve prints numerically.
import * as dns from 'node:dns';
import { parseIpv6, type Names } from './names';

function canonicalBytes(address: string): Uint8Array {
  return parseIpv6(address) ?? new Uint8Array(16);
}

/** The reverse-lookup name of an address: 4.3.2.1.in-addr.arpa, or nibbles under ip6.arpa. */
export function arpaName(address: string): string {
  if (!address.includes(':')) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const bytes = canonicalBytes(address);
  let out = '';
  for (let i = 15; i >= 0; i--) out += `${(bytes[i]! & 0xf).toString(16)}.${(bytes[i]! >> 4).toString(16)}.`;
  return `${out}ip6.arpa`;
}

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
        // A PTR query, not resolver.reverse(): c-ares would consult /etc/hosts with its own rules,
        // and the hosts file is already ours to read (glibc's rules, see Names).
        name = (await resolver.resolvePtr(arpaName(address)))[0] ?? null;
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

/**
 * Renders once into the void to learn which addresses need DNS, resolves them within the
 * budget, then renders for real. Rendering only reads /proc and formats, so doing it twice is
 * cheap next to a DNS round trip, and every mode gets resolution without knowing its addresses.
 */
export async function withResolvedHosts<T>(names: Names | null, budgetSeconds: number, render: (silent: boolean) => T): Promise<T> {
  if (names) {
    const misses = new Set<string>();
    names.onMiss = (address) => misses.add(address);
    try {
      render(true);
    } finally {
      names.onMiss = undefined;
    }
    await prefetchHosts(names, misses, budgetSeconds);
  }
  return render(false);
}
