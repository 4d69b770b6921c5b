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
struct CustomOpDomain;
struct KernelContext;
struct TensorTypeAndShapeInfo;

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
  kCreateStatus = 0,
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
  kCreateCustomOpDomain = 26,
  kCustomOpDomainAdd = 27,
  kAddCustomOpDomain = 28,
  kSessionGetInputCount = 30,
  kSessionGetOutputCount = 31,
  kSessionGetInputName = 36,
  kSessionGetOutputName = 37,
  kCreateTensorWithDataAsOrtValue = 49,
  kGetTensorMutableData = 51,
  kGetDimensionsCount = 61,
  kGetDimensions = 62,
  kGetTensorTypeAndShape = 65,
  kCreateCpuMemoryInfo = 69,
  kAllocatorFree = 76,
  kGetAllocatorWithDefaultOptions = 78,
  kKernelContextGetInput = 90,
  kKernelContextGetOutput = 91,
  kReleaseEnv = 92,
  kReleaseStatus = 93,
  kReleaseMemoryInfo = 94,
  kReleaseSession = 95,
  kReleaseValue = 96,
  kReleaseTensorTypeAndShapeInfo = 99,
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
using CreateStatusFn = StatusPtr (*)(int code, const char* message);
using CreateCustomOpDomainFn = StatusPtr (*)(const char* domain, CustomOpDomain** out);
struct CustomOp;
using CustomOpDomainAddFn = StatusPtr (*)(CustomOpDomain*, const CustomOp*);
using AddCustomOpDomainFn = StatusPtr (*)(SessionOptions*, CustomOpDomain*);
using GetTensorMutableDataFn = StatusPtr (*)(Value*, void** out);
using GetTensorTypeAndShapeFn = StatusPtr (*)(const Value*, TensorTypeAndShapeInfo** out);
using GetDimensionsCountFn = StatusPtr (*)(const TensorTypeAndShapeInfo*, size_t* out);
using GetDimensionsFn = StatusPtr (*)(const TensorTypeAndShapeInfo*, int64_t* dims, size_t length);
using KernelContextGetInputFn = StatusPtr (*)(const KernelContext*, size_t index, const Value** out);
using KernelContextGetOutputFn = StatusPtr (*)(KernelContext*, size_t index, const int64_t* dims, size_t rank, Value** out);
constexpr int kInvalidArgument = 2;  // OrtErrorCode ORT_INVALID_ARGUMENT

// OrtCustomOp: a custom operator's schema and kernel callbacks, 26 members in this order.
// ONNX Runtime reads the members up to those of `version` (16: the V2 kernel calls, which return a
// status).
struct CustomOp {
  uint32_t version;
  void* (*CreateKernel)(const CustomOp* op, const void* api, const void* info);
  const char* (*GetName)(const CustomOp* op);
  const char* (*GetExecutionProviderType)(const CustomOp* op);
  int (*GetInputType)(const CustomOp* op, size_t index);
  size_t (*GetInputTypeCount)(const CustomOp* op);
  int (*GetOutputType)(const CustomOp* op, size_t index);
  size_t (*GetOutputTypeCount)(const CustomOp* op);
  void (*KernelCompute)(void* kernel, KernelContext* context);
  void (*KernelDestroy)(void* kernel);
  int (*GetInputCharacteristic)(const CustomOp* op, size_t index);   // 0: required
  int (*GetOutputCharacteristic)(const CustomOp* op, size_t index);  // 0: required
  int (*GetInputMemoryType)(const CustomOp* op, size_t index);       // 0: OrtMemTypeDefault
  int (*GetVariadicInputMinArity)(const CustomOp* op);
  int (*GetVariadicInputHomogeneity)(const CustomOp* op);
  int (*GetVariadicOutputMinArity)(const CustomOp* op);
  int (*GetVariadicOutputHomogeneity)(const CustomOp* op);
  StatusPtr (*CreateKernelV2)(const CustomOp* op, const void* api, const void* info, void** kernel);
  StatusPtr (*KernelComputeV2)(void* kernel, KernelContext* context);
  void* InferOutputShapeFn;
  void* GetStartVersion;
  void* GetEndVersion;
  void* GetMayInplace;
  void* ReleaseMayInplace;
  void* GetAliasMap;
  void* ReleaseAliasMap;
};
static_assert(sizeof(void*) != 8 || sizeof(CustomOp) == 208, "OrtCustomOp has 26 members");

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
