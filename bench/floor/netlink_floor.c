// NETLINK_SOCK_DIAG inet_diag dump of TCP (AF_INET then AF_INET6), all states, big receive buffer:
// count records.
//   netlink_floor        the plain dump (what the netlink source asks without extensions)
//   netlink_floor ext    asking INET_DIAG_INFO, INET_DIAG_CONG and INET_DIAG_SKMEMINFO too, as the
//                        netlink source does with extensions 3 (tcp_info and socket memory)
//   netlink_floor bc HEX the plain dump with INET_DIAG_REQ_BYTECODE (HEX: the program's bytes, as
//                        netsnap's compileFilter(expr).request.bytecode), as ss sends a filter
//   ... states MASK      idiag_states MASK (default 0xffffffff, as netsnap asks without a state filter);
//                        0x1fff is every state /proc shows (ss's "all"): without bit 13
//                        (TCP_BOUND_INACTIVE, Linux 6.8+) the kernel does not walk the bind hash
// The words combine: `netlink_floor bc 0208… states 0x1fff`.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static long dump(int family, unsigned char ext, unsigned int states, const unsigned char *bc, size_t bclen, char *buf,
                 size_t size) {
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
  struct rtattr rta = {.rta_len = RTA_LENGTH(bclen), .rta_type = INET_DIAG_REQ_BYTECODE};
  struct iovec iov[3] = {{&msg, sizeof msg}, {&rta, sizeof rta}, {(void *)bc, bclen}};
  if (bclen > 0) msg.nlh.nlmsg_len += RTA_LENGTH(bclen);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = 1;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = states;
  msg.req.idiag_ext = ext;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = iov, .msg_iovlen = bclen > 0 ? 3 : 1};
  if (sendmsg(fd, &mh, 0) < 0) { perror("sendmsg"); exit(1); }
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
  unsigned int states = ~0u;
  unsigned char bc[4096];
  size_t bclen = 0;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "ext") == 0) {
      ext = 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) | 1 << (INET_DIAG_SKMEMINFO - 1);
    } else if (strcmp(argv[a], "bc") == 0 && a + 1 < argc) {
      const char *hex = argv[++a];
      size_t len = strlen(hex);
      if (len == 0 || len % 2 || len / 2 > sizeof bc) { fprintf(stderr, "netlink_floor: bad bytecode hex\n"); return 2; }
      for (size_t i = 0; i < len / 2; i++) {
        unsigned int b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) { fprintf(stderr, "netlink_floor: bad bytecode hex\n"); return 2; }
        bc[i] = (unsigned char)b;
      }
      bclen = len / 2;
    } else if (strcmp(argv[a], "states") == 0 && a + 1 < argc) {
      char *end;
      states = (unsigned int)strtoul(argv[++a], &end, 0);
      if (*end != '\0') { fprintf(stderr, "netlink_floor: bad state mask\n"); return 2; }
    } else {
      fprintf(stderr, "usage: netlink_floor [ext] [bc HEX] [states MASK]\n");
      return 2;
    }
  }
  size_t size = 1 << 20;
  char *buf = malloc(size);
  if (!buf) return 1;
  long n = dump(AF_INET, ext, states, bc, bclen, buf, size) + dump(AF_INET6, ext, states, bc, bclen, buf, size);
  printf("%ld\n", n);
  return 0;
}
