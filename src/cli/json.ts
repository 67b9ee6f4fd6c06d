import type { CliOptions } from './args';
import type { Output } from './output';

export async function runListingJson(o: CliOptions, io: Output): Promise<number> {
  void o;
  io.err('netsnap: --json/--ndjson is not supported yet\n');
  return 1;
}
