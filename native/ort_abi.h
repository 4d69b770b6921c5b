// The part of ONNX Runtime's C ABI that the session runner uses, declared here so that the addon
// builds without ONNX Runtime's headers and loads the library that onnxruntime-node ships at run
// time. The C API is a table of function pointers whose order never changes between releases
// (new functions are only appended), so a slot index below is valid for every version at or above
// the one requested (kOrtApiVersion).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ort_abi {

constexpr uint32_t kOrtApiVersion = 16;  // ONNX Runtime 1.16 or newer

struct Status;
struct Env;
struct SessionOptions;
struct Session;
struct MemoryInfo;
struct Value;
struct RunOptions;
struct Allocator;

// Element types (ONNXTensorElementDataType).
enum ElementType : int { kFloat = 1, kUint8 = 2, kInt32 = 6, kInt64 = 7, kBool = 9, kDouble = 11 };
constexpr int kLoggingWarning = 2;     // OrtLoggingLevel ORT_LOGGING_LEVEL_WARNING
constexpr int kOptimizeAll = 99;       // GraphOptimizationLevel ORT_ENABLE_ALL
constexpr int kSequential = 0;         // ExecutionMode ORT_SEQUENTIAL
constexpr int kArenaAllocator = 1;     // OrtAllocatorType OrtArenaAllocator
constexpr int kMemTypeDefault = 0;     // OrtMemType OrtMemTypeDefault

using StatusPtr = Status*;

// Slots of the OrtApi table and their signatures.
enum Slot : size_t {
  kGetErrorMessage = 2,
  kCreateEnv = 3,
  kCreateSessionFromArray = 8,
  kRun = 9,
  kCreateSessionOptions = 10,
  kSetSessionExecutionMode = 13,
  kEnableProfiling = 14,
  kSetSessionGraphOptimizationLevel = 23,
  kSetIntraOpNumThreads = 24,
  kSetInterOpNumThreads = 25,
  kSessionGetInputCount = 30,
  kSessionGetOutputCount = 31,
  kSessionGetInputName = 36,
  kSessionGetOutputName = 37,
  kCreateTensorWithDataAsOrtValue = 49,
  kCreateCpuMemoryInfo = 69,
  kAllocatorFree = 76,
  kGetAllocatorWithDefaultOptions = 78,
  kReleaseEnv = 92,
  kReleaseStatus = 93,
  kReleaseMemoryInfo = 94,
  kReleaseSession = 95,
  kReleaseValue = 96,
  kReleaseSessionOptions = 100,
  kAddSessionConfigEntry = 130,
};

using GetErrorMessageFn = const char* (*)(const Status*);
using CreateEnvFn = StatusPtr (*)(int level, const char* logid, Env** out);
using CreateSessionFromArrayFn = StatusPtr (*)(const Env*, const void* data, size_t len, const SessionOptions*, Session** out);
using RunFn = StatusPtr (*)(Session*, const RunOptions*, const char* const* input_names, const Value* const* inputs, size_t input_len,
                            const char* const* output_names, size_t output_len, Value** outputs);
using CreateSessionOptionsFn = StatusPtr (*)(SessionOptions** out);
using EnableProfilingFn = StatusPtr (*)(SessionOptions*, const char* prefix);
using SetIntFn = StatusPtr (*)(SessionOptions*, int);
using CreateTensorWithDataFn = StatusPtr (*)(const MemoryInfo*, void* data, size_t bytes, const int64_t* shape, size_t rank, int type, Value** out);
using CreateCpuMemoryInfoFn = StatusPtr (*)(int allocator, int mem_type, MemoryInfo** out);
using SessionGetCountFn = StatusPtr (*)(const Session*, size_t* out);
using SessionGetNameFn = StatusPtr (*)(const Session*, size_t index, Allocator*, char** out);
using AllocatorFreeFn = StatusPtr (*)(Allocator*, void*);
using GetAllocatorFn = StatusPtr (*)(Allocator** out);
using AddSessionConfigEntryFn = StatusPtr (*)(SessionOptions*, const char* key, const char* value);

template <typename T>
using ReleaseFn = void (*)(T*);

struct ApiBase {
  const void* const* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)();
};

// Typed access to a slot of the table.
template <typename Fn>
inline Fn At(const void* const* api, Slot slot) {
  return reinterpret_cast<Fn>(const_cast<void*>(api[slot]));
}

// The message of a failed status (and the status released), or "" for success.
inline std::string ErrorOf(const void* const* api, StatusPtr status) {
  if (!status) return "";
  std::string message = At<GetErrorMessageFn>(api, kGetErrorMessage)(status);
  At<ReleaseFn<Status>>(api, kReleaseStatus)(status);
  return message.empty() ? "ONNX Runtime error" : message;
}

}  // namespace ort_abi
