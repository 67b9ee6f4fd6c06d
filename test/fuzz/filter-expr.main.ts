// The filter expression fuzzer's driver (scripts/fuzz-filter-expr.sh builds and runs it; test/FUZZING.md):
//
//   fuzz-filter-expr [--seconds N] [--seed S] [--robustness N] [--meaning N] [--out DIR]
//
// Runs test/fuzz/filter-expr.ts until N seconds have passed or both counts are done (default: 60 s,
// no count limit), prints a progress line a minute and a final `fuzz: filter-expr ...` line, and
// writes every finding (seed, index, text, detail) to DIR/findings.json. Exit status 1 on a finding.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFilterFuzz } from './filter-expr';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '60'));
  const seed = Number(arg('seed', String(Date.now() % 2 ** 31)));
  const robustness = Number(arg('robustness', String(Number.MAX_SAFE_INTEGER)));
  const meaning = Number(arg('meaning', String(Number.MAX_SAFE_INTEGER)));
  const out = arg('out', 'build/fuzz-ts');
  for (const [k, v] of Object.entries({ seconds, seed, robustness, meaning })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} takes a whole number, got ${v}`);
  }
  fs.mkdirSync(out, { recursive: true });
  const progressFile = path.join(out, 'progress.json');
  let lastLine = 0;
  console.log(`fuzz: filter-expr seed=${seed} for ${seconds}s`);
  const stats = await runFilterFuzz({
    seed, robustness, meaning, seconds,
    progress(s, part, index) {
      // The next input of each part is known from the seed and its index, so a hang can be made again.
      fs.writeFileSync(progressFile, JSON.stringify({ seed, part, index, stats: s }));
      if (Date.now() - lastLine >= 60_000) {
        lastLine = Date.now();
        console.log(`fuzz: ${Math.round(s.seconds)}s meaning=${s.meaning.expressions} robustness=${s.robustness.inputs} findings=${s.findings.length}`);
      }
    },
  });
  fs.writeFileSync(path.join(out, 'findings.json'), `${JSON.stringify(stats.findings, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'stats.json'), `${JSON.stringify({ ...stats, findings: stats.findings.length }, null, 1)}\n`);
  const m = stats.meaning;
  const r = stats.robustness;
  const rate = (n: number): number => Math.round(n / Math.max(stats.seconds, 0.001));
  console.log(`fuzz: meaning expressions=${m.expressions} compiled=${m.compiled} kernel-programs=${m.kernelPrograms} kernel-accepted=${m.kernelAccepted} ` +
    `owners=${m.withOwners} tcp_info=${m.withInfo} refused-mixes=${m.refusedMixes} compared=${m.compared} mismatches=${m.mismatches} distinct-row-counts=${m.distinctKeptCounts}`);
  console.log(`fuzz: robustness inputs=${r.inputs} compiled=${r.compiled} refused=${r.refused} kernel-programs=${r.kernelPrograms} kernel-accepted=${r.kernelAccepted} slowest=${r.slowestMs}ms`);
  for (const f of stats.findings.slice(0, 20)) console.log(`fuzz: FINDING ${f.kind} seed=${f.seed} index=${f.index} ${JSON.stringify(f.text.slice(0, 200))}${f.text.length > 200 ? `…(${f.text.length})` : ''}: ${f.detail}`);
  console.log(`fuzz: filter-expr seed=${seed} seconds=${Math.round(stats.seconds)} execs=${m.expressions + r.inputs} exec/s=${rate(m.expressions + r.inputs)} meaning=${m.expressions} (${rate(m.expressions)}/s) robustness=${r.inputs} (${rate(r.inputs)}/s) findings=${stats.findings.length}`);
  process.exitCode = stats.findings.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
