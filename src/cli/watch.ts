import type { CliOptions } from './args';
import type { Output } from './output';

export async function runWatch(o: CliOptions, io: Output): Promise<number> {
  void o;
  io.err('netsnap: --watch is not supported yet\n');
  return 1;
}
