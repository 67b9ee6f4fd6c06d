// Chooses the backend: native when it loads, TypeScript otherwise; NETSNAP_BACKEND=js|native forces one.
import type { Backend, BackendName } from '../model/contract';
import { NetsnapError } from '../model/errors';
import { jsBackend } from './js/index';
import { loadNative } from './native';

export type { BackendName };

export function getBackend(name?: BackendName): Backend {
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
      `the native backend was requested but could not be loaded; tried:\n  ${native.tried.join('\n  ')}\n` +
        'Build it with `npm run build:native`, or unset NETSNAP_BACKEND to use the TypeScript backend.',
    );
  }
  return jsBackend;
}

/** Name of the backend that `snapshot()` and `sample()` use by default. */
export function backendName(): BackendName {
  return getBackend().name;
}
