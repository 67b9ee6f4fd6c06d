// Why a /proc/net line was skipped. The numbers cross the native boundary and are turned into
// text by PROBLEM_REASONS in src/model/contract.ts, so they must stay equal to the keys there.
#ifndef NETSNAP_PROBLEMS_H_
#define NETSNAP_PROBLEMS_H_

#include <cstdint>

namespace netsnap {
namespace problem {

// /proc/net/{tcp,udp,udplite,raw}{,6}
constexpr uint32_t kInetTooFewFields = 1;
constexpr uint32_t kInetBadSlot = 2;
constexpr uint32_t kInetBadLocal = 3;
constexpr uint32_t kInetBadRemote = 4;
constexpr uint32_t kInetFamilyMismatch = 5;
constexpr uint32_t kInetBadState = 6;
constexpr uint32_t kInetBadQueues = 7;
constexpr uint32_t kInetBadTimer = 8;
constexpr uint32_t kInetBadRetransmits = 9;
constexpr uint32_t kInetBadUid = 10;
constexpr uint32_t kInetBadTimeout = 11;
constexpr uint32_t kInetBadInode = 12;
constexpr uint32_t kInetBadDrops = 13;
// The kernel ends every line with '\n': a last line without one was cut (a short read, a
// damaged copy) and any of its fields may be cut mid-value, so it is never turned into a row.
constexpr uint32_t kInetCutOff = 14;
// Longer than kInetLineMax / kUnixLineMax (lines.h): skipped without being held whole.
constexpr uint32_t kInetTooLong = 15;

// A netlink dump: a socket listed a second time (inet_diag resumes a dump by its position in a hash
// bucket, so a socket inserted or removed meanwhile can shift another into a second listing). The
// "line" is the record's number in the dump; the second listing is dropped.
constexpr uint32_t kNetlinkDuplicate = 16;

// /proc/net/unix
constexpr uint32_t kUnixTooFewFields = 20;
constexpr uint32_t kUnixBadNum = 21;
constexpr uint32_t kUnixBadRefCount = 22;
constexpr uint32_t kUnixBadProtocol = 23;
constexpr uint32_t kUnixBadFlags = 24;
constexpr uint32_t kUnixBadType = 25;
constexpr uint32_t kUnixBadState = 26;
constexpr uint32_t kUnixBadInode = 27;
constexpr uint32_t kUnixCutOff = 28;
constexpr uint32_t kUnixTooLong = 29;

}  // namespace problem
}  // namespace netsnap

#endif  // NETSNAP_PROBLEMS_H_
