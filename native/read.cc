#include "read.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace netsnap {
namespace {

constexpr size_t kInitialSize = 64 * 1024;  // as the TypeScript reader's first scratch buffer

// Doubles `buf` (or gives it its first size). The checks keep a runaway file from asking
// vector for more than it can hold, which with exceptions disabled would abort the process.
bool grow(std::vector<uint8_t>& buf) {
  const size_t size = buf.size();
  if (size == 0) {
    buf.resize(kInitialSize);
    return true;
  }
  if (size > buf.max_size() / 2) return false;
  buf.resize(size * 2);
  return true;
}

}  // namespace

int read_whole_file(int dir_fd, const char* path, std::vector<uint8_t>& buf, size_t* used) {
  *used = 0;
  int fd;
  do {
    fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  size_t n_used = 0;
  int err = 0;
  for (;;) {
    if (n_used == buf.size() && !grow(buf)) {
      err = ENOMEM;
      break;
    }
    const ssize_t n = read(fd, buf.data() + n_used, buf.size() - n_used);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    n_used += static_cast<size_t>(n);
  }
  close(fd);  // read-only: nothing to lose on a failed close
  if (err == 0) *used = n_used;
  return err;
}

const char* errno_code(int err) {
  switch (err) {
// libuv's errno names (uv.h UV_ERRNO_MAP) for the values Linux defines. Node's err.code is
// this name, so both backends report the same string.
#define NETSNAP_ERRNO(name) \
  case name:                \
    return #name;
    NETSNAP_ERRNO(E2BIG)
    NETSNAP_ERRNO(EACCES)
    NETSNAP_ERRNO(EADDRINUSE)
    NETSNAP_ERRNO(EADDRNOTAVAIL)
    NETSNAP_ERRNO(EAFNOSUPPORT)
    NETSNAP_ERRNO(EAGAIN)  // == EWOULDBLOCK on Linux
    NETSNAP_ERRNO(EALREADY)
    NETSNAP_ERRNO(EBADF)
    NETSNAP_ERRNO(EBUSY)
    NETSNAP_ERRNO(ECANCELED)
    NETSNAP_ERRNO(ECONNABORTED)
    NETSNAP_ERRNO(ECONNREFUSED)
    NETSNAP_ERRNO(ECONNRESET)
    NETSNAP_ERRNO(EDESTADDRREQ)
    NETSNAP_ERRNO(EEXIST)
    NETSNAP_ERRNO(EFAULT)
    NETSNAP_ERRNO(EFBIG)
    NETSNAP_ERRNO(EHOSTDOWN)
    NETSNAP_ERRNO(EHOSTUNREACH)
    NETSNAP_ERRNO(EILSEQ)
    NETSNAP_ERRNO(EINTR)
    NETSNAP_ERRNO(EINVAL)
    NETSNAP_ERRNO(EIO)
    NETSNAP_ERRNO(EISCONN)
    NETSNAP_ERRNO(EISDIR)
    NETSNAP_ERRNO(ELOOP)
    NETSNAP_ERRNO(EMFILE)
    NETSNAP_ERRNO(EMLINK)
    NETSNAP_ERRNO(EMSGSIZE)
    NETSNAP_ERRNO(ENAMETOOLONG)
    NETSNAP_ERRNO(ENETDOWN)
    NETSNAP_ERRNO(ENETUNREACH)
    NETSNAP_ERRNO(ENFILE)
    NETSNAP_ERRNO(ENOBUFS)
    NETSNAP_ERRNO(ENODATA)
    NETSNAP_ERRNO(ENODEV)
    NETSNAP_ERRNO(ENOENT)
    NETSNAP_ERRNO(ENOMEM)
    NETSNAP_ERRNO(ENONET)
    NETSNAP_ERRNO(ENOPROTOOPT)
    NETSNAP_ERRNO(ENOSPC)
    NETSNAP_ERRNO(ENOSYS)
    NETSNAP_ERRNO(ENOTCONN)
    NETSNAP_ERRNO(ENOTDIR)
    NETSNAP_ERRNO(ENOTEMPTY)
    NETSNAP_ERRNO(ENOTSOCK)
    NETSNAP_ERRNO(ENOTSUP)  // == EOPNOTSUPP on Linux
    NETSNAP_ERRNO(ENOTTY)
    NETSNAP_ERRNO(ENXIO)
    NETSNAP_ERRNO(EOVERFLOW)
    NETSNAP_ERRNO(EPERM)
    NETSNAP_ERRNO(EPIPE)
    NETSNAP_ERRNO(EPROTO)
    NETSNAP_ERRNO(EPROTONOSUPPORT)
    NETSNAP_ERRNO(EPROTOTYPE)
    NETSNAP_ERRNO(ERANGE)
    NETSNAP_ERRNO(EREMOTEIO)
    NETSNAP_ERRNO(EROFS)
    NETSNAP_ERRNO(ESHUTDOWN)
    NETSNAP_ERRNO(ESOCKTNOSUPPORT)
    NETSNAP_ERRNO(ESPIPE)
    NETSNAP_ERRNO(ESRCH)
    NETSNAP_ERRNO(ETIMEDOUT)
    NETSNAP_ERRNO(ETXTBSY)
    NETSNAP_ERRNO(EUNATCH)
    NETSNAP_ERRNO(EXDEV)
#undef NETSNAP_ERRNO
    default:
      // libuv has no name for it; the TypeScript backend's fallback code.
      return "EIO";
  }
}

}  // namespace netsnap
