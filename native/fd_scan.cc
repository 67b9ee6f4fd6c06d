#include "fd_scan.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file_reader.h"
#include "scan.h"
#include "socket_link.h"

namespace netsnap {
namespace {

constexpr uint64_t kPidMax = 0x7fffffff;
constexpr uint32_t kUnknownUid = 0xffffffff;

// A directory entry name that passed is_small_number(): at most 10 digits, kept as text to
// build paths from.
struct NumberName {
  char text[11];
  int32_t value;
};

// isPidName()/isFdName() of owners.ts: 1..10 decimal digits, no leading zero (the kernel never
// writes one, and "007" would name pid 7 twice), value <= 0x7fffffff.
bool is_small_number(const char* name, size_t len, NumberName* out) {
  if (len == 0 || len > 10 || (name[0] == '0' && len > 1)) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kPidMax) return false;
  std::memcpy(out->text, name, len);
  out->text[len] = '\0';
  out->value = static_cast<int32_t>(v);
  return true;
}

// Offsets in a getdents64 record (struct linux_dirent64): u64 d_ino, s64 d_off, u16 d_reclen,
// u8 d_type, then the NUL-terminated name.
constexpr size_t kReclenOffset = 16;
constexpr size_t kNameOffset = 19;

// Calls on_name(name, length) for every entry of the open directory `dir_fd`. Returns 0 or
// the errno that stopped the listing; names already delivered then belong to an incomplete
// listing, which callers discard (Node's readdirSync throws away everything in that case).
// `buf` is the caller's reusable record buffer and must not be empty.
template <typename OnName>
int for_each_name(int dir_fd, std::vector<uint8_t>& buf, OnName&& on_name) {
  for (;;) {
    const long n = syscall(SYS_getdents64, dir_fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    const size_t got = static_cast<size_t>(n);
    if (got > buf.size()) return EIO;  // the kernel never does this; do not trust it either
    size_t off = 0;
    while (off < got) {
      if (got - off < kNameOffset) return EIO;
      uint16_t reclen;
      std::memcpy(&reclen, buf.data() + off + kReclenOffset, sizeof reclen);
      if (reclen <= kNameOffset || reclen > got - off) return EIO;
      const char* name = reinterpret_cast<const char*>(buf.data() + off + kNameOffset);
      on_name(name, strnlen(name, reclen - kNameOffset));
      off += reclen;
    }
  }
}

bool is_denied(int err) { return err == EACCES || err == EPERM; }

struct Found {
  double inode;
  int32_t pid;
  int32_t fd;
};

// First `max` bytes of dir_fd/path, read whole like head() in owners.ts so that a file that
// fails part-way gives nothing rather than a prefix. Empty when unreadable.
size_t head(int dir_fd, const char* path, size_t max, std::vector<uint8_t>& scratch) {
  size_t used = 0;
  if (read_whole_file(dir_fd, path, scratch, &used) != 0) return 0;
  return std::min(used, max);
}

// Appends [bytes, bytes + len) to the string pool and returns where it starts. Offsets and
// lengths are Uint32 columns; they wrap like the JS typed-array stores would.
uint32_t append(std::vector<uint8_t>& pool, const uint8_t* bytes, size_t len) {
  const size_t start = pool.size();
  pool.insert(pool.end(), bytes, bytes + len);
  return static_cast<uint32_t>(start);
}

}  // namespace

size_t program_name(const uint8_t* cmdline, size_t len, size_t* start) {
  *start = 0;
  if (len == 0) return 0;
  const void* nul = std::memchr(cmdline, 0, len);
  const size_t end = nul == nullptr ? len : static_cast<size_t>(static_cast<const uint8_t*>(nul) - cmdline);
  if (end > 0 && cmdline[0] == '/') {
    // end > 0 and cmdline[0] == '/', so a last slash exists in [0, end).
    size_t slash = end - 1;
    while (cmdline[slash] != '/') slash--;
    *start = slash + 1;
    return end - (slash + 1);
  }
  return end;
}

size_t comm_length(const uint8_t* comm, size_t len) {
  return len > 0 && comm[len - 1] == '\n' ? len - 1 : len;
}

uint32_t status_uid(const uint8_t* s, size_t len) {
  size_t pos = 0;
  while (pos < len) {
    const size_t eol = find_byte(s, '\n', pos, len);
    if (eol - pos > 4 && s[pos] == 'U' && s[pos + 1] == 'i' && s[pos + 2] == 'd' && s[pos + 3] == ':') {
      // "Uid:\treal\teffective\tsaved\tfs": the second number. Each number must be 1..10
      // digits, end at a blank or the end of the line, and fit in 32 bits; only the first
      // "Uid:" line counts, as in owners.ts.
      size_t i = pos + 4;
      int field = 0;
      while (i < eol) {
        while (i < eol && is_blank(s[i])) i++;
        const size_t first = i;
        uint64_t v = 0;
        while (i < eol && s[i] >= '0' && s[i] <= '9' && i - first < 10) v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
        if (i == first || (i < eol && !is_blank(s[i])) || v > kU32Max) return kUnknownUid;
        if (field == 1) return static_cast<uint32_t>(v);
        field++;
      }
      return kUnknownUid;
    }
    pos = eol + 1;
  }
  return kUnknownUid;
}

void scan_owners(const std::string& proc_root, std::vector<uint8_t>& scratch, Owners* out) {
  // Node rejects such a path before readdir; owners.ts then scans nothing.
  if (has_nul(proc_root)) return;
  int root_fd;
  do {
    root_fd = open(proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (root_fd < 0 && errno == EINTR);
  if (root_fd < 0) return;

  std::vector<uint8_t> dents(32 * 1024);

  // The whole listing first, as readdirSync does: a listing that fails part-way counts as
  // no listing at all.
  std::vector<NumberName> pid_names;
  const int list_err = for_each_name(root_fd, dents, [&](const char* name, size_t len) {
    NumberName nn;
    if (is_small_number(name, len, &nn)) pid_names.push_back(nn);
  });
  if (list_err != 0) pid_names.clear();

  std::vector<Found> found;
  std::vector<int32_t> owning;
  std::vector<NumberName> fd_names;
  for (const NumberName& p : pid_names) {
    char path[32];
    std::snprintf(path, sizeof path, "%s/fd", p.text);  // at most 10 digits + "/fd"
    int fd_dir;
    do {
      fd_dir = openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd_dir < 0 && errno == EINTR);
    if (fd_dir < 0) {
      // Anything but a permission error means the process is gone (or never had fds).
      if (is_denied(errno)) out->pids_denied++;
      else out->pids_vanished++;
      continue;
    }
    fd_names.clear();
    const int err = for_each_name(fd_dir, dents, [&](const char* name, size_t len) {
      NumberName nn;
      if (is_small_number(name, len, &nn)) fd_names.push_back(nn);
    });
    if (err != 0) {
      close(fd_dir);
      if (is_denied(err)) out->pids_denied++;
      else out->pids_vanished++;
      continue;
    }
    out->pids_scanned++;
    bool any = false;
    for (const NumberName& f : fd_names) {
      // Socket link targets are at most 25 bytes ("socket:[" + 16 digits + "]"); a target
      // that fills the buffer is longer than that and could not parse anyway.
      uint8_t link[256];
      const ssize_t n = readlinkat(fd_dir, f.text, reinterpret_cast<char*>(link), sizeof link);
      if (n < 0 || static_cast<size_t>(n) >= sizeof link) continue;  // closed, or not a link
      const double inode = parse_socket_link(link, static_cast<size_t>(n));
      if (inode < 0) continue;
      found.push_back(Found{inode, p.value, f.value});
      any = true;
    }
    close(fd_dir);
    if (any) owning.push_back(p.value);
  }

  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.inode != b.inode) return a.inode < b.inode;
    if (a.pid != b.pid) return a.pid < b.pid;
    return a.fd < b.fd;
  });
  // Names like "7" and "007" are the same pid twice; owners.ts keeps both records, so do we.
  std::sort(owning.begin(), owning.end());

