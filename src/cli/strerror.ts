// glibc's strerror() texts, for messages that copy netstat's perror() output.

/** glibc's strerror() texts for what opening or reading a /proc file can run into. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOMEM: 'Cannot allocate memory',
  EIO: 'Input/output error',
  EINVAL: 'Invalid argument',
  ENXIO: 'No such device or address',
  ENODEV: 'No such device',
};

export function strerror(code: string): string {
  return STRERROR[code] ?? code;
}
