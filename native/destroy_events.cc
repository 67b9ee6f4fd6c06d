#include "destroy_events.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>
#include <vector>

#include "netlink_diag.h"
#include "parallel.h"
#include "tcp_info.h"

namespace netsnap {
namespace {

// One event is one ~380-byte datagram; a bigger buffer costs nothing and takes anything.
constexpr size_t kRecvBuffer = 64 * 1024;
// Datagrams read between two looks at close(): a burst never delays it by more than this many.
constexpr int kDrainMax = 1024;

}  // namespace

DestroyRows::DestroyRows(size_t max_rows)
    : max_rows_(max_rows == 0 || max_rows > kDestroyMaxRows ? kDestroyMaxRows : max_rows) {
  reset();
}

void DestroyRows::new_part() {
  table_ = Table();
  // The shape of a netlink dump's table with tcp_info asked: the JavaScript side reads both alike.
  table_.has_backlog = true;
  table_.has_ids = true;
  table_.has_ext = true;
}

void DestroyRows::reset() {
  new_part();
  parts_.clear();
  part_rows_ = 0;
  received_ = dropped_ = overflows_ = 0;
}

void DestroyRows::add_datagram(const uint8_t* data, size_t len) {
  DiagSink sink;
  sink.table = &table_;
  sink.raw = false;
  sink.drops = false;  // TCP: no drops column, as in a dump
  sink.extensions = kExtTcpInfo;
  sink.multicast = true;
  // The cap counts the full parts' rows too (never 0 here, which would mean none: see below).
  sink.max_rows = max_rows_ - part_rows_;
  const int rc = parse_diag_messages(data, len, &sink);
  received_ += sink.records;
  dropped_ += sink.dropped;
  // The table could not grow: the record that found it full is lost (counted in records).
  if (rc == -ENOMEM) dropped_++;
  // A full part is set aside, never moved again, while rows are still wanted.
  if (table_.count >= kDestroyPartRows && part_rows_ + table_.count < max_rows_) {
    part_rows_ += table_.count;
    parts_.push_back(std::move(table_));
    new_part();
  }
}

void DestroyRows::take_parts(DestroyBatch* out, std::vector<Table>* parts) {
  parts->clear();
  if (parts_.empty()) {
    out->table = std::move(table_);
  } else {
    out->table = std::move(parts_.front());
    for (size_t k = 1; k < parts_.size(); k++) parts->push_back(std::move(parts_[k]));
    parts->push_back(std::move(table_));
  }
  out->received = received_;
  out->dropped = dropped_;
  out->overflows = overflows_;
  reset();
}

void DestroyRows::join(DestroyBatch* out, std::vector<Table>* parts) {
  size_t rows = 0;
  for (const Table& t : *parts) rows += t.count;
  if (!append_inet_tables(&out->table, parts)) out->dropped += rows;
}

void DestroyRows::take(DestroyBatch* out) {
  std::vector<Table> parts;
  take_parts(out, &parts);
  join(out, &parts);
}

int DestroySubscription::open(const DestroyOptions& options, std::unique_ptr<DestroySubscription>* out,
                              const char** step) {
  int fd = -1;
  if (options.netns != nullptr) {
    const int err = diag_sockets_in_netns(options.netns, 1, &fd);
    if (err != 0) {
      *step = "netns";
      return err;
    }
  } else {
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
      *step = "socket";
      return errno;
    }
  }
  // The buffer before the groups, so that no event meets the default one. SO_RCVBUFFORCE passes
  // net.core.rmem_max where CAP_NET_ADMIN allows; otherwise SO_RCVBUF, capped by it. Neither
  // failing is not fatal: the socket keeps its default.
  const int want = options.rcvbuf > 0 ? options.rcvbuf : kDestroyDefaultRcvbuf;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  }
  int granted = 0;
  socklen_t granted_len = sizeof granted;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &granted_len) != 0) granted = 0;

  sockaddr_nl local;
  std::memset(&local, 0, sizeof local);
  local.nl_family = AF_NETLINK;
  local.nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1u << (SKNLGRP_INET6_TCP_DESTROY - 1));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int err = errno;
    ::close(fd);
    *step = "bind";
    return err;
  }
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const int err = errno;
    ::close(fd);
    *step = "eventfd";
    return err;
  }
  std::unique_ptr<DestroySubscription> s(new DestroySubscription(options.max_rows));
  s->fd_ = fd;
  s->wake_ = wake;
  s->rcvbuf_ = granted;
  s->drops_seen_ = s->kernel_drops();
  // Every signal blocked in the reader, so they keep going to Node's threads.
  const int rc = create_quiet_thread(&s->thread_, reader_main, s.get());
  if (rc != 0) {
    *step = "thread";
    return rc;  // s's destructor closes both descriptors
  }
  s->running_ = true;
  pthread_setname_np(s->thread_, kDestroyThreadName);
  *out = std::move(s);
  return 0;
}

