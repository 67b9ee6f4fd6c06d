import type { CliOptions } from './args';
import type { Output } from './output';

/** Prints the multicast group table (-g); returns netstat's status. */
export function printGroups(o: CliOptions, io: Output): number {
  void o;
  io.err('netsnap: -g (multicast groups) is not supported yet\n');
  return 1;
}
