import type { CliOptions } from './args';
import type { Output } from './output';

/** Runs `run` in the network namespace(s) --netns/--pid/--all-netns ask for. */
export async function runNamespaced(o: CliOptions, io: Output, run: (o: CliOptions, io: Output) => Promise<number>): Promise<number> {
  void run;
  void o;
  io.err('netsnap: --netns/--pid/--all-netns are not supported yet\n');
  return 1;
}
