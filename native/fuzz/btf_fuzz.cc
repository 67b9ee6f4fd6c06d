// Fuzz harness for what the BPF owner scan reads (native/bpf_fds.h):
// - btf_find_layout() on the input as a BTF blob (the bytes of /sys/kernel/btf/vmlinux). Every
//   count and offset in it is the input's to choose; ASan sees any read outside it. Checked: a
//   refusal says why; an answer has every offset small enough for a load instruction's 16-bit field
//   (what the program builder relies on) and a struct upid that holds its nr.
// - parse_socket_fd_records() on the input as the iterator's output: whole 16-byte records only,
//   each read back field for field.
// Seeds: native/fuzz/make_btf_seeds.py.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bpf_fds.h"
#include "reference.h"
#include "standalone_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsnap::BtfLayout layout;
  std::string why;
  const bool ok = netsnap::btf_find_layout(data, size, &layout, &why);
  if (!ok) {
    REF_CHECK(!why.empty(), "a refused BTF blob without a reason");
  } else {
    REF_CHECK(why.empty(), "an accepted BTF blob with a reason: %s", why.c_str());
    REF_CHECK(layout.iter_func_id != 0, "no iterator function id");
    const uint32_t offsets[] = {layout.task_tgid, layout.task_pid, layout.task_thread_pid, layout.file_inode, layout.inode_mode,
                                layout.inode_ino, layout.pid_level, layout.pid_numbers, layout.upid_nr};
    for (uint32_t off : offsets) REF_CHECK(off <= 0x7fff - 8, "offset %u past a load's reach", off);
    REF_CHECK(layout.upid_size >= layout.upid_nr + 4 && layout.upid_size <= 4096, "struct upid of %u bytes, nr at %u", layout.upid_size, layout.upid_nr);
  }

  std::vector<netsnap::SocketFd> records;
  const bool whole = netsnap::parse_socket_fd_records(data, size, &records);
  REF_CHECK(whole == (size % 16 == 0), "records of %zu bytes %s", size, whole ? "accepted" : "refused");
  REF_CHECK(records.size() == (whole ? size / 16 : 0), "%zu records of %zu bytes", records.size(), size);
  for (size_t i = 0; i < records.size(); i++) {
    uint32_t pid, fd;
    uint64_t inode;
    std::memcpy(&pid, data + i * 16, 4);
    std::memcpy(&fd, data + i * 16 + 4, 4);
    std::memcpy(&inode, data + i * 16 + 8, 8);
    REF_CHECK(static_cast<uint32_t>(records[i].pid) == pid && static_cast<uint32_t>(records[i].fd) == fd && records[i].inode == inode,
              "record %zu read back differently", i);
  }
  return 0;
}
