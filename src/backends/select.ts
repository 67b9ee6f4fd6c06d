// Chooses the backend: native when it loads, TypeScript otherwise; NETSNAP_BACKEND=js|native forces one.
import type { Backend, BackendName } from '../model/contract';
import { NetsnapError } from '../model/errors';
import { jsBackend } from './js/index';
import { loadNative } from './native';

export type { BackendName };

/** Linux only: elsewhere there is no /proc/net and no netlink (the package installs and its types import). */
export function checkPlatform(platform: string = process.platform): void {
  if (platform !== 'linux') {
    throw new NetsnapError('ERR_UNSUPPORTED_PLATFORM', `netsnap reads Linux /proc and netlink; this is ${platform}`);
  }
}

export function getBackend(name?: BackendName): Backend {
  checkPlatform();
  const source = process.env.NETSNAP_OWNER_SOURCE ?? '';
  if (source !== '' && source !== 'auto' && source !== 'bpf' && source !== 'proc') {
    throw new NetsnapError('ERR_BAD_BACKEND', `NETSNAP_OWNER_SOURCE must be "auto", "bpf" or "proc", not ${JSON.stringify(source)}`);
  }
  const wanted = name ?? process.env.NETSNAP_BACKEND ?? '';
  if (wanted === 'js') return jsBackend;
  if (wanted !== '' && wanted !== 'native') {
    throw new NetsnapError('ERR_BAD_BACKEND', `NETSNAP_BACKEND must be "js" or "native", not ${JSON.stringify(wanted)}`);
  }
  const native = loadNative();
  if (native.ok) return native.backend;
  if (wanted === 'native') {
    throw new NetsnapError(
      'ERR_NATIVE_UNAVAILABLE',
      `the native backend was requested but could not be loaded (${native.reason})` +
        (native.tried.length > 0 ? `; tried:\n  ${native.tried.join('\n  ')}\n` : '\n') +
        'Build it with `npm run build:native`, or unset NETSNAP_BACKEND to use the TypeScript backend.',
    );
  }
  return jsBackend;
}

/** Name of the backend that `snapshot()` and `sample()` use by default. */
export function backendName(): BackendName {
  return getBackend().name;
}

/**
 * The backend in use and why, as `netsnap --version` prints it: `native (prebuild
 * prebuilds/linux-x64/netsnap.glibc.node)`, `js (no prebuild for linux-riscv64, not built)`.
 */
export function backendDescription(): string {
  if (process.platform !== 'linux') return `none (netsnap reads Linux /proc and netlink; this is ${process.platform})`;
  const wanted = process.env.NETSNAP_BACKEND ?? '';
  if (wanted === 'js') return 'js (NETSNAP_BACKEND=js)';
  const native = loadNative();
  if (native.ok) return `native (${native.reason})`;
  return wanted === 'native' ? `none (NETSNAP_BACKEND=native: ${native.reason})` : `js (${native.reason})`;
}
