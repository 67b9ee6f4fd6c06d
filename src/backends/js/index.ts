// The TypeScript backend: the same exports as the native addon, function for function.
import type { Backend } from '../../model/contract';
import { parseSocketLink } from '../../owners/fd_link';
import { parseInet } from './net_inet';
import { parseUnix } from './net_unix';
import { scanOwners } from './owners';
import { readProcFile } from './read';
import { sample, sampleAsync } from './sample';

export const jsBackend: Backend = {
  name: 'js',
  parseInet,
  parseUnix,
  parseSocketLink,
  readProcFile,
  scanOwners,
  sample,
  sampleAsync,
};
