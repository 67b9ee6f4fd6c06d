import type { CliOptions } from './args';
import type { Output } from './output';

export function runInterfaces(o: CliOptions, io: Output, first: boolean): number {
  void o;
  io.err('netsnap: -i (interface table) is not supported yet\n');
  return 1;
}
