// NETLINK_SOCK_DIAG inet_diag dump of TCP (AF_INET then AF_INET6), all states, big receive buffer:
// count records.
//   netlink_floor        the plain dump (what the netlink source asks without extensions)
//   netlink_floor ext    asking INET_DIAG_INFO, INET_DIAG_CONG and INET_DIAG_SKMEMINFO too, as the
//                        netlink source does with extensions 3 (tcp_info and socket memory)
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long dump(int family, unsigned char ext, char *buf, size_t size) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) { perror("socket(NETLINK_SOCK_DIAG)"); exit(1); }
  int rcv = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = 1;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  msg.req.idiag_ext = ext;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("sendto"); exit(1); }
  long records = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, size, 0);
    if (n < 0) { perror("recv"); exit(1); }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) { close(fd); return records; }
      if (h->nlmsg_type == NLMSG_ERROR) { fprintf(stderr, "netlink: error reply\n"); exit(1); }
      records++;
    }
  }
}

int main(int argc, char **argv) {
  unsigned char ext = 0;
  if (argc > 1) {
    if (strcmp(argv[1], "ext") != 0) { fprintf(stderr, "usage: netlink_floor [ext]\n"); return 2; }
    ext = 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) | 1 << (INET_DIAG_SKMEMINFO - 1);
  }
  size_t size = 1 << 20;
  char *buf = malloc(size);
  if (!buf) return 1;
  long n = dump(AF_INET, ext, buf, size) + dump(AF_INET6, ext, buf, size);
  printf("%ld\n", n);
  return 0;
}