  const size_t n = found.size();
  out->inodes.resize(n);
  out->pids.resize(n);
  out->fds.resize(n);
  for (size_t i = 0; i < n; i++) {
    out->inodes[i] = found[i].inode;
    out->pids[i] = found[i].pid;
    out->fds[i] = found[i].fd;
  }
  out->socket_fds = n;

  const size_t procs = owning.size();
  out->proc_pids = owning;
  out->proc_uids.resize(procs);
  out->name_start.resize(procs);
  out->name_len.resize(procs);
  out->comm_start.resize(procs);
  out->comm_len.resize(procs);
  for (size_t i = 0; i < procs; i++) {
    // owners.ts builds these paths from the number, not from the directory name.
    char path[32];
    const int32_t pid = owning[i];

    std::snprintf(path, sizeof path, "%d/cmdline", static_cast<int>(pid));
    size_t len = head(root_fd, path, kCmdlineMax, scratch);
    size_t start = 0;
    const size_t name_len = program_name(scratch.data(), len, &start);
    out->name_start[i] = append(out->strings, scratch.data() + start, name_len);
    out->name_len[i] = static_cast<uint32_t>(name_len);

    std::snprintf(path, sizeof path, "%d/comm", static_cast<int>(pid));
    len = head(root_fd, path, kCommMax, scratch);
    const size_t comm_len = comm_length(scratch.data(), len);
    out->comm_start[i] = append(out->strings, scratch.data(), comm_len);
    out->comm_len[i] = static_cast<uint32_t>(comm_len);

    std::snprintf(path, sizeof path, "%d/status", static_cast<int>(pid));
    len = head(root_fd, path, kStatusMax, scratch);
    out->proc_uids[i] = status_uid(scratch.data(), len);
  }
  close(root_fd);
}

}  // namespace netsnap
