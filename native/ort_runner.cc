// A lean session runner over ONNX Runtime's C API, for the library that onnxruntime-node ships.
// onnxruntime-node copies every output into a fresh ArrayBuffer after each run, even one written
// into a preallocated tensor (measured: ~0.25 ms per MB of gradients a step), and runs on the
// main thread only. This runner writes outputs into the caller's buffers and nothing else, and can
// run on a libuv worker thread so that JavaScript (or another session) proceeds meanwhile.
//
//   ortOpen(libraryPath) → version string
//   ortCreateSession(modelBytes: Uint8Array, threads, spin: boolean, profilePrefix?: string) → session
//   ortSessionNames(session) → { inputs, outputs }; ortRelease(session)
//   ortPlan(session, inputNames: string[], outputNames: string[]) → plan
//   ortRun(plan, inputs: Tensor[], outputs: Tensor[]) / ortRunAsync(...) → Promise
//   ortFinishedRuns() → asynchronous runs finished on their worker thread whose promise is not yet
//     settled (it settles when the main thread returns to the event loop)
// where a Tensor is any { type, dims, data } (an onnxruntime-common Tensor qualifies). Every output
// is preallocated by the caller. Synchronous runs keep each position's last two wrapped tensors and
// reuse one when the same object comes back over the same data, so a tensor's dims must not change
// once it has been run (onnxruntime-common's never do).
#include <node_api.h>
#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include "flush_denormals.h"
#include "ort_abi.h"

namespace {

using namespace ort_abi;

// Process-wide, set once under g_open (worker threads may open concurrently), read-only after.
std::mutex g_open;
const void* const* g_api = nullptr;
// Counted across the process (every Node environment that loads the addon): a caller may yield
// once more than it needed to, never less.
std::atomic<int> g_finished_runs{0};
Env* g_env = nullptr;
MemoryInfo* g_cpu = nullptr;

void ThrowError(napi_env env, const std::string& message) { napi_throw_error(env, nullptr, message.c_str()); }

// The library's OrtGetApiBase, or null with `why` set.
void* LoadApiBase(const std::string& path, std::string* why) {
#if defined(_WIN32)
  HMODULE lib = LoadLibraryA(path.c_str());
  if (!lib) return *why = "LoadLibrary failed", nullptr;
  return reinterpret_cast<void*>(GetProcAddress(lib, "OrtGetApiBase"));
#else
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* error = dlerror();
    return *why = error ? error : "dlopen failed", nullptr;
  }
  return dlsym(lib, "OrtGetApiBase");
#endif
}

std::string TakeError(StatusPtr status) { return ErrorOf(g_api, status); }

std::string GetString(napi_env env, napi_value value) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return "";
  std::string s(length, '\0');
  napi_get_value_string_utf8(env, value, s.data(), length + 1, &length);
  return s;
}

bool GetStrings(napi_env env, napi_value array, std::vector<std::string>* out) {
  bool is_array = false;
  napi_is_array(env, array, &is_array);
  if (!is_array) return false;
  uint32_t n = 0;
  napi_get_array_length(env, array, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, array, i, &item);
    out->push_back(GetString(env, item));
  }
  return true;
}

// ortOpen(path): load ONNX Runtime from `path` and create the process-wide environment.
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const std::string path = GetString(env, argv[0]);
  std::string why;
  auto get_base = reinterpret_cast<const ApiBase* (*)()>(LoadApiBase(path, &why));
  if (!why.empty()) {
    ThrowError(env, "ortOpen: cannot load " + path + ": " + why);
    return nullptr;
  }
  const ApiBase* base = get_base ? get_base() : nullptr;
  const void* const* api = base ? base->GetApi(kOrtApiVersion) : nullptr;
  if (!api) {
    ThrowError(env, "ortOpen: " + path + " does not provide ONNX Runtime's C API version " + std::to_string(kOrtApiVersion));
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(g_open);
  if (!g_api) {
    // ONNX Runtime keeps one environment per process: this returns the one onnxruntime-node made.
    Env* ort_env = nullptr;
    MemoryInfo* cpu = nullptr;
    std::string err = ErrorOf(api, At<CreateEnvFn>(api, kCreateEnv)(kLoggingWarning, "mat", &ort_env));
    if (err.empty()) err = ErrorOf(api, At<CreateCpuMemoryInfoFn>(api, kCreateCpuMemoryInfo)(kArenaAllocator, kMemTypeDefault, &cpu));
    if (!err.empty()) {
      ThrowError(env, "ortOpen: " + err);
      return nullptr;
    }
    g_env = ort_env;
    g_cpu = cpu;
    g_api = api;
  }
  napi_value version;
  napi_create_string_utf8(env, base->GetVersionString(), NAPI_AUTO_LENGTH, &version);
  return version;
}

