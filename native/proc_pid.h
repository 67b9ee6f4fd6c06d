// One process's own files, PROCROOT/PID/{cmdline,comm,status}: what the owner scan keeps of a
// process that holds sockets (its netstat program name, comm and effective uid). Parsers only:
// they take bytes and touch no file (the owner scan reads, owners.cc), so the link fuzz harness
// runs them on their own. The port of src/owners/proc_pid.ts. Pure C++ (no Node-API).
#ifndef NETSNAP_PROC_PID_H_
#define NETSNAP_PROC_PID_H_

#include <cstddef>
#include <cstdint>

namespace netsnap {

// Limits shared with src/owners/proc_pid.ts: how much of cmdline/comm/status is used.
constexpr size_t kCmdlineMax = 4096;
constexpr size_t kCommMax = 64;
constexpr size_t kStatusMax = 8192;

// Ports of proc_pid.ts, exposed for tests and fuzzing.
// netstat's program name: argv[0], cut to its basename when it starts with '/'. Returns the
// [*start, *start + return value) range of `cmdline`.
size_t program_name(const uint8_t* cmdline, size_t len, size_t* start);
// Length of comm without its trailing newline.
size_t comm_length(const uint8_t* comm, size_t len);
// Effective uid: the second number of the first "Uid:" line; 0xffffffff if absent or bad.
uint32_t status_uid(const uint8_t* status, size_t len);

}  // namespace netsnap

#endif  // NETSNAP_PROC_PID_H_
