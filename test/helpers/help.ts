// Reading a --help text: the options it names.

/** The options a help text names: `--long`, `-x`, and the letters of bundles like `[-vWeenNcCF]`. */
export function optionsInHelp(text: string): Set<string> {
  const found = new Set<string>();
  // ss's own options quoted in a help line ("as ss -i prints it", "ss -m's skmem") are ss's, not ours.
  const ours = text.replace(/\bss (-[-\w]+)/g, 'ss');
  for (const m of ours.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*|-[A-Za-z0-9])(?![\w-])/g)) found.add(m[1]!);
  for (const m of ours.matchAll(/\[-([A-Za-z0-9]{2,})\]/g)) for (const c of m[1]!) found.add(`-${c}`);
  return found;
}
