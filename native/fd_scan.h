// PROCROOT/[0-9]*/fd scan: which processes hold which socket inodes. Pure C++ (no Node-API):
// it runs on the libuv pool for sampleAsync.
#ifndef NETSNAP_FD_SCAN_H_
#define NETSNAP_FD_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netsnap {

// Limits shared with src/backends/js/owners.ts: how much of cmdline/comm/status is used.
constexpr size_t kCmdlineMax = 4096;
constexpr size_t kCommMax = 64;
constexpr size_t kStatusMax = 8192;

// The RawOwners of src/model.ts, column by column.
struct Owners {
  // One entry per socket fd, sorted by (inode, pid, fd).
  std::vector<double> inodes;
  std::vector<int32_t> pids;
  std::vector<int32_t> fds;
  // One record per owning process, sorted by pid.
  std::vector<int32_t> proc_pids;
  std::vector<uint32_t> proc_uids;  // 0xffffffff when unknown
  std::vector<uint32_t> name_start, name_len, comm_start, comm_len;  // into `strings`
  std::vector<uint8_t> strings;
  uint64_t pids_scanned = 0;
  uint64_t pids_vanished = 0;
  uint64_t pids_denied = 0;
  uint64_t socket_fds = 0;
};

// Scans `proc_root` with exactly the semantics of scanOwners() in owners.ts and fills `*out`
// (which must be empty). `scratch` is the caller's reusable file buffer (see file_reader.h).
// An unreadable proc_root, or one holding a NUL byte, gives an empty result, as in owners.ts.
void scan_owners(const std::string& proc_root, std::vector<uint8_t>& scratch, Owners* out);

// Helpers of scan_owners, exposed for tests and fuzzing; ports of owners.ts.
// netstat's program name: argv[0], cut to its basename when it starts with '/'. Returns the
// [*start, *start + return value) range of `cmdline`.
size_t program_name(const uint8_t* cmdline, size_t len, size_t* start);
// Length of comm without its trailing newline.
size_t comm_length(const uint8_t* comm, size_t len);
// Effective uid: the second number of the first "Uid:" line; 0xffffffff if absent or bad.
uint32_t status_uid(const uint8_t* status, size_t len);

}  // namespace netsnap

#endif  // NETSNAP_FD_SCAN_H_
