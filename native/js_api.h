// The Node-API side of the addon: argument checks, turning native results into the JavaScript
// shapes of src/model/contract.ts, and the one-step exports. Memory produced by the native code is
// handed to JavaScript as external ArrayBuffers, never copied.
#ifndef NETSNAP_JS_API_H_
#define NETSNAP_JS_API_H_

#include <napi.h>

#include <string>

#include "format.h"
#include "owners.h"
#include "table.h"

namespace netsnap {
namespace js {

// The JavaScript side of each ReusableColumn (table.h): its property (of the table, or of its `ext`)
// and the typed array it is. read_request checks a lent table's columns by it; table_to_js names the
// new table's columns by it.
struct ReusableColumnSpec {
  const char* name;
  bool in_ext;
  napi_typedarray_type type;
  const char* type_name;
  size_t element_bytes;
};
constexpr ReusableColumnSpec kReusableColumnSpecs[kReusableColumns] = {
    {"backlog", false, napi_uint32_array, "Uint32Array", 4},     {"cookie", false, napi_biguint64_array, "BigUint64Array", 8},
    {"cgroupId", false, napi_biguint64_array, "BigUint64Array", 8}, {"ifindex", false, napi_uint32_array, "Uint32Array", 4},
    {"infoLen", true, napi_uint16_array, "Uint16Array", 2},      {"infoU32", true, napi_uint32_array, "Uint32Array", 4},
    {"infoF64", true, napi_float64_array, "Float64Array", 8},    {"cong", true, napi_uint8_array, "Uint8Array", 1},
    {"memCount", true, napi_uint8_array, "Uint8Array", 1},       {"mem", true, napi_uint32_array, "Uint32Array", 4},
};

void throw_type_error(Napi::Env env, const std::string& message);
// What V8 throws when an ArrayBuffer cannot be allocated, so both backends fail alike.
void throw_allocation_failed(Napi::Env env);
Napi::Error allocation_failed_error(Napi::Env env);

// Take ownership of the table's / owners' memory and build RawInetTable / RawUnixTable /
// RawOwners. On failure they return an empty value with a JavaScript exception pending; the
// memory not yet handed over stays with (and is freed by) `table` / `owners`.
// `reuse` is the JavaScript table whose memory `table` was built in, when it was (see Reuse).
Napi::Value table_to_js(Napi::Env env, Table& table, Napi::Value reuse = Napi::Value());
Napi::Value owners_to_js(Napi::Env env, Owners& owners);
// { bytes: Uint8Array, rows } over the text's memory (taken: the text is empty after).
Napi::Value row_text_to_js(Napi::Env env, RowText& text);

// parseInet(bytes, proto, littleEndian), parseUnix(bytes), parseSocketLink(bytes),
// readProcFile(path), scanOwners(procRoot): see the Backend interface in src/model/contract.ts.
Napi::Value ParseInet(const Napi::CallbackInfo& info);
Napi::Value ParseUnix(const Napi::CallbackInfo& info);
Napi::Value ParseSocketLink(const Napi::CallbackInfo& info);
Napi::Value ReadProcFile(const Napi::CallbackInfo& info);
Napi::Value ScanOwners(const Napi::CallbackInfo& info);
// Native-only, for tests and benchmarks: scanOwnersThreads(procRoot, threads, partFds?) scans with
// exactly `threads` workers (1..8), big processes cut into parts of partFds fds when given (not 0);
// setThreads(n) makes every later scan and sample use n workers (0:
// automatic, 1: serial). See parallel.h.
Napi::Value ScanOwnersThreads(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
// setOwnerSource('auto' | 'bpf' | 'proc') and ownerSource() -> {source, bpfTried, bpfError, bpfScans}:
// whether owner scans of the live /proc may use the BPF task_file iterator (bpf_fds.h), and its
// state (native-only; src/backends/native.ts applies NETSNAP_OWNER_SOURCE through the first).
Napi::Value SetOwnerSource(const Napi::CallbackInfo& info);
Napi::Value GetOwnerSource(const Napi::CallbackInfo& info);
// Native-only, for tests: btfLayout(bytes) -> the offsets bpf_fds.h finds in a BTF blob
// ({iterFuncId, taskTgid, ...}), or {error}.
Napi::Value BtfLayoutOf(const Napi::CallbackInfo& info);
// Native-only, for the test that compares it with TCP_INFO_FIELDS (src/model/tcp_info.ts):
// tcpInfoFields() -> [[offset, size], ...], the decoder's table (tcp_info.h) in its order.
Napi::Value TcpInfoFields(const Napi::CallbackInfo& info);
// Native-only (Backend.openDestroyEvents): openDestroyEvents(options?) -> DestroySubscription, an
// object over destroy_events.h whose read() takes the TCP closes since the previous read as a
// RawDestroyBatch (src/model/contract.ts). Its finalizer closes the subscription (joins its thread).
Napi::Value OpenDestroyEvents(const Napi::CallbackInfo& info);
Napi::Value FormatInetRows(const Napi::CallbackInfo& info);
Napi::Value OwnerLookupTable(const Napi::CallbackInfo& info);
Napi::Value FormatDetailLines(const Napi::CallbackInfo& info);

}  // namespace js
}  // namespace netsnap

#endif  // NETSNAP_JS_API_H_
