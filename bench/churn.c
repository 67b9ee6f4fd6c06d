// Connection churn for bench/top.mjs: opens and closes short TCP connections on loopback as fast as
// it can (or at a given rate), so that the kernel announces two TCP destroy events per connection
// (the connecting end and the accepted end).
//
//   churn SECONDS [rate CONN_PER_SEC] [rst] [v6]
//
// One process, one listener on 127.0.0.1 (::1 with v6) port 0; each round: a blocking connect()
// (the handshake completes in the kernel on loopback), accept(), close() of the connecting end,
// then of the accepted end (a FIN each; `rst` closes the connecting end with SO_LINGER 0 instead,
// so that nothing enters TIME_WAIT where the namespace keeps TIME_WAIT buckets). With `rate` the
// rounds are paced on a 1 ms grid. Prints `done CONNECTIONS SECONDS ERRORS` on stdout at the end
// (SECONDS: the time the rounds took, measured here). Errors (EADDRNOTAVAIL when ephemeral ports
// run out, EMFILE …) are counted, the first one printed on stderr; more than 1,000 end the run.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: churn SECONDS [rate CONN_PER_SEC] [rst] [v6]\n");
    return 64;
  }
  const double seconds = atof(argv[1]);
  double rate = 0;
  int rst = 0, v6 = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "rate") == 0 && i + 1 < argc) rate = atof(argv[++i]);
    else if (strcmp(argv[i], "rst") == 0) rst = 1;
    else if (strcmp(argv[i], "v6") == 0) v6 = 1;
    else {
      fprintf(stderr, "churn: unknown argument %s\n", argv[i]);
      return 64;
    }
  }
  if (!(seconds > 0) || seconds > 3600 || rate < 0) {
    fprintf(stderr, "churn: SECONDS in (0, 3600], rate >= 0\n");
    return 64;
  }
  const int fam = v6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage addr;
  socklen_t alen;
  memset(&addr, 0, sizeof addr);
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    alen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&addr;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof *a;
  }
  const int ls = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls < 0 || bind(ls, (struct sockaddr *)&addr, alen) != 0 || listen(ls, 1024) != 0 ||
      getsockname(ls, (struct sockaddr *)&addr, &alen) != 0) {
    perror("churn: listener");
    return 2;
  }
  const struct linger hard = {1, 0};
  long conns = 0, errors = 0;
  const double t0 = now();
  double t = t0;
  const double end = t0 + seconds;
  while (t < end) {
    // Rounds allowed so far (paced), or a batch of 64 (as fast as possible).
    long budget = 64;
    if (rate > 0) {
      budget = (long)((t - t0) * rate) - conns;
      if (budget <= 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        t = now();
        continue;
      }
    }
    for (long k = 0; k < budget; k++) {
      const int c = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c < 0 || connect(c, (struct sockaddr *)&addr, alen) != 0) {
        if (errors++ == 0) perror("churn: connect");
        if (c >= 0) close(c);
        if (errors > 1000) goto out;
        continue;
      }
      const int a = accept(ls, NULL, NULL);
      if (rst) setsockopt(c, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      close(c);
      if (a >= 0) close(a);
      else if (errors++ == 0) perror("churn: accept");
      conns++;
    }
    t = now();
  }
out:
  printf("done %ld %.3f %ld\n", conns, now() - t0, errors);
  return errors > 1000 ? 3 : 0;
}
