// The target of a /proc/PID/fd/N link: `socket:[INODE]` (or `[0000]:INODE` on very old kernels).
import { INODE_MAX, parseDec } from './scan';

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