// A session and whether runs are in flight on it (it is released only when none is).
struct SessionBox {
  Session* session = nullptr;
  int running = 0;

  void Release() {
    if (session) At<ReleaseFn<Session>>(g_api, kReleaseSession)(session);
    session = nullptr;
  }
};

void FinalizeSession(napi_env, void* data, void*) {
  auto* box = static_cast<SessionBox*>(data);
  box->Release();
  delete box;
}

SessionBox* GetSession(napi_env env, napi_value value) {
  SessionBox* box = nullptr;
  if (napi_get_value_external(env, value, reinterpret_cast<void**>(&box)) != napi_ok || !box) {
    napi_throw_type_error(env, nullptr, "expected a session");
    return nullptr;
  }
  if (!box->session) {
    ThrowError(env, "the session has been released");
    return nullptr;
  }
  return box;
}

// ortCreateSession(bytes, threads, spin, profilePrefix?)
napi_value CreateSession(napi_env env, napi_callback_info info) {
  if (!g_api) {
    ThrowError(env, "ortCreateSession: call ortOpen first");
    return nullptr;
  }
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, &buffer, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "ortCreateSession: model bytes must be a Uint8Array");
    return nullptr;
  }
  int32_t threads = 1;
  napi_get_value_int32(env, argv[1], &threads);
  bool spin = false;
  napi_get_value_bool(env, argv[2], &spin);
  // ONNX Runtime's per-node profile, written to <prefix>_<date>.json.
  std::string profile;
  size_t profile_length = 0;
  if (argc >= 4 && napi_get_value_string_utf8(env, argv[3], nullptr, 0, &profile_length) == napi_ok && profile_length > 0) {
    profile.resize(profile_length + 1);
    napi_get_value_string_utf8(env, argv[3], profile.data(), profile.size(), &profile_length);
    profile.resize(profile_length);
  }

  SessionOptions* options = nullptr;
  std::string err = TakeError(At<CreateSessionOptionsFn>(g_api, kCreateSessionOptions)(&options));
  if (err.empty()) err = TakeError(At<SetIntFn>(g_api, kSetIntraOpNumThreads)(options, threads));
  if (err.empty()) err = TakeError(At<SetIntFn>(g_api, kSetInterOpNumThreads)(options, 1));
  if (err.empty()) err = TakeError(At<SetIntFn>(g_api, kSetSessionGraphOptimizationLevel)(options, kOptimizeAll));
  if (err.empty()) err = TakeError(At<SetIntFn>(g_api, kSetSessionExecutionMode)(options, kSequential));
  auto config = At<AddSessionConfigEntryFn>(g_api, kAddSessionConfigEntry);
  if (err.empty()) err = TakeError(config(options, "session.intra_op.allow_spinning", spin ? "1" : "0"));
  if (err.empty()) err = TakeError(config(options, "session.set_denormal_as_zero", "1"));
  if (err.empty() && !profile.empty()) err = TakeError(At<EnableProfilingFn>(g_api, kEnableProfiling)(options, profile.c_str()));
  Session* session = nullptr;
  if (err.empty()) err = TakeError(At<CreateSessionFromArrayFn>(g_api, kCreateSessionFromArray)(g_env, bytes, length, options, &session));
  if (options) At<ReleaseFn<SessionOptions>>(g_api, kReleaseSessionOptions)(options);
  if (!err.empty()) {
    ThrowError(env, "ortCreateSession: " + err);
    return nullptr;
  }
  napi_value external;
  napi_create_external(env, new SessionBox{session}, FinalizeSession, nullptr, &external);
  return external;
}

