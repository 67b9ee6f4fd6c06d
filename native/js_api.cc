#include "js_api.h"

#include <fcntl.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bpf_fds.h"
#include "destroy_events.h"
#include "fd_link.h"
#include "format.h"
#include "parallel.h"
#include "read.h"
#include "tcp_info.h"

namespace netsnap {
namespace js {
namespace {

// Throws the error napi reported for a failed call. With C++ exceptions disabled every
// Node-API failure has to be turned into a pending JavaScript exception by hand.
bool check(Napi::Env env, napi_status status) {
  if (status == napi_ok) return true;
  Napi::Error::New(env).ThrowAsJavaScriptException();
  return false;
}

// An ArrayBuffer over `data` that calls finalize(env, data, hint) when collected: the memory
// the native code filled goes to JavaScript without a copy. Ownership passes in every case:
// zero-length data (V8 may refuse a null external pointer, and there is nothing to share) and
// runtimes that forbid external buffers (V8 sandbox, e.g. Electron) get an ordinary
// ArrayBuffer, a copy, and `data` is finalized at once; so is it on failure.
napi_value adopt(Napi::Env env, void* data, size_t len, napi_finalize finalize, void* hint) {
  napi_value ab = nullptr;
  napi_status s = napi_generic_failure;
  if (len > 0) {
    s = napi_create_external_arraybuffer(env, data, len, finalize, hint, &ab);
    if (s == napi_ok) return ab;
  }
  if (len == 0 || s == napi_no_external_buffers_allowed) {
    void* copy = nullptr;
    s = napi_create_arraybuffer(env, len, &copy, &ab);
    if (s == napi_ok && len > 0) std::memcpy(copy, data, len);
  }
  finalize(env, data, hint);
  return check(env, s) ? ab : nullptr;
}

// For malloc'd memory (may be null when len is 0).
napi_value adopt_malloc(Napi::Env env, void* data, size_t len) {
  return adopt(env, data, len, [](napi_env, void* d, void*) { std::free(d); }, nullptr);
}

// For a vector's storage: the vector moves to the heap and dies with the ArrayBuffer. With `room`, the
// ArrayBuffer is as long as the vector's capacity (the elements past its size zeroed), so that a sample
// that lends it back (fill_reused_columns) has the room the table was made with.
template <typename V>
napi_value adopt_vector(Napi::Env env, V&& v, bool room = false) {
  using Vec = std::remove_reference_t<V>;
  using T = typename Vec::value_type;
  auto* owned = new Vec(std::move(v));
  const size_t size = owned->size();
  const size_t length = room ? owned->capacity() : size;
  if (length > size) std::memset(static_cast<void*>(owned->data() + size), 0, (length - size) * sizeof(T));
  return adopt(env, owned->data(), length * sizeof(T), [](napi_env, void*, void* hint) { delete static_cast<Vec*>(hint); },
               owned);
}

napi_value typed_array(Napi::Env env, napi_typedarray_type type, size_t length, napi_value ab) {
  if (ab == nullptr) return nullptr;
  napi_value out = nullptr;
  return check(env, napi_create_typedarray(env, type, length, ab, 0, &out)) ? out : nullptr;
}

template <typename T, typename A>
napi_value vector_to_typed_array(Napi::Env env, napi_typedarray_type type, std::vector<T, A>&& v, bool room = false) {
  const size_t length = v.size();
  return typed_array(env, type, length, adopt_vector(env, std::move(v), room));
}

// Sets obj[key] = value unless an earlier step already failed (value null, exception pending).
bool set(Napi::Env env, Napi::Object obj, const char* key, napi_value value) {
  if (value == nullptr || env.IsExceptionPending()) return false;
  return check(env, napi_set_named_property(env, obj, key, value));
}

napi_value number(Napi::Env env, double v) { return Napi::Number::New(env, v); }

// Per-thread because the addon can be loaded by several worker_threads at once; it grows to
// the largest file read and is reused, as the TypeScript reader's scratch buffer is.
std::vector<uint8_t>& main_scratch() {
  static thread_local std::vector<uint8_t> scratch;
  return scratch;
}

enum class Detached { kThrow, kEmpty };

// Reads a Uint8Array argument (any byteOffset; napi's data pointer already includes it).
// The bytes stay valid for the duration of the synchronous call that asked for them.
// A view on a detached buffer reads as empty (kEmpty) or throws the TypeError V8 throws when
// the TypeScript code calls indexOf() on it (kThrow): each export does what its TypeScript
// twin does.
bool get_bytes(Napi::Env env, Napi::Value v, const char* what, Detached detached, const uint8_t** data,
               size_t* len) {
  napi_typedarray_type type;
  size_t length = 0;
  void* d = nullptr;
  napi_value ab = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &type, &length, &d, &ab, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw_type_error(env, std::string(what) + " must be a Uint8Array");
    return false;
  }
  bool is_detached = false;
  if (!check(env, napi_is_detached_arraybuffer(env, ab, &is_detached))) return false;
  if (is_detached || d == nullptr) {
    if (is_detached && detached == Detached::kThrow) {
      throw_type_error(env, std::string(what) + " is a view on a detached ArrayBuffer");
      return false;
    }
    *data = nullptr;
    *len = 0;
    return true;
  }
  *data = static_cast<const uint8_t*>(d);
  *len = length;
  return true;
}

bool get_string(Napi::Env env, Napi::Value v, const char* what, std::string* out) {
  if (!v.IsString()) {
    throw_type_error(env, std::string(what) + " must be a string");
    return false;
  }
  *out = v.As<Napi::String>().Utf8Value();
  return !env.IsExceptionPending();
}

bool get_boolean(Napi::Env env, Napi::Value v, const char* what, bool* out) {
  if (!v.IsBoolean()) {
    throw_type_error(env, std::string(what) + " must be a boolean");
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

// lent[name], or undefined when `lent` is none.
Napi::Value lent_column(Napi::Env env, Napi::Value lent, const char* name) {
  if (!lent.IsObject()) return env.Undefined();
  return lent.As<Napi::Object>().Get(name);
}

// obj[name] = column k (ReusableColumn) of a table, named and typed by kReusableColumnSpecs: when
// fill_reused_columns() put it into the lent table's column, a view of its elements at the start of that
// very memory, no new ArrayBuffer; otherwise its own vector, adopted. `lent` is the lent table (its `ext`
// for the ext columns), or undefined. `room`: the table was filled into a lent one (a sampler's), so a
// new column keeps its vector's whole capacity for the sample that lends it back (adopt_vector).
template <typename T, typename A>
void set_column(Napi::Env env, Napi::Object obj, const Table& table, unsigned k, std::vector<T, A>& v, Napi::Value lent,
                bool room) {
  const ReusableColumnSpec& spec = kReusableColumnSpecs[k];
  if ((table.columns_reused & (1u << k)) == 0) {
    set(env, obj, spec.name, vector_to_typed_array(env, spec.type, std::move(v), room));
    return;
  }
  const Napi::Value column = lent_column(env, lent, spec.name);
  napi_value ab = nullptr;
  size_t offset = 0;
  napi_value out = nullptr;
  if (env.IsExceptionPending() || !check(env, napi_get_typedarray_info(env, column, nullptr, nullptr, nullptr, &ab, &offset)) ||
      !check(env, napi_create_typedarray(env, spec.type, table.reused_elements[k], ab, offset, &out))) {
    return;
  }
  set(env, obj, spec.name, out);
}

// RawTcpExtensions (src/model/tcp_info.ts) from columns that finish() laid out column-major; `lent`,
// the lent table's ext, or undefined.
napi_value extensions_to_js(Napi::Env env, Table& table, Napi::Value lent, bool room) {
  TcpExtensions& ext = table.ext;
  Napi::Object obj = Napi::Object::New(env);
  set_column(env, obj, table, kReuseInfoLen, ext.info_len, lent, room);
  set_column(env, obj, table, kReuseInfoU32, ext.info_u32, lent, room);
  set_column(env, obj, table, kReuseInfoF64, ext.info_f64, lent, room);
  set_column(env, obj, table, kReuseCong, ext.cong, lent, room);
  if (env.IsExceptionPending()) return nullptr;
  Napi::Array names = Napi::Array::New(env, ext.cong_names.size());
  for (size_t k = 0; k < ext.cong_names.size() && !env.IsExceptionPending(); k++) {
    names.Set(static_cast<uint32_t>(k), Napi::String::New(env, ext.cong_names[k]));
  }
  set(env, obj, "congNames", names);
  set_column(env, obj, table, kReuseMemCount, ext.mem_count, lent, room);
  set_column(env, obj, table, kReuseMem, ext.mem, lent, room);
  if (!ext.fields().empty()) {
    Column<uint8_t> fields(ext.fields().begin(), ext.fields().end());
    set(env, obj, "fields", vector_to_typed_array(env, napi_uint8_array, std::move(fields)));
  }
  if (env.IsExceptionPending()) return nullptr;
  return obj;
}

}  // namespace

void throw_type_error(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

Napi::Error allocation_failed_error(Napi::Env env) {
  return Napi::RangeError::New(env, "Array buffer allocation failed");
}

void throw_allocation_failed(Napi::Env env) { allocation_failed_error(env).ThrowAsJavaScriptException(); }

Napi::Value table_to_js(Napi::Env env, Table& table, Napi::Value reuse) {
  Napi::Object obj = Napi::Object::New(env);
  // Property order as in net_inet.ts / net_unix.ts.
  const size_t byte_length = table.byte_length;
  if (table.buffer_reused) {
    // Filled in place: hand back the very ArrayBuffer the caller lent (read_request checked it).
    table.release_buffer();
    set(env, obj, "buffer", reuse.As<Napi::Object>().Get("buffer"));
  } else {
    set(env, obj, "buffer", adopt_malloc(env, table.release_buffer(), byte_length));
  }
  set(env, obj, "capacity", number(env, static_cast<double>(table.capacity)));
  set(env, obj, "count", number(env, static_cast<double>(table.count)));
  set(env, obj, "problems", vector_to_typed_array(env, napi_uint32_array, std::move(table.problems)));
  // The lent table's columns, when some of this table's went into them; a table filled into a lent one
  // keeps the room of its new columns.
  const bool room = reuse.IsObject();
  const Napi::Value lent = table.columns_reused != 0 ? reuse : env.Undefined();
  if (table.has_backlog) set_column(env, obj, table, kReuseBacklog, table.backlog, lent, room);
  if (table.has_ids) {
    set_column(env, obj, table, kReuseCookie, table.cookie, lent, room);
    set_column(env, obj, table, kReuseCgroupId, table.cgroup_id, lent, room);
    set_column(env, obj, table, kReuseIfindex, table.ifindex, lent, room);
  }
  if (table.has_ext) set(env, obj, "ext", extensions_to_js(env, table, lent_column(env, lent, "ext"), room));
  if (table.is_unix) {
    const size_t pool_length = table.pool_length;
    napi_value pool = typed_array(env, napi_uint8_array, pool_length, adopt_malloc(env, table.release_pool(), pool_length));
    set(env, obj, "pool", pool);
  }
  if (env.IsExceptionPending()) return Napi::Value();
  return obj;
}

Napi::Value owners_to_js(Napi::Env env, Owners& o) {
  Napi::Object obj = Napi::Object::New(env);
  // Property order and element types as in RawOwners (src/model/contract.ts).
  set(env, obj, "inodes", vector_to_typed_array(env, napi_float64_array, std::move(o.inodes)));
  set(env, obj, "pids", vector_to_typed_array(env, napi_int32_array, std::move(o.pids)));
  set(env, obj, "fds", vector_to_typed_array(env, napi_int32_array, std::move(o.fds)));
  set(env, obj, "procPids", vector_to_typed_array(env, napi_int32_array, std::move(o.proc_pids)));
  set(env, obj, "procUids", vector_to_typed_array(env, napi_uint32_array, std::move(o.proc_uids)));
  set(env, obj, "nameStart", vector_to_typed_array(env, napi_uint32_array, std::move(o.name_start)));
  set(env, obj, "nameLen", vector_to_typed_array(env, napi_uint32_array, std::move(o.name_len)));
  set(env, obj, "commStart", vector_to_typed_array(env, napi_uint32_array, std::move(o.comm_start)));
  set(env, obj, "commLen", vector_to_typed_array(env, napi_uint32_array, std::move(o.comm_len)));
  set(env, obj, "strings", vector_to_typed_array(env, napi_uint8_array, std::move(o.strings)));
  set(env, obj, "pidsScanned", number(env, static_cast<double>(o.pids_scanned)));
  set(env, obj, "pidsVanished", number(env, static_cast<double>(o.pids_vanished)));
  set(env, obj, "pidsDenied", number(env, static_cast<double>(o.pids_denied)));
  set(env, obj, "socketFds", number(env, static_cast<double>(o.socket_fds)));
  if (env.IsExceptionPending()) return Napi::Value();
  return obj;
}

Napi::Value row_text_to_js(Napi::Env env, RowText& text) {
  const size_t rows = text.rows();
  const size_t len = text.size();
  napi_value bytes = typed_array(env, napi_uint8_array, len, adopt_malloc(env, text.release(), len));
  if (bytes == nullptr) return Napi::Value();
  Napi::Object obj = Napi::Object::New(env);
  set(env, obj, "bytes", bytes);
  set(env, obj, "rows", number(env, static_cast<double>(rows)));
  if (env.IsExceptionPending()) return Napi::Value();
  return obj;
}

Napi::Value ParseInet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  std::string proto;
  bool little_endian = false;
  if (!get_bytes(env, info[0], "parseInet: bytes", Detached::kThrow, &bytes, &len)) return Napi::Value();
  if (!get_string(env, info[1], "parseInet: proto", &proto)) return Napi::Value();
  if (proto != "tcp" && proto != "udp" && proto != "udplite" && proto != "raw") {
    throw_type_error(env, "parseInet: proto must be 'tcp', 'udp', 'udplite' or 'raw', got '" + proto + "'");
    return Napi::Value();
  }
  if (!get_boolean(env, info[2], "parseInet: littleEndian", &little_endian)) return Napi::Value();
  Table table;
  if (!build_inet_table(bytes, len, proto != "tcp", little_endian, &table)) {
    throw_allocation_failed(env);
    return Napi::Value();
  }
  return table_to_js(env, table);
}

Napi::Value ParseUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  if (!get_bytes(env, info[0], "parseUnix: bytes", Detached::kThrow, &bytes, &len)) return Napi::Value();
  Table table;
  if (!build_unix_table(bytes, len, &table)) {
    throw_allocation_failed(env);
    return Napi::Value();
  }
  return table_to_js(env, table);
}

Napi::Value ParseSocketLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  if (!get_bytes(env, info[0], "parseSocketLink: link", Detached::kEmpty, &bytes, &len)) return Napi::Value();
  return Napi::Number::New(env, parse_socket_link(bytes, len));
}

Napi::Value ReadProcFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!get_string(env, info[0], "readProcFile: path", &path)) return Napi::Value();
  Napi::Object result = Napi::Object::New(env);
  const auto failed = [&](const char* code) -> Napi::Value {
    result.Set("ok", false);
    result.Set("code", code);
    return result;
  };
  if (has_nul(path)) return failed(kInvalidPathCode);
  std::vector<uint8_t>& scratch = main_scratch();
  size_t used = 0;
  const int err = read_whole_file(AT_FDCWD, path.c_str(), scratch, &used);
  if (err != 0) return failed(errno_code(err));
  // A copy the caller owns, exactly `used` bytes: the scratch buffer is reused by the next call.
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, used);
  if (env.IsExceptionPending()) return Napi::Value();
  if (used > 0) std::memcpy(ab.Data(), scratch.data(), used);
  Napi::Uint8Array bytes = Napi::Uint8Array::New(env, used, ab, 0);
  if (env.IsExceptionPending()) return Napi::Value();
  result.Set("ok", true);
  result.Set("bytes", bytes);
  return result;
}

