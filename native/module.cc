// Entry point of netsnap.node: registers the exports, nothing else. The exports implement the
// Backend interface of src/model/contract.ts, function for function, byte for byte.
#include <napi.h>

#include "js_api.h"
#include "sample.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace netsnap;
  exports.Set("parseInet", Napi::Function::New(env, js::ParseInet, "parseInet"));
  exports.Set("parseUnix", Napi::Function::New(env, js::ParseUnix, "parseUnix"));
  exports.Set("parseSocketLink", Napi::Function::New(env, js::ParseSocketLink, "parseSocketLink"));
  exports.Set("readProcFile", Napi::Function::New(env, js::ReadProcFile, "readProcFile"));
  exports.Set("scanOwners", Napi::Function::New(env, js::ScanOwners, "scanOwners"));
  exports.Set("sample", Napi::Function::New(env, Sample, "sample"));
  exports.Set("sampleAsync", Napi::Function::New(env, SampleAsync, "sampleAsync"));
  exports.Set("openDestroyEvents", Napi::Function::New(env, js::OpenDestroyEvents, "openDestroyEvents"));
  // Not part of Backend: numeric netstat rows for the command line (format.h).
  exports.Set("formatInetRows", Napi::Function::New(env, js::FormatInetRows, "formatInetRows"));
  exports.Set("ownerLookup", Napi::Function::New(env, js::OwnerLookupTable, "ownerLookup"));
  exports.Set("formatDetailLines", Napi::Function::New(env, js::FormatDetailLines, "formatDetailLines"));
  // Native-only test and benchmark hooks (not part of Backend).
  exports.Set("scanOwnersThreads", Napi::Function::New(env, js::ScanOwnersThreads, "scanOwnersThreads"));
  exports.Set("setThreads", Napi::Function::New(env, js::SetThreads, "setThreads"));
  exports.Set("setOwnerSource", Napi::Function::New(env, js::SetOwnerSource, "setOwnerSource"));
  exports.Set("ownerSource", Napi::Function::New(env, js::GetOwnerSource, "ownerSource"));
  exports.Set("btfLayout", Napi::Function::New(env, js::BtfLayoutOf, "btfLayout"));
  exports.Set("tcpInfoFields", Napi::Function::New(env, js::TcpInfoFields, "tcpInfoFields"));
  exports.Set("setFeedLockstep", Napi::Function::New(env, SetFeedLockstep, "setFeedLockstep"));
  exports.Set("setGiveWay", Napi::Function::New(env, SetGiveWay, "setGiveWay"));
  exports.Set("giveWayCounts", Napi::Function::New(env, GiveWayCounts, "giveWayCounts"));
  exports.Set("parseAsideDumps", Napi::Function::New(env, ParseAsideDumps, "parseAsideDumps"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netsnap, Init)
