// The cost of just getting the text: read /proc/net/tcp and tcp6 completely (large buffer), count lines.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long count_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { perror(path); exit(1); }
  long lines = 0;
  for (;;) {
    ssize_t n = read(fd, buf, size);
    if (n < 0) { perror(path); exit(1); }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
  }
  close(fd);
  return lines - 1; /* the header */
}

int main(void) {
  size_t size = 1 << 20;
  char *buf = malloc(size);
  if (!buf) return 1;
  long n = count_file("/proc/net/tcp", buf, size) + count_file("/proc/net/tcp6", buf, size);
  printf("%ld\n", n);
  return 0;
}