Napi::Value ScanOwners(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string proc_root;
  if (!get_string(env, info[0], "scanOwners: procRoot", &proc_root)) return Napi::Value();
  Owners owners;
  scan_owners(proc_root, main_scratch(), &owners);
  return owners_to_js(env, owners);
}

namespace {

// A whole number in [1, kMaxThreads] (or [0, kMaxThreads] with allow_zero), else a TypeError.
bool get_threads(Napi::Env env, Napi::Value v, const char* what, bool allow_zero, unsigned* out) {
  const double lo = allow_zero ? 0 : 1;
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d >= lo && d <= kMaxThreads && d == static_cast<double>(static_cast<unsigned>(d))) {
      *out = static_cast<unsigned>(d);
      return true;
    }
  }
  throw_type_error(env, std::string(what) + " must be a whole number from " + (allow_zero ? "0" : "1") + " to " +
                            std::to_string(kMaxThreads));
  return false;
}

}  // namespace

Napi::Value ScanOwnersThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string proc_root;
  unsigned threads = 1;
  if (!get_string(env, info[0], "scanOwnersThreads: procRoot", &proc_root)) return Napi::Value();
  if (!get_threads(env, info[1], "scanOwnersThreads: threads", false, &threads)) return Napi::Value();
  double part_fds = 0;  // optional: the part size of big processes (0: automatic)
  if (!info[2].IsUndefined()) {
    if (info[2].IsNumber()) part_fds = info[2].As<Napi::Number>().DoubleValue();
    if (!info[2].IsNumber() || !(part_fds >= 0 && part_fds <= 4294967295.0) || part_fds != static_cast<double>(static_cast<uint64_t>(part_fds))) {
      throw_type_error(env, "scanOwnersThreads: partFds must be a whole number from 0 to 4294967295");
      return Napi::Value();
    }
  }
  Owners owners;
  scan_owners_threads(proc_root, threads, main_scratch(), &owners, static_cast<uint64_t>(part_fds));
  return owners_to_js(env, owners);
}

