import type { CliOptions } from './args';
import type { Output } from './output';

export async function runBaseline(o: CliOptions, io: Output): Promise<number> {
  void o;
  io.err('netsnap: --save-baseline/--compare is not supported yet\n');
  return 1;
}