// ortSessionNames(session) → { inputs: string[], outputs: string[] }
napi_value SessionNames(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  SessionBox* box = GetSession(env, argv[0]);
  if (!box) return nullptr;
  Allocator* allocator = nullptr;
  std::string err = TakeError(At<GetAllocatorFn>(g_api, kGetAllocatorWithDefaultOptions)(&allocator));
  napi_value result;
  napi_create_object(env, &result);
  const Slot count_slots[2] = {kSessionGetInputCount, kSessionGetOutputCount};
  const Slot name_slots[2] = {kSessionGetInputName, kSessionGetOutputName};
  const char* keys[2] = {"inputs", "outputs"};
  for (int side = 0; side < 2 && err.empty(); side++) {
    size_t n = 0;
    err = TakeError(At<SessionGetCountFn>(g_api, count_slots[side])(box->session, &n));
    napi_value array;
    napi_create_array_with_length(env, n, &array);
    for (size_t i = 0; i < n && err.empty(); i++) {
      char* name = nullptr;
      err = TakeError(At<SessionGetNameFn>(g_api, name_slots[side])(box->session, i, allocator, &name));
      if (!err.empty()) break;
      napi_value s;
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, array, static_cast<uint32_t>(i), s);
      TakeError(At<AllocatorFreeFn>(g_api, kAllocatorFree)(allocator, name));
    }
    napi_set_named_property(env, result, keys[side], array);
  }
  if (!err.empty()) {
    ThrowError(env, "ortSessionNames: " + err);
    return nullptr;
  }
  return result;
}

// ortRelease(session): free the session now rather than when it is garbage-collected.
napi_value ReleaseSession(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  SessionBox* box = nullptr;
  napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&box));
  if (!box) return nullptr;
  if (box->running > 0) {
    ThrowError(env, "ortRelease: the session is still running");
    return nullptr;
  }
  box->Release();
  return nullptr;
}

// The tensor a synchronous run last wrapped at one input or output position. Training steps feed
// the same tensor objects (parameters, gradients, batch buffers) on every step; wrapping one costs
// about 2 µs (a dozen property reads and an OrtValue made and freed), 17 of them ~35 µs a step.
struct CachedValue {
  napi_ref object = nullptr;  // weak: the cache does not keep the tensor alive
  const void* data = nullptr;
  size_t length = 0;
  Value* value = nullptr;

  void Clear(napi_env env) {
    if (value) At<ReleaseFn<Value>>(g_api, kReleaseValue)(value);
    if (object) napi_delete_reference(env, object);
    *this = CachedValue();
  }
};

// Two per position: a training loop fills its batches into two buffer sets in turn.
struct CachedPair {
  CachedValue entries[2];
  int older = 0;  // the entry to replace next
};

struct Plan {
  SessionBox* box = nullptr;
  napi_ref session_ref = nullptr;  // keeps the session alive as long as the plan
  std::vector<std::string> inputs, outputs;
  std::vector<const char*> input_names, output_names;
  std::vector<CachedPair> cached[2];  // inputs, outputs (synchronous runs only)
};

void FinalizePlan(napi_env env, void* data, void*) {
  auto* plan = static_cast<Plan*>(data);
  for (auto& side : plan->cached) {
    for (CachedPair& pair : side) {
      for (CachedValue& c : pair.entries) c.Clear(env);
    }
  }
  napi_delete_reference(env, plan->session_ref);
  delete plan;
}

// ortPlan(session, inputNames, outputNames)
napi_value MakePlan(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  SessionBox* box = GetSession(env, argv[0]);
  if (!box) return nullptr;
  auto* plan = new Plan();
  plan->box = box;
  if (!GetStrings(env, argv[1], &plan->inputs) || !GetStrings(env, argv[2], &plan->outputs)) {
    delete plan;
    napi_throw_type_error(env, nullptr, "ortPlan(session, inputNames: string[], outputNames: string[])");
    return nullptr;
  }
  for (auto& s : plan->inputs) plan->input_names.push_back(s.c_str());
  for (auto& s : plan->outputs) plan->output_names.push_back(s.c_str());
  plan->cached[0].resize(plan->inputs.size());
  plan->cached[1].resize(plan->outputs.size());
  napi_create_reference(env, argv[0], 1, &plan->session_ref);
  napi_value external;
  napi_create_external(env, plan, FinalizePlan, nullptr, &external);
  return external;
}

// ONNX element type, its size and the typed array that must hold it, for a tensor type name.
struct ElementKind {
  int type = 0;
  size_t bytes = 0;
  napi_typedarray_type array = napi_uint8_array;
};

ElementKind ElementKindOf(const std::string& name) {
  if (name == "float32") return {kFloat, 4, napi_float32_array};
  if (name == "int32") return {kInt32, 4, napi_int32_array};
  if (name == "int64") return {kInt64, 8, napi_bigint64_array};
  if (name == "float64") return {kDouble, 8, napi_float64_array};
  if (name == "bool") return {kBool, 1, napi_uint8_array};
  if (name == "uint8") return {kUint8, 1, napi_uint8_array};
  return {};
}