Napi::Value SetOwnerSource(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Value v = info[0];
  const std::string source = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (source != "auto" && source != "bpf" && source != "proc") {
    throw_type_error(env, "setOwnerSource: source must be 'auto', 'bpf' or 'proc'");
    return Napi::Value();
  }
  set_owner_source(source == "proc" ? OwnerSource::kProc : source == "bpf" ? OwnerSource::kBpf : OwnerSource::kAuto);
  return env.Undefined();
}

Napi::Value GetOwnerSource(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BpfState st = bpf_state();
  Napi::Object out = Napi::Object::New(env);
  const OwnerSource source = owner_source();
  out.Set("source", Napi::String::New(env, source == OwnerSource::kProc ? "proc" : source == OwnerSource::kBpf ? "bpf" : "auto"));
  out.Set("bpfTried", Napi::Boolean::New(env, st.tried));
  out.Set("bpfError", st.error.empty() ? env.Null() : Napi::String::New(env, st.error));
  out.Set("bpfScans", Napi::Number::New(env, static_cast<double>(st.reads)));
  return out;
}

Napi::Value BtfLayoutOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  if (!get_bytes(env, info[0], "btfLayout: btf", Detached::kEmpty, &bytes, &len)) return Napi::Value();
  BtfLayout l;
  std::string why;
  Napi::Object out = Napi::Object::New(env);
  if (!btf_find_layout(bytes, len, &l, &why)) {
    out.Set("error", Napi::String::New(env, why));
    return out;
  }
  const std::pair<const char*, uint32_t> fields[] = {
      {"iterFuncId", l.iter_func_id}, {"taskTgid", l.task_tgid},     {"taskPid", l.task_pid},   {"taskThreadPid", l.task_thread_pid},
      {"fileInode", l.file_inode},    {"inodeMode", l.inode_mode},   {"inodeIno", l.inode_ino}, {"pidLevel", l.pid_level},
      {"pidNumbers", l.pid_numbers},  {"upidSize", l.upid_size},     {"upidNr", l.upid_nr},
  };
  for (const auto& f : fields) out.Set(f.first, Napi::Number::New(env, f.second));
  return out;
}

