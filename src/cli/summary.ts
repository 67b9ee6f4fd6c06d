import type { CliOptions } from './args';
import type { Output } from './output';

export async function runSummary(o: CliOptions, io: Output): Promise<number> {
  void o;
  io.err('netsnap: --summary is not supported yet\n');
  return 1;
}