// One run's tensors wrapped as OrtValues over the callers' buffers.
struct Call {
  Plan* plan = nullptr;
  std::vector<Value*> inputs, outputs;
  std::vector<Value*> owned;   // the values this call made (the plan's cache holds the others)
  std::vector<napi_ref> refs;  // the JavaScript tensors, alive until the run is over
  std::string error;
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;

  void Release(napi_env env) {
    auto release = At<ReleaseFn<Value>>(g_api, kReleaseValue);
    for (Value* v : owned) release(v);
    owned.clear();
    for (napi_ref r : refs) napi_delete_reference(env, r);
    refs.clear();
  }

  void Execute() {
    FlushDenormals flush;  // for the share of the work done on the calling thread
    error = TakeError(At<RunFn>(g_api, kRun)(plan->box->session, nullptr, plan->input_names.data(), inputs.data(), inputs.size(),
                                             plan->output_names.data(), outputs.size(), outputs.data()));
  }
};

// The typed array behind a tensor's data: its address and length (false when it is none).
bool DataOf(napi_env env, napi_value tensor, const void** data, size_t* length) {
  napi_value data_value;
  napi_typedarray_type array_type;
  void* address = nullptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_named_property(env, tensor, "data", &data_value) != napi_ok) return false;
  if (napi_get_typedarray_info(env, data_value, &array_type, length, &address, &buffer, &offset) != napi_ok) return false;
  *data = address;
  return true;
}

// The cached value for `tensor` at this position, if it wraps the same object over the same data
// (a tensor's dims are taken as fixed once made, as onnxruntime-common's are).
Value* CachedFor(napi_env env, const CachedValue& c, napi_value tensor) {
  if (!c.value) return nullptr;
  napi_value previous = nullptr;
  bool same = false;
  if (napi_get_reference_value(env, c.object, &previous) != napi_ok || !previous) return nullptr;
  if (napi_strict_equals(env, previous, tensor, &same) != napi_ok || !same) return nullptr;
  const void* data = nullptr;
  size_t length = 0;
  if (!DataOf(env, tensor, &data, &length) || data != c.data || length != c.length) return nullptr;
  return c.value;
}

// Wrap a { type, dims, data } object; "" on success, else what is wrong with it.
std::string Wrap(napi_env env, napi_value tensor, Value** out) {
  napi_value type_value, dims_value, data_value;
  if (napi_get_named_property(env, tensor, "type", &type_value) != napi_ok) return "not a tensor";
  napi_get_named_property(env, tensor, "dims", &dims_value);
  napi_get_named_property(env, tensor, "data", &data_value);
  const ElementKind kind = ElementKindOf(GetString(env, type_value));
  if (!kind.type) return "unsupported tensor type";
  bool is_array = false;
  napi_is_array(env, dims_value, &is_array);
  if (!is_array) return "dims must be an array";
  uint32_t rank = 0;
  napi_get_array_length(env, dims_value, &rank);
  std::vector<int64_t> shape(rank);
  size_t count = 1;
  for (uint32_t i = 0; i < rank; i++) {
    napi_value d;
    napi_get_element(env, dims_value, i, &d);
    napi_get_value_int64(env, d, &shape[i]);
    if (shape[i] < 0) return "negative dim";
    count *= static_cast<size_t>(shape[i]);
  }
  napi_typedarray_type array_type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, data_value, &array_type, &length, &data, &buffer, &offset) != napi_ok) return "data must be a typed array";
  if (array_type != kind.array) return "data is not the typed array of its type";
  if (length != count) return "data length does not match dims";
  const size_t array_bytes = length * kind.bytes;
  static int64_t empty_shape = 0;
  static float empty_data = 0;
  return TakeError(At<CreateTensorWithDataFn>(g_api, kCreateTensorWithDataAsOrtValue)(
      g_cpu, data ? data : &empty_data, array_bytes, rank ? shape.data() : &empty_shape, rank, kind.type, out));
}