Napi::Value TcpInfoFields(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, kTcpInfoFieldCount);
  for (size_t k = 0; k < kTcpInfoFieldCount; k++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Number::New(env, kTcpInfoFields[k].offset));
    pair.Set(1u, Napi::Number::New(env, kTcpInfoFields[k].size));
    out.Set(static_cast<uint32_t>(k), pair);
    if (env.IsExceptionPending()) return Napi::Value();
  }
  return out;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned threads = 0;
  if (!get_threads(env, info[0], "setThreads: threads", true, &threads)) return Napi::Value();
  set_thread_override(threads);
  return env.Undefined();
}

namespace {

// The JavaScript object of one subscription (DestroySubscription of src/model/contract.ts). Made
// by OpenDestroyEvents() only; an object made through its constructor property has no
// subscription and reads as a closed one.
class DestroyEventsObject : public Napi::ObjectWrap<DestroyEventsObject> {
 public:
  explicit DestroyEventsObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DestroyEventsObject>(info) {}
  // The finalizer (garbage collection, or the environment's teardown): the thread is stopped and
  // joined here when close() was never called.
  ~DestroyEventsObject() override = default;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DestroySubscription",
                       {InstanceMethod<&DestroyEventsObject::Read>("read"),
                        InstanceMethod<&DestroyEventsObject::Close>("close"),
                        InstanceAccessor<&DestroyEventsObject::Rcvbuf>("rcvbuf")});
  }

  std::unique_ptr<DestroySubscription> sub;

 private:
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DestroyBatch batch;
    if (!sub || !sub->read(&batch)) return env.Null();
    const int err = sub->error();
    Napi::Object out = Napi::Object::New(env);
    set(env, out, "table", table_to_js(env, batch.table));
    set(env, out, "received", number(env, static_cast<double>(batch.received)));
    set(env, out, "dropped", number(env, static_cast<double>(batch.dropped)));
    set(env, out, "overflows", number(env, static_cast<double>(batch.overflows)));
    set(env, out, "lost", number(env, static_cast<double>(batch.lost)));
    set(env, out, "error", err == 0 ? static_cast<napi_value>(env.Null()) : Napi::String::New(env, errno_code(err)));
    if (env.IsExceptionPending()) return Napi::Value();
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (sub) sub->close();
    return info.Env().Undefined();
  }

  Napi::Value Rcvbuf(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sub ? sub->rcvbuf() : 0);
  }
};

// Per environment (worker_threads each load the addon): the class, made on first use.
struct AddonData {
  Napi::FunctionReference destroy_events_class;
};

Napi::Function destroy_events_class(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData<AddonData>(data);
  }
  if (data->destroy_events_class.IsEmpty()) {
    Napi::Function f = DestroyEventsObject::Define(env);
    if (env.IsExceptionPending()) return Napi::Function();
    data->destroy_events_class = Napi::Persistent(f);
  }
  return data->destroy_events_class.Value();
}

// options.NAME: undefined, or a whole number in [lo, hi].
bool get_optional_count(Napi::Env env, Napi::Object options, const char* name, double lo, double hi, double* out) {
  Napi::Value v = options.Get(name);
  if (env.IsExceptionPending()) return false;
  if (v.IsUndefined()) return true;
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d >= lo && d <= hi && d == static_cast<double>(static_cast<int64_t>(d))) {
      *out = d;
      return true;
    }
  }
  char lo_text[32], hi_text[32];
  std::snprintf(lo_text, sizeof lo_text, "%.0f", lo);
  std::snprintf(hi_text, sizeof hi_text, "%.0f", hi);
  throw_type_error(env, std::string("openDestroyEvents: options.") + name + " must be a whole number from " + lo_text +
                            " to " + hi_text);
  return false;
}

}  // namespace

Napi::Value OpenDestroyEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DestroyOptions options;
  std::string netns;
  if (!info[0].IsUndefined()) {
    if (!info[0].IsObject() || info[0].IsArray() || info[0].IsFunction()) {
      throw_type_error(env, "openDestroyEvents: options must be an object");
      return Napi::Value();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value ns = o.Get("netns");
    if (env.IsExceptionPending()) return Napi::Value();
    if (!ns.IsUndefined()) {
      if (!get_string(env, ns, "openDestroyEvents: options.netns", &netns)) return Napi::Value();
      if (has_nul(netns)) {
        throw_type_error(env, "openDestroyEvents: options.netns must be a path without NUL bytes");
        return Napi::Value();
      }
      options.netns = netns.c_str();
    }
    double rcvbuf = options.rcvbuf;
    double max_rows = static_cast<double>(options.max_rows);
    if (!get_optional_count(env, o, "rcvbuf", 1, 2147483647.0, &rcvbuf)) return Napi::Value();
    if (!get_optional_count(env, o, "maxRows", 1, static_cast<double>(kDestroyMaxRows), &max_rows)) return Napi::Value();
    options.rcvbuf = static_cast<int>(rcvbuf);
    options.max_rows = static_cast<size_t>(max_rows);
  }
  Napi::Function cls = destroy_events_class(env);
  if (env.IsExceptionPending()) return Napi::Value();
  std::unique_ptr<DestroySubscription> sub;
  const char* step = "";
  const int err = DestroySubscription::open(options, &sub, &step);
  if (err != 0) {
    const char* code = errno_code(err);
    Napi::Error e = Napi::Error::New(env, std::string("openDestroyEvents: ") + step + ": " + code);
    e.Set("code", Napi::String::New(env, code));
    e.Set("step", Napi::String::New(env, step));
    e.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  Napi::Object obj = cls.New({});
  if (env.IsExceptionPending()) return Napi::Value();  // `sub` closes itself on the way out
  DestroyEventsObject::Unwrap(obj)->sub = std::move(sub);
  return obj;
}

}  // namespace js
}  // namespace netsnap

