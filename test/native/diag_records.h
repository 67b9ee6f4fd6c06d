// SOCK_DIAG_BY_FAMILY records as the kernel writes them, for the C++ check programs of test/native/:
// an IPv4 TCP socket 127.0.0.1:sport -> 127.0.0.1:80 with the given cookie, state, inode and
// attributes, appended to a datagram's bytes.
#ifndef NETSNAP_TEST_NATIVE_DIAG_RECORDS_H_
#define NETSNAP_TEST_NATIVE_DIAG_RECORDS_H_

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

struct DiagRecord {
  uint64_t cookie = 0;
  uint16_t sport = 0;
  uint8_t state = 1;
  uint32_t inode = 0;
  uint32_t seq = 0;
  uint16_t flags = 0;
  std::vector<uint8_t> attrs;  // rtattrs, each padded to 4 bytes (add_attr)
};

[[maybe_unused]] void add_attr(std::vector<uint8_t>* attrs, uint16_t type, const void* payload, size_t len) {
  const size_t at = attrs->size();
  const uint16_t rta_len = static_cast<uint16_t>(4 + len);
  attrs->resize(at + ((4 + len + 3) & ~static_cast<size_t>(3)), 0);
  std::memcpy(attrs->data() + at, &rta_len, 2);
  std::memcpy(attrs->data() + at + 2, &type, 2);
  std::memcpy(attrs->data() + at + 4, payload, len);
}

void add_record(std::vector<uint8_t>* buf, const DiagRecord& r) {
  nlmsghdr h;
  std::memset(&h, 0, sizeof h);
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(inet_diag_msg)) + r.attrs.size());
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  h.nlmsg_flags = r.flags;
  h.nlmsg_seq = r.seq;
  inet_diag_msg m;
  std::memset(&m, 0, sizeof m);
  m.idiag_family = AF_INET;
  m.idiag_state = r.state;
  m.id.idiag_sport = htons(r.sport);
  m.id.idiag_dport = htons(80);
  m.id.idiag_src[0] = htonl(0x7f000001);
  m.id.idiag_dst[0] = htonl(0x7f000001);
  m.id.idiag_cookie[0] = static_cast<uint32_t>(r.cookie);
  m.id.idiag_cookie[1] = static_cast<uint32_t>(r.cookie >> 32);
  m.idiag_inode = r.inode;
  const size_t at = buf->size();
  buf->resize(at + NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(buf->data() + at, &h, sizeof h);
  std::memcpy(buf->data() + at + NLMSG_HDRLEN, &m, sizeof m);
  if (!r.attrs.empty()) std::memcpy(buf->data() + at + NLMSG_LENGTH(sizeof(inet_diag_msg)), r.attrs.data(), r.attrs.size());
}

}  // namespace

#endif  // NETSNAP_TEST_NATIVE_DIAG_RECORDS_H_