// Parse (plan, inputs, outputs) into a Call; null (with an exception pending) on bad arguments.
Call* Prepare(napi_env env, napi_callback_info info, bool keep_alive) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  auto* call = new Call();
  napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&call->plan));
  Plan* plan = call->plan;
  if (!plan) {
    delete call;
    napi_throw_type_error(env, nullptr, "ortRun: the first argument must be a plan");
    return nullptr;
  }
  if (!plan->box->session) {
    delete call;
    ThrowError(env, "ortRun: the session has been released");
    return nullptr;
  }
  const std::vector<std::string>* names[2] = {&plan->inputs, &plan->outputs};
  std::vector<Value*>* values[2] = {&call->inputs, &call->outputs};
  for (int side = 0; side < 2; side++) {
    napi_value array = argv[1 + side];
    uint32_t n = 0;
    napi_get_array_length(env, array, &n);
    if (n != names[side]->size()) {
      call->Release(env);
      delete call;
      ThrowError(env, std::string("ortRun: expected ") + std::to_string(names[side]->size()) + (side ? " outputs" : " inputs") + ", got " + std::to_string(n));
      return nullptr;
    }
    values[side]->assign(n, nullptr);
    for (uint32_t i = 0; i < n; i++) {
      napi_value tensor;
      napi_get_element(env, array, i, &tensor);
      // Only synchronous runs use the cache: a value must not be replaced while a run uses it.
      CachedPair* pair = keep_alive ? nullptr : &plan->cached[side][i];
      if (pair) {
        Value* hit = nullptr;
        for (int e = 0; e < 2 && !hit; e++) {
          if ((hit = CachedFor(env, pair->entries[e], tensor))) pair->older = 1 - e;
        }
        if (((*values[side])[i] = hit)) continue;
      }
      const std::string err = Wrap(env, tensor, &(*values[side])[i]);
      if (!err.empty()) {
        call->Release(env);
        delete call;
        ThrowError(env, "ortRun: " + std::string(side ? "output " : "input ") + (*names[side])[i] + ": " + err);
        return nullptr;
      }
      Value* made = (*values[side])[i];
      const void* data = nullptr;
      size_t length = 0;
      if (pair && DataOf(env, tensor, &data, &length)) {
        CachedValue* cache = &pair->entries[pair->older];
        pair->older = 1 - pair->older;
        cache->Clear(env);
        napi_create_reference(env, tensor, 0, &cache->object);
        cache->data = data;
        cache->length = length;
        cache->value = made;
      } else {
        call->owned.push_back(made);
      }
      if (keep_alive) {
        napi_ref ref;
        napi_create_reference(env, tensor, 1, &ref);
        call->refs.push_back(ref);
      }
    }
  }
  if (keep_alive) {
    napi_ref ref;
    napi_create_reference(env, argv[0], 1, &ref);
    call->refs.push_back(ref);
  }
  return call;
}

napi_value Run(napi_env env, napi_callback_info info) {
  Call* call = Prepare(env, info, false);
  if (!call) return nullptr;
  call->Execute();
  call->Release(env);
  if (!call->error.empty()) ThrowError(env, call->error);
  delete call;
  return nullptr;
}

void RunAsyncComplete(napi_env env, napi_status status, void* data) {
  auto* call = static_cast<Call*>(data);
  if (status != napi_cancelled) g_finished_runs.fetch_sub(1, std::memory_order_relaxed);
  call->plan->box->running--;
  call->Release(env);
  if (call->error.empty()) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, call->deferred, undefined);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, call->error.c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, call->deferred, error);
  }
  napi_delete_async_work(env, call->work);
  delete call;
}

napi_value FinishedRuns(napi_env env, napi_callback_info) {
  napi_value count;
  napi_create_int32(env, g_finished_runs.load(std::memory_order_acquire), &count);
  return count;
}

napi_value RunAsync(napi_env env, napi_callback_info info) {
  Call* call = Prepare(env, info, true);
  if (!call) return nullptr;
  napi_value promise, name;
  napi_create_promise(env, &call->deferred, &promise);
  napi_create_string_utf8(env, "ortRunAsync", NAPI_AUTO_LENGTH, &name);
  call->plan->box->running++;
  napi_create_async_work(
      env, nullptr, name,
      [](napi_env, void* data) {
        static_cast<Call*>(data)->Execute();
        g_finished_runs.fetch_add(1, std::memory_order_release);
      },
      RunAsyncComplete, call, &call->work);
  napi_queue_async_work(env, call->work);
  return promise;
}

}  // namespace

void RegisterOrtRunner(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {{"ortOpen", Open}, {"ortCreateSession", CreateSession}, {"ortSessionNames", SessionNames}, {"ortRelease", ReleaseSession}, {"ortPlan", MakePlan}, {"ortRun", Run}, {"ortRunAsync", RunAsync},
                   {"ortFinishedRuns", FinishedRuns}};
  for (const auto& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
}