namespace netsnap {
namespace js {
namespace {

// The data of `v`, a typed array of `type` with at least `need` elements; throws a TypeError naming
// `what` and returns null otherwise. A detached or empty view is valid only when need is 0. Runs no
// JavaScript (the caller has read every value first: a getter could detach a buffer).
const void* view_of(Napi::Env env, Napi::Value v, const char* what, napi_typedarray_type type, size_t need,
                    size_t* length = nullptr, const char* fn = "formatInetRows") {
  napi_typedarray_type actual;
  size_t n = 0;
  void* d = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &actual, &n, &d, nullptr, nullptr) != napi_ok ||
      actual != type) {
    throw_type_error(env, std::string(fn) + ": " + what + " must be a typed array of its column's type");
    return nullptr;
  }
  if (d == nullptr) n = 0;
  if (n < need) {
    throw_type_error(env, std::string(fn) + ": " + what + " is shorter than the rows asked for");
    return nullptr;
  }
  if (length != nullptr) *length = n;
  static uint8_t none = 0;  // never written: a view of 0 elements is asked for 0 rows
  return d != nullptr ? d : &none;
}

// A DetailSpec (src/model/contract.ts) as read from JavaScript: every value first, then the views
// (take_details), so that no getter runs once a data pointer is held.
struct DetailValues {
  static constexpr const char* kArrays[] = {"state", "infoLen", "infoU32", "infoF64", "cong", "congText", "congEnds",
                                            "memCount", "mem", "cgroupId", "cgroupIds", "cgroupEnds", "cgroupText"};
  static constexpr size_t kCount = sizeof kArrays / sizeof kArrays[0];
  Napi::Value rows, fields;
  Napi::Value arrays[kCount];
  bool info = false, memory = false, cgroup = false, numeric = false, tcp = false;
};

DetailValues detail_values(Napi::Object o) {
  DetailValues v;
  v.rows = o.Get("rows");
  v.fields = o.Get("fields");
  for (size_t k = 0; k < DetailValues::kCount; k++) v.arrays[k] = o.Get(DetailValues::kArrays[k]);
  v.info = o.Get("info").ToBoolean().Value();
  v.memory = o.Get("memory").ToBoolean().Value();
  v.cgroup = o.Get("cgroup").ToBoolean().Value();
  v.numeric = o.Get("numeric").ToBoolean().Value();
  v.tcp = o.Get("tcp").ToBoolean().Value();
  return v;
}

// Ends of texts: increasing, the last within `len`.
bool ends_fit(const uint32_t* ends, size_t n, size_t len, size_t* longest) {
  uint32_t prev = 0;
  *longest = 0;
  for (size_t k = 0; k < n; k++) {
    if (ends[k] < prev || ends[k] > len) return false;
    *longest = std::max<size_t>(*longest, ends[k] - prev);
    prev = ends[k];
  }
  return true;
}

// The extension columns of a DetailSpec (details.infoLen and the rest) into `d`.
bool take_ext(Napi::Env env, const Napi::Value* a, size_t n, DetailColumns* d, const char* fn) {
  if (!(d->info_len = static_cast<const uint16_t*>(view_of(env, a[1], "details.infoLen", napi_uint16_array, n, nullptr, fn)))) return false;
  if (!(d->info_u32 = static_cast<const uint32_t*>(view_of(env, a[2], "details.infoU32", napi_uint32_array, kTcpInfoU32Columns * n, nullptr, fn)))) return false;
  if (!(d->info_f64 = static_cast<const double*>(view_of(env, a[3], "details.infoF64", napi_float64_array, kTcpInfoF64Columns * n, nullptr, fn)))) return false;
  if (!(d->cong = static_cast<const uint8_t*>(view_of(env, a[4], "details.cong", napi_uint8_array, n, nullptr, fn)))) return false;
  size_t text_len = 0, names = 0, longest = 0;
  if (!(d->cong_text = static_cast<const uint8_t*>(view_of(env, a[5], "details.congText", napi_uint8_array, 0, &text_len, fn)))) return false;
  if (!(d->cong_ends = static_cast<const uint32_t*>(view_of(env, a[6], "details.congEnds", napi_uint32_array, 0, &names, fn)))) return false;
  if (!ends_fit(d->cong_ends, names, text_len, &longest)) {
    throw_type_error(env, std::string(fn) + ": details.congEnds must increase within details.congText");
    return false;
  }
  d->cong_names = names;
  if (!(d->mem_count = static_cast<const uint8_t*>(view_of(env, a[7], "details.memCount", napi_uint8_array, n, nullptr, fn)))) return false;
  size_t mem_len = 0;
  const void* mem = view_of(env, a[8], "details.mem", napi_uint32_array, 0, &mem_len, fn);
  if (mem == nullptr) return false;
  if (mem_len != 0 && mem_len < kSkMemFields * n) {
    throw_type_error(env, std::string(fn) + ": details.mem is shorter than the rows asked for");
    return false;
  }
  d->mem = mem_len == 0 ? nullptr : static_cast<const uint32_t*>(mem);
  return true;
}

// The views of a DetailSpec into `d`, every length checked; false with a TypeError thrown.
bool take_details(Napi::Env env, const DetailValues& v, DetailColumns* d, const char* fn) {
  const double rows = v.rows.IsNumber() ? v.rows.As<Napi::Number>().DoubleValue() : -1;
  if (!(rows >= 0 && rows <= 1e9) || rows != static_cast<double>(static_cast<size_t>(rows))) {
    throw_type_error(env, std::string(fn) + ": details.rows must be a whole number of rows");
    return false;
  }
  if (!v.fields.IsUndefined()) {
    throw_type_error(env, std::string(fn) + ": the table decoded only some tcp_info fields (infoFields); a detail line needs them all");
    return false;
  }
  const size_t n = static_cast<size_t>(rows);
  const Napi::Value* a = v.arrays;
  d->rows = n;
  if (!(d->state = static_cast<const uint8_t*>(view_of(env, a[0], "details.state", napi_uint8_array, n, nullptr, fn)))) return false;
  // A table without extension columns (--cgroup alone) shows its cgroups only.
  const bool ext = !a[1].IsUndefined();
  if (ext && !take_ext(env, a, n, d, fn)) return false;
  size_t text_len = 0, longest = 0;
  if (!a[9].IsUndefined() && !a[9].IsNull()) {
    if (!(d->cgroup_id = static_cast<const uint64_t*>(view_of(env, a[9], "details.cgroupId", napi_biguint64_array, n, nullptr, fn)))) return false;
  }
  size_t ids = 0, ends = 0;
  if (!(d->cgroup_ids = static_cast<const uint64_t*>(view_of(env, a[10], "details.cgroupIds", napi_biguint64_array, 0, &ids, fn)))) return false;
  if (!(d->cgroup_ends = static_cast<const uint32_t*>(view_of(env, a[11], "details.cgroupEnds", napi_uint32_array, ids, &ends, fn)))) return false;
  if (!(d->cgroup_text = static_cast<const uint8_t*>(view_of(env, a[12], "details.cgroupText", napi_uint8_array, 0, &text_len, fn)))) return false;
  bool increasing = true;
  for (size_t k = 1; k < ids; k++) increasing = increasing && d->cgroup_ids[k - 1] < d->cgroup_ids[k];
  if (!increasing || !ends_fit(d->cgroup_ends, ids, text_len, &longest) || longest > (1u << 20)) {
    throw_type_error(env, std::string(fn) + ": details.cgroupIds must increase, with their texts (at most 1 MiB each) within details.cgroupText");
    return false;
  }
  d->cgroups = ids;
  d->cgroup_text_max = longest;
  d->info = v.info && ext;
  d->memory = v.memory && ext;
  d->cgroup = v.cgroup;
  d->numeric = v.numeric;
  d->tcp = v.tcp;
  return true;
}

}  // namespace

