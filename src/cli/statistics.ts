import type { CliOptions } from './args';
import type { Output } from './output';

export function runStatistics(o: CliOptions, io: Output): number {
  void o;
  io.err('netsnap: -s (statistics) is not supported yet\n');
  return 1;
}
