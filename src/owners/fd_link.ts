// The target of a /proc/PID/fd/N link: `socket:[INODE]` (or `[0000]:INODE` on very old kernels).
import { INODE_MAX, parseDec } from '../bytes/scan';

const SOCKET = [115, 111, 99, 107, 101, 116, 58, 91]; // "socket:["
const OLD = [91, 48, 48, 48, 48, 93, 58]; // "[0000]:"

function startsWith(link: Uint8Array, prefix: number[]): boolean {
  if (link.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (link[i] !== prefix[i]) return false;
  return true;
}

export function parseSocketLink(link: Uint8Array): number {
  if (startsWith(link, SOCKET)) {
    if (link.length < SOCKET.length + 2 || link[link.length - 1] !== 93) return -1;
    return parseDec(link, SOCKET.length, link.length - 1, 16, INODE_MAX);
  }
  if (startsWith(link, OLD)) return parseDec(link, OLD.length, link.length, 16, INODE_MAX);
  return -1;
}

/**
 * parseSocketLink() of a link read as a latin1 string (one char per byte): the owner scan reads
 * links as strings, which costs Node less than a Buffer per fd. Same answers for the same bytes.
 * Self-contained (no name from outside but globals): the TypeScript backend's scan threads run its
 * source (backends/js/scan_threads.ts). 8 and 7 are the prefixes' lengths; the limit is INODE_MAX.
 */
export function parseSocketLinkText(link: string): number {
  let start: number;
  let end: number;
  if (link.startsWith('socket:[')) {
    if (link.length < 8 + 2 || link.charCodeAt(link.length - 1) !== 93) return -1;
    start = 8;
    end = link.length - 1;
  } else if (link.startsWith('[0000]:')) {
    start = 7;
    end = link.length;
  } else return -1;
  if (end - start < 1 || end - start > 16) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = link.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}