// A table kept from ownerLookup(): its starts, lo and shift (starts null: none given).
struct KeptTable {
  const uint32_t* starts = nullptr;
  size_t n_starts = 0;
  uint64_t lo = 0;
  unsigned shift = 0;
};

// format_inet_rows() over parts of the rows at once, one worker each (the calling thread is one):
// part k writes where its first row may start (room is kRowMax beyond the label per row), then the
// parts are moved together in order. The owner lookup (the kept table, or one made here) is shared
// by all of them. Small calls, one CPU or setThreads(1): the calling thread alone.
size_t format_rows_parallel(const InetColumns& c, const RowFormat& f, char* out, const KeptTable& kept) {
  constexpr size_t kRowsPerPart = 8192;
  unsigned parts = thread_override() != 0 ? thread_override() : hardware_threads();
  if (parts > 4) parts = 4;  // the rows are a few milliseconds' work
  if (c.count / kRowsPerPart < parts) parts = static_cast<unsigned>(c.count / kRowsPerPart);
  const OwnerLookup lookup =
      f.owners == nullptr ? OwnerLookup(nullptr, 0, false)
      : kept.starts != nullptr
          ? OwnerLookup(f.owners->inodes, f.owners->entries, kept.starts, kept.n_starts, kept.lo, kept.shift)
          : OwnerLookup(f.owners->inodes, f.owners->entries, owner_lookup_pays(f.owners->entries, c.count));
  if (parts <= 1) return format_inet_rows(c, f, out, &lookup);
  const size_t room = f.label_len + kRowMax + (f.details != nullptr ? detail_room(*f.details) : 0);
  std::vector<size_t> first(parts + 1), used(parts, 0);
  for (unsigned k = 0; k <= parts; k++) first[k] = c.count * k / parts;
  std::atomic<unsigned> next{0};
  auto body = [&](unsigned) {
    for (unsigned k; (k = next.fetch_add(1)) < parts;) {
      InetColumns part = c;
      const size_t r = first[k];
      part.count = first[k + 1] - r;
      part.family += r;
      part.state += r;
      part.local_addr += 16 * r;
      part.remote_addr += 16 * r;
      part.local_port += r;
      part.remote_port += r;
      part.tx_queue += r;
      part.rx_queue += r;
      part.inode += r;
      RowFormat pf = f;
      pf.detail_first += r;
      used[k] = format_inet_rows(part, pf, out + r * room, &lookup);
    }
  };
  run_workers(parts, body);  // a worker that cannot start leaves its parts to the others
  size_t at = used[0];
  for (unsigned k = 1; k < parts; k++) {
    std::memmove(out + at, out + first[k] * room, used[k]);
    at += used[k];
  }
  return at;
}

// ownerLookup(inodes: Float64Array) -> { starts: Uint32Array, lo, shift } | null: format.h's
// OwnerLookup table over a RawOwners' inodes (null for fewer than kOwnerLookupMinEntries of them, or
// when they are not sorted whole numbers), which the
// caller keeps beside them and hands to formatInetRows with each chunk of rows, so that a listing
// builds it once.
Napi::Value OwnerLookupTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw_type_error(env, "ownerLookup(inodes) needs a Float64Array");
    return Napi::Value();
  }
  size_t entries = 0;
  const double* inodes = static_cast<const double*>(view_of(env, info[0], "inodes", napi_float64_array, 0, &entries));
  if (inodes == nullptr) return Napi::Value();
  const OwnerLookup lookup(inodes, entries, entries >= kOwnerLookupMinEntries);
  if (!lookup.indexed()) return env.Null();
  Napi::Uint32Array starts = Napi::Uint32Array::New(env, lookup.table_size());
  std::memcpy(starts.Data(), lookup.table(), lookup.table_size() * sizeof(uint32_t));
  Napi::Object out = Napi::Object::New(env);
  out.Set("starts", starts);
  out.Set("lo", Napi::Number::New(env, static_cast<double>(lookup.lo())));
  out.Set("shift", Napi::Number::New(env, lookup.shift()));
  return out;
}

