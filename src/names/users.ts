// uid -> user name from the passwd file (the "files" source of getpwuid), loaded once.
import * as fs from 'node:fs';

const caches = new Map<string, Map<number, string>>();

function load(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || line.startsWith('#')) continue;
    const uid = f[2]!;
    if (!/^\d{1,10}$/.test(uid)) continue;
    const n = Number(uid);
    if (!names.has(n)) names.set(n, f[0]!); // getpwuid returns the first entry
  }
  return names;
}

/** The user name of `uid`, or null when the passwd file has none. */
export function userName(uid: number, passwdFile = '/etc/passwd'): string | null {
  let names = caches.get(passwdFile);
  if (!names) {
    names = load(passwdFile);
    caches.set(passwdFile, names);
  }
  return names.get(uid) ?? null;
}

/** The uid of user `name` (the passwd file's first entry of that name), or null. */
export function userUid(name: string, passwdFile = '/etc/passwd'): number | null {
  let names = caches.get(passwdFile);
  if (!names) {
    names = load(passwdFile);
    caches.set(passwdFile, names);
  }
  for (const [uid, n] of names) if (n === name) return uid;
  return null;
}
