import type { CliOptions } from './args';
import type { Output } from './output';

export function runRoutes(o: CliOptions, io: Output, first: boolean): number {
  void o;
  io.err('netsnap: -r (routing table) is not supported yet\n');
  return 1;
}