// formatInetRows(columns, count, format, owners | null, out, lookup?) -> bytes written into out:
// format.h's rows; out (a Uint8Array) holds count * (label length + kRowMax) bytes at least. columns
// holds the InetTable's family, state, localAddr, remoteAddr, localPort, remotePort, txQueue,
// rxQueue and inode; format is { label: Uint8Array, stateCells: Uint8Array (256 x 16 bytes: length,
// then the cell; unused for raw), proto: 'tcp' | 'udp' | 'raw', show: 'all' | 'servers' | 'others',
// wide: boolean }; owners is a RawOwners (the "PID/Program name" column) or null; lookup, what
// ownerLookup(owners.inodes) gave (taken when it fits them, see OwnerLookup).
Napi::Value FormatInetRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsObject() || !info[1].IsNumber() || !info[2].IsObject()) {
    throw_type_error(env, "formatInetRows(columns, count, format, owners, out) needs two objects, a row count and out");
    return Napi::Value();
  }
  const double count_arg = info[1].As<Napi::Number>().DoubleValue();
  if (!(count_arg >= 0 && count_arg <= 1e9) || count_arg != static_cast<double>(static_cast<size_t>(count_arg))) {
    throw_type_error(env, "formatInetRows: count must be a whole number of rows");
    return Napi::Value();
  }
  const size_t n = static_cast<size_t>(count_arg);
  const bool with_owners = !info[3].IsNull() && !info[3].IsUndefined();
  if (with_owners && !info[3].IsObject()) {
    throw_type_error(env, "formatInetRows: owners must be a RawOwners or null");
    return Napi::Value();
  }

  // Every value first: property getters and toString() are JavaScript, which could detach a buffer
  // whose data pointer were already taken. From the views on, no JavaScript runs.
  static const char* const kColumns[] = {"family", "state", "localAddr", "remoteAddr", "localPort",
                                         "remotePort", "txQueue", "rxQueue", "inode"};
  static const char* const kOwners[] = {"inodes", "pids", "procPids", "nameStart", "nameLen", "strings"};
  Napi::Object c = info[0].As<Napi::Object>();
  Napi::Object fo = info[2].As<Napi::Object>();
  Napi::Value col[9], own[6];
  for (size_t k = 0; k < 9; k++) col[k] = c.Get(kColumns[k]);
  if (with_owners)
    for (size_t k = 0; k < 6; k++) own[k] = info[3].As<Napi::Object>().Get(kOwners[k]);
  Napi::Value kept_starts, kept_lo, kept_shift;
  const bool with_lookup = with_owners && info.Length() > 5 && info[5].IsObject();
  if (with_lookup) {
    Napi::Object lk = info[5].As<Napi::Object>();
    kept_starts = lk.Get("starts");
    kept_lo = lk.Get("lo");
    kept_shift = lk.Get("shift");
  }
  const Napi::Value label = fo.Get("label");
  const Napi::Value cells = fo.Get("stateCells");
  const std::string proto = fo.Get("proto").ToString().Utf8Value();
  const std::string show = fo.Get("show").ToString().Utf8Value();
  const bool wide = fo.Get("wide").ToBoolean().Value();
  const Napi::Value details_arg = fo.Get("details");
  const Napi::Value detail_first_arg = fo.Get("detailFirst");
  const bool with_details = details_arg.IsObject();
  DetailValues detail_vals;
  if (with_details) detail_vals = detail_values(details_arg.As<Napi::Object>());
  if (env.IsExceptionPending()) return Napi::Value();

  RowFormat f;
  f.wide = wide;
  if (proto == "tcp") f.proto = RowProto::kTcp;
  else if (proto == "udp") f.proto = RowProto::kUdp;
  else if (proto == "raw") f.proto = RowProto::kRaw;
  else {
    throw_type_error(env, "formatInetRows: format.proto must be 'tcp', 'udp' or 'raw'");
    return Napi::Value();
  }
  if (show == "all") f.show = RowShow::kAll;
  else if (show == "servers") f.show = RowShow::kServers;
  else if (show == "others") f.show = RowShow::kOthers;
  else {
    throw_type_error(env, "formatInetRows: format.show must be 'all', 'servers' or 'others'");
    return Napi::Value();
  }

  InetColumns cols;
  cols.count = n;
  if (!(cols.family = static_cast<const uint8_t*>(view_of(env, col[0], kColumns[0], napi_uint8_array, n)))) return Napi::Value();
  if (!(cols.state = static_cast<const uint8_t*>(view_of(env, col[1], kColumns[1], napi_uint8_array, n)))) return Napi::Value();
  if (!(cols.local_addr = static_cast<const uint8_t*>(view_of(env, col[2], kColumns[2], napi_uint8_array, 16 * n)))) return Napi::Value();
  if (!(cols.remote_addr = static_cast<const uint8_t*>(view_of(env, col[3], kColumns[3], napi_uint8_array, 16 * n)))) return Napi::Value();
  if (!(cols.local_port = static_cast<const uint16_t*>(view_of(env, col[4], kColumns[4], napi_uint16_array, n)))) return Napi::Value();
  if (!(cols.remote_port = static_cast<const uint16_t*>(view_of(env, col[5], kColumns[5], napi_uint16_array, n)))) return Napi::Value();
  if (!(cols.tx_queue = static_cast<const uint32_t*>(view_of(env, col[6], kColumns[6], napi_uint32_array, n)))) return Napi::Value();
  if (!(cols.rx_queue = static_cast<const uint32_t*>(view_of(env, col[7], kColumns[7], napi_uint32_array, n)))) return Napi::Value();
  if (!(cols.inode = static_cast<const double*>(view_of(env, col[8], kColumns[8], napi_float64_array, n)))) return Napi::Value();
  if (!(f.label = static_cast<const uint8_t*>(view_of(env, label, "label", napi_uint8_array, 0, &f.label_len)))) return Napi::Value();
  if (f.proto != RowProto::kRaw &&
      !(f.state_cells = static_cast<const uint8_t*>(view_of(env, cells, "stateCells", napi_uint8_array, kStateCellsBytes)))) {
    return Napi::Value();
  }

  OwnerColumns owners;
  if (with_owners) {
    size_t entries = 0, processes = 0;
    if (!(owners.inodes = static_cast<const double*>(view_of(env, own[0], kOwners[0], napi_float64_array, 0, &entries)))) return Napi::Value();
    owners.entries = entries;
    if (!(owners.pids = static_cast<const int32_t*>(view_of(env, own[1], kOwners[1], napi_int32_array, entries)))) return Napi::Value();
    if (!(owners.proc_pids = static_cast<const int32_t*>(view_of(env, own[2], kOwners[2], napi_int32_array, 0, &processes)))) return Napi::Value();
    owners.processes = processes;
    if (!(owners.name_start = static_cast<const uint32_t*>(view_of(env, own[3], kOwners[3], napi_uint32_array, processes)))) return Napi::Value();
    if (!(owners.name_len = static_cast<const uint32_t*>(view_of(env, own[4], kOwners[4], napi_uint32_array, processes)))) return Napi::Value();
    if (!(owners.strings = static_cast<const uint8_t*>(view_of(env, own[5], kOwners[5], napi_uint8_array, 0, &owners.strings_len)))) return Napi::Value();
    if (!owner_names_fit(owners)) {
      throw_type_error(env, "formatInetRows: owners.nameStart/nameLen point outside owners.strings");
      return Napi::Value();
    }
    f.owners = &owners;
  }

  DetailColumns details;
  if (with_details) {
    if (!take_details(env, detail_vals, &details, "formatInetRows")) return Napi::Value();
    const double first = detail_first_arg.IsNumber() ? detail_first_arg.As<Napi::Number>().DoubleValue() : -1;
    if (!(first >= 0 && first <= static_cast<double>(details.rows)) || first != static_cast<double>(static_cast<size_t>(first)) ||
        details.rows - static_cast<size_t>(first) < n) {
      throw_type_error(env, "formatInetRows: format.detailFirst + count must lie within details.rows");
      return Napi::Value();
    }
    f.details = &details;
    f.detail_first = static_cast<size_t>(first);
  }

  // The rows go straight into `out`, which must have room for the longest rows (format.h): the
  // caller keeps one such buffer and hands it over chunk after chunk (netstat.ts FAST_CHUNK: 16,384 rows).
  const size_t per_row = f.label_len + kRowMax + (with_details ? detail_room(details) : 0);
  if (f.label_len > kMaxRowLabel || n > SIZE_MAX / per_row) {
    throw_type_error(env, "formatInetRows: too many rows or too long a label");
    return Napi::Value();
  }
  char* out = static_cast<char*>(const_cast<void*>(view_of(env, info[4], "out", napi_uint8_array, n * per_row)));
  if (out == nullptr) return Napi::Value();
  KeptTable kept;
  if (with_lookup && kept_lo.IsNumber() && kept_shift.IsNumber()) {
    const double lo = kept_lo.As<Napi::Number>().DoubleValue(), shift = kept_shift.As<Napi::Number>().DoubleValue();
    size_t n_starts = 0;
    const uint32_t* starts =
        kept_starts.IsTypedArray() ? static_cast<const uint32_t*>(view_of(env, kept_starts, "lookup.starts", napi_uint32_array, 0, &n_starts)) : nullptr;
    if (env.IsExceptionPending()) return Napi::Value();
    if (starts != nullptr && lo >= 0 && lo < 9007199254740992.0 && shift >= 0 && shift < 64 && shift == static_cast<double>(static_cast<unsigned>(shift))) {
      kept = KeptTable{starts, n_starts, static_cast<uint64_t>(lo), static_cast<unsigned>(shift)};
    }
  }
  return Napi::Number::New(env, static_cast<double>(format_rows_parallel(cols, f, out, kept)));
}

