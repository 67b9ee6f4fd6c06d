import * as path from 'node:path';
import { getBackend } from '../../src/backends/select';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const BASIC = path.join(FIXTURES, 'basic', 'proc');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** The backend this project run is for (NETSNAP_BACKEND is set per vitest project). */
export const backend = getBackend();