DestroySubscription::~DestroySubscription() { close(); }

void* DestroySubscription::reader_main(void* self) {
  static_cast<DestroySubscription*>(self)->reader_loop();
  return nullptr;
}

void DestroySubscription::reader_loop() {
  std::vector<uint8_t> buf(kRecvBuffer);
  for (;;) {
    pollfd fds[2];
    fds[0] = {fd_, POLLIN, 0};
    fds[1] = {wake_, POLLIN, 0};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      error_.store(errno, std::memory_order_release);
      return;
    }
    if (fds[1].revents != 0 || stop_.load(std::memory_order_acquire)) return;
    if (fds[0].revents & POLLNVAL) {
      error_.store(EBADF, std::memory_order_release);
      return;
    }
    // What is queued, then poll() again (POLLERR, i.e. ENOBUFS, is read by recv() too).
    for (int k = 0; k < kDrainMax && !stop_.load(std::memory_order_acquire); k++) {
      sockaddr_nl from;
      socklen_t from_len = sizeof from;
      const ssize_t n =
          recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        if (err == EINTR) continue;
        if (err == ENOBUFS) {
          // Events were lost; the socket goes on delivering the next ones.
          std::lock_guard<std::mutex> lock(mutex_);
          rows_.add_overflow();
          continue;
        }
        error_.store(err, std::memory_order_release);
        return;
      }
      // Only the kernel's messages (a process with CAP_NET_ADMIN could send to this socket).
      if (from_len < sizeof from || from.nl_pid != 0) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      rows_.add_datagram(buf.data(), static_cast<size_t>(n));
    }
  }
}

uint32_t DestroySubscription::kernel_drops() const {
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
      len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
    return 0;
  }
  return mem[SK_MEMINFO_DROPS];
}

bool DestroySubscription::read(DestroyBatch* out) {
  if (closed_) return false;
  std::vector<Table> parts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rows_.take_parts(out, &parts);
  }
  // Joined here, on the reading thread: the reader thread goes on draining the socket meanwhile.
  DestroyRows::join(out, &parts);
  out->table.ext.finish();
  trim_table(out->table);
  const uint32_t drops = kernel_drops();
  out->lost = static_cast<uint32_t>(drops - drops_seen_);  // the kernel's counter is a 32-bit one
  drops_seen_ = drops;
  return true;
}

void DestroySubscription::close() {
  if (closed_) return;
  closed_ = true;
  if (running_) {
    stop_.store(true, std::memory_order_release);
    const uint64_t one = 1;
    ssize_t w;
    do {
      w = write(wake_, &one, sizeof one);
    } while (w < 0 && errno == EINTR);
    pthread_join(thread_, nullptr);
    running_ = false;
  }
  if (fd_ >= 0) ::close(fd_);
  if (wake_ >= 0) ::close(wake_);
  fd_ = wake_ = -1;
}

}  // namespace netsnap