// formatDetailLines(details, first, count, out, ends) -> bytes written into out: the detail lines
// of rows [first, first + count) of a DetailSpec (format.h, format_detail_line), one after the
// other; ends[i] is where row first + i's line ends (equal to the one before for a row without
// one). `out` holds at least count * (FORMAT_DETAIL_MAX + the longest cgroup text) bytes.
Napi::Value FormatDetailLines(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "formatDetailLines";
  if (info.Length() < 5 || !info[0].IsObject() || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw_type_error(env, "formatDetailLines(details, first, count, out, ends) needs a DetailSpec, two row numbers, out and ends");
    return Napi::Value();
  }
  const DetailValues vals = detail_values(info[0].As<Napi::Object>());
  if (env.IsExceptionPending()) return Napi::Value();
  DetailColumns d;
  if (!take_details(env, vals, &d, kFn)) return Napi::Value();
  const double first_arg = info[1].As<Napi::Number>().DoubleValue(), count_arg = info[2].As<Napi::Number>().DoubleValue();
  const auto whole = [](double x) { return x >= 0 && x <= 1e9 && x == static_cast<double>(static_cast<size_t>(x)); };
  if (!whole(first_arg) || !whole(count_arg) || static_cast<size_t>(first_arg) + static_cast<size_t>(count_arg) > d.rows) {
    throw_type_error(env, "formatDetailLines: first + count must lie within details.rows");
    return Napi::Value();
  }
  const size_t first = static_cast<size_t>(first_arg), n = static_cast<size_t>(count_arg);
  const size_t room = detail_room(d);
  char* out = static_cast<char*>(const_cast<void*>(view_of(env, info[3], "out", napi_uint8_array, n * room, nullptr, kFn)));
  if (out == nullptr) return Napi::Value();
  uint32_t* ends = static_cast<uint32_t*>(const_cast<void*>(view_of(env, info[4], "ends", napi_uint32_array, n, nullptr, kFn)));
  if (ends == nullptr) return Napi::Value();
  if (n * room > UINT32_MAX) {
    throw_type_error(env, "formatDetailLines: too many rows for one call");
    return Napi::Value();
  }
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    at += format_detail_line(d, first + i, out + at);
    ends[i] = static_cast<uint32_t>(at);
  }
  return Napi::Number::New(env, static_cast<double>(at));
}

}  // namespace js
}  // namespace netsnap
