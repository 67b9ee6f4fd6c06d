// The whole sample: read the requested /proc/net files, parse them, optionally scan fd owners.
// The work itself (run_sample) is plain C++ over a "baton" and never touches Node-API, so the
// asynchronous variant can run it on the libuv pool; sample.cc converts the baton to JavaScript.
#ifndef NETSNAP_SAMPLE_H_
#define NETSNAP_SAMPLE_H_

#include <napi.h>

#include <string>
#include <vector>

#include "filter.h"
#include "format.h"
#include "owners.h"
#include "table.h"

namespace netsnap {

enum class NetFile { kTcp, kUdp, kUdplite, kRaw, kUnix };

// protoOfFile() of src/backends/js/sample.ts; false for a name it does not know.
bool net_file_kind(const std::string& name, NetFile* kind);

// SampleRequest of src/model/contract.ts, checked and copied off the JavaScript heap.
struct SampleRequest {
  std::string net_dir;
  std::vector<std::string> files;
  std::vector<NetFile> kinds;  // parallel to `files`
  bool owners = false;
  std::string proc_root;
  bool little_endian = false;
  // request.reuse: earlier tables to fill again, parallel to `files` (absent: none). The JavaScript
  // objects stay reachable from the request object, which the caller keeps alive.
  std::vector<Reuse> reuse;
  // request.source === 'netlink': inet files from a NETLINK_SOCK_DIAG dump (own namespace only).
  bool netlink = false;
  // request.tcpStates: bit (1 << st) of the /proc state numbers kept in tcp/tcp6 (absent: all).
  bool has_tcp_states = false;
  uint32_t tcp_states = 0;
  // request.extensions: kExtTcpInfo | kExtMemory (tcp_info.h), netlink only. Not 0: a failed
  // dump is the file's error, never a silent /proc read.
  uint32_t extensions = 0;
  // request.infoFields: the tcp_info fields to decode (TCP_INFO_FIELDS indexes, increasing); empty:
  // all of them. Needs extensions bit 1.
  std::vector<uint8_t> info_fields;
  // request.oneTcpDump: tcp and tcp6 from netlink in one dump of both families (dump_inet_pair).
  bool one_tcp_dump = false;
  // request.trim: each table's own buffer shrunk to its rows at the end (trim_table), for a
  // one-shot sample that nothing fills again.
  bool trim = false;
  // request.netns: the network namespace the netlink dumps describe (netlink only), e.g.
  // /proc/PID/ns/net. Set: a failed dump is the file's error, as with extensions.
  bool has_netns = false;
  std::string netns;
  // request.filter: the column program every inet row must pass (checked; filter.h) and the bytecode
  // sent with netlink dumps (empty: none).
  bool has_filter = false;
  FilterProgram filter;
  std::vector<uint8_t> bytecode;
  // request.rowText: tcp's and tcp6's rows as netstat text (format.h), with the owners column, made
  // while the dump runs where the sample can (run_sample): each label (the Proto cell), the State
  // cells, which rows (RowShow) and -W.
  bool has_row_text = false;
  std::vector<uint8_t> row_label4, row_label6, row_state_cells;
  RowShow row_show = RowShow::kAll;
  bool row_wide = false;
};

struct FileOutcome {
  const char* error = nullptr;  // Node's err.code (static string), or null when read
  Table table;                  // meaningful when error is null
  const char* source = "proc";  // "proc" or "netlink": where the rows came from
  // A netlink dump of a request with a bytecode: whether the kernel ran it (filterInKernel), and
  // when it refused it, its errno name (kernelRejected; the program ran on the columns alone).
  bool bytecode_sent = false;
  bool filter_in_kernel = false;
  const char* kernel_rejected = nullptr;
  // The rows come from /proc because the netlink dump failed: its errno name (netlinkError).
  const char* netlink_error = nullptr;
  // request.rowText: the text of the table's first row_text.rows() rows (rowText), when made.
  RowText row_text;
};

struct SampleBaton {
  SampleRequest request;
  std::vector<FileOutcome> files;  // filled by run_sample, parallel to request.files
  Owners owners;                   // filled when request.owners
  bool out_of_memory = false;      // a table could not be allocated; nothing else is valid
  // sampleAsync: the sample leaves one CPU to the event loop (at most hardware_threads() - 1
  // threads, at least 1), unless setThreads() fixed the count. On a 2-core machine the sample's
  // threads would otherwise hold both cores, and the event loop would wait for one.
  bool leave_a_cpu = false;
};

// Where a file's netlink dump runs: a socket the dump makes in the caller's own namespace (fd -1,
// error 0), a socket made in request.netns (fd), or nowhere because entering request.netns
// failed (error, an errno).
struct DiagSocket {
  int fd = -1;
  int error = 0;
};

// How many TCP rows of each family a netlink dump should make room for at once
// (DumpRequest.expect4/expect6, from sockstat); 0: none.
struct RowsExpected {
  size_t tcp4 = 0, tcp6 = 0;
  // A CPU may take the parse of a big TCP dump's records aside (DumpRequest.parse_aside): a sync
  // sample on two workers or more. sampleAsync leaves its CPU to the event loop instead.
  bool parse_aside = false;
};

// The fewest rows a dump expects for its records to be parsed aside: below, the thread costs more
// than the overlap gives.
constexpr size_t kParseAsideMinRows = 4096;

// One file of a validated request (index i) into *outcome, using `scratch` as the read buffer.
// False only when a table could not be allocated.
bool sample_file(const SampleRequest& req, size_t i, const DiagSocket& diag, std::vector<uint8_t>& scratch,
                 FileOutcome* outcome, const RowsExpected& expect = RowsExpected());

// Does the work for a validated request. Thread-safe with respect to other batons.
void run_sample(SampleBaton& baton);

// Test hook setFeedLockstep(on): with on, the dump of a sample that formats its rows as they come
// (request.rowText) waits after each batch of records until they are formatted (RowFeed::lockstep; at
// most 5 s in all), so that the texts cover every row whatever the scheduler does; off (the default),
// the dump never waits for them.
Napi::Value SetFeedLockstep(const Napi::CallbackInfo& info);

// Test and benchmark hooks: setGiveWay(on) turns off (or on again; on is the default) sampleAsync's
// giving way to a waiting event loop (give_way.h), for an A/B of it; giveWayCounts() -> { waits,
// pauses }: how often the threads of all sampleAsync calls so far saw the loop wait, and the pauses
// they slept for it.
Napi::Value SetGiveWay(const Napi::CallbackInfo& info);
Napi::Value GiveWayCounts(const Napi::CallbackInfo& info);
Napi::Value ParseAsideDumps(const Napi::CallbackInfo& info);

// sample(request) -> RawSample and sampleAsync(request) -> Promise<RawSample>.
Napi::Value Sample(const Napi::CallbackInfo& info);
Napi::Value SampleAsync(const Napi::CallbackInfo& info);

}  // namespace netsnap

#endif  // NETSNAP_SAMPLE_H_
