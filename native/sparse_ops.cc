// The runner's own ONNX Runtime operators (domain "ai.mat"). Exported models never use them.
//   SparseRowsLinear(layout int32 [L], values [nnz], W [out, in], b [out], relu int64 [1])
//     → x·Wᵀ + b, or its ReLU when relu is 1  [n, out]
// for evaluation graphs of models whose inputs are mostly zeros, where layout and values encode
// x [n, in] (sparse_rows.h), built once per split by sparseRowsEncode(x, n, in) → { layout, values };
//   MatMulAT(A [k, m], B [k, n], threads int64 [1]) → Aᵀ·B  [m, n]
// for training steps: the input gradient Wᵀ·dz of a feature-major layer (transposed_product.h).
#include <node_api.h>
#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include "flush_denormals.h"
#include "napi_args.h"
#include "ort_abi.h"
#include "sparse_rows.h"
#include "transposed_product.h"

namespace {

using namespace ort_abi;

// Rows per block of the layout: a block's 64 × 128 outputs (32 KB) stay in L1 while the block's
// columns are added in.
constexpr size_t kBlockRows = 64;

const void* const* g_ops_api = nullptr;

template <typename Fn>
Fn Api(Slot slot) {
  return At<Fn>(g_ops_api, slot);
}

struct Input {
  void* data = nullptr;
  size_t rank = 0;
  int64_t dims[2] = {0, 0};
};

// Input `index`, of rank 1 or 2.
std::string GetInput(KernelContext* context, size_t index, Input* out) {
  const Value* value = nullptr;
  StatusPtr status = Api<KernelContextGetInputFn>(kKernelContextGetInput)(context, index, &value);
  TensorTypeAndShapeInfo* info = nullptr;
  if (!status) status = Api<GetTensorTypeAndShapeFn>(kGetTensorTypeAndShape)(value, &info);
  if (!status) status = Api<GetDimensionsCountFn>(kGetDimensionsCount)(info, &out->rank);
  if (!status && out->rank >= 1 && out->rank <= 2) status = Api<GetDimensionsFn>(kGetDimensions)(info, out->dims, out->rank);
  if (info) At<ReleaseFn<TensorTypeAndShapeInfo>>(g_ops_api, kReleaseTensorTypeAndShapeInfo)(info);
  if (!status) status = Api<GetTensorMutableDataFn>(kGetTensorMutableData)(const_cast<Value*>(value), &out->data);
  if (status) return ErrorOf(g_ops_api, status);
  if (out->rank < 1 || out->rank > 2) return "input " + std::to_string(index) + " has rank " + std::to_string(out->rank);
  return "";
}

std::string ComputeSparseRowsLinear(KernelContext* context) {
  Input layout, values, w, b, relu;
  std::string err;
  if ((err = GetInput(context, 0, &layout)).empty() && (err = GetInput(context, 1, &values)).empty() && (err = GetInput(context, 2, &w)).empty() &&
      (err = GetInput(context, 3, &b)).empty()) {
    err = GetInput(context, 4, &relu);
  }
  if (!err.empty()) return err;
  if (layout.rank != 1 || values.rank != 1 || w.rank != 2 || b.rank != 1 || relu.rank != 1 || relu.dims[0] != 1) return "expected layout [L], values [nnz], W [out, in], b [out] and relu [1]";
  sparse_rows::Layout x;
  err = sparse_rows::Decode(static_cast<const int32_t*>(layout.data), static_cast<size_t>(layout.dims[0]), static_cast<size_t>(values.dims[0]), &x);
  if (!err.empty()) return err;
  const size_t out = static_cast<size_t>(w.dims[0]);
  if (static_cast<size_t>(w.dims[1]) != x.in || static_cast<size_t>(b.dims[0]) != out) {
    return "W is [" + std::to_string(w.dims[0]) + ", " + std::to_string(w.dims[1]) + "] and b [" + std::to_string(b.dims[0]) + "] for rows of " + std::to_string(x.in) + " features";
  }
  const int64_t out_dims[2] = {static_cast<int64_t>(x.n), static_cast<int64_t>(out)};
  Value* output = nullptr;
  void* y = nullptr;
  StatusPtr status = Api<KernelContextGetOutputFn>(kKernelContextGetOutput)(context, 0, out_dims, 2, &output);
  if (!status) status = Api<GetTensorMutableDataFn>(kGetTensorMutableData)(output, &y);
  if (status) return ErrorOf(g_ops_api, status);
  FlushDenormals flush;
  thread_local std::vector<float> wt;
  const size_t ld = sparse_rows::LeadingDim(out);
  wt.resize(x.features * ld);
  sparse_rows::GatherTransposed(static_cast<const float*>(w.data), out, x.in, x.used, x.features, wt.data(), ld);
  const bool apply_relu = *static_cast<const int64_t*>(relu.data) != 0;
  sparse_rows::Multiply(x, static_cast<const float*>(values.data), wt.data(), ld, static_cast<const float*>(b.data), out, static_cast<float*>(y), apply_relu);
  return "";
}

std::string ComputeMatMulAT(KernelContext* context) {
  Input a, b, threads;
  std::string err;
  if ((err = GetInput(context, 0, &a)).empty() && (err = GetInput(context, 1, &b)).empty()) err = GetInput(context, 2, &threads);
  if (!err.empty()) return err;
  if (a.rank != 2 || b.rank != 2 || threads.rank != 1 || threads.dims[0] != 1) return "expected A [k, m], B [k, n] and threads [1]";
  if (a.dims[0] != b.dims[0]) return "A has " + std::to_string(a.dims[0]) + " rows and B " + std::to_string(b.dims[0]);
  const size_t k = static_cast<size_t>(a.dims[0]), m = static_cast<size_t>(a.dims[1]), n = static_cast<size_t>(b.dims[1]);
  const int64_t out_dims[2] = {static_cast<int64_t>(m), static_cast<int64_t>(n)};
  Value* output = nullptr;
  void* c = nullptr;
  StatusPtr status = Api<KernelContextGetOutputFn>(kKernelContextGetOutput)(context, 0, out_dims, 2, &output);
  if (!status) status = Api<GetTensorMutableDataFn>(kGetTensorMutableData)(output, &c);
  if (status) return ErrorOf(g_ops_api, status);
  const int64_t wanted = *static_cast<const int64_t*>(threads.data);
  transposed_product::Multiply(static_cast<const float*>(a.data), static_cast<const float*>(b.data), static_cast<float*>(c), k, m, n, static_cast<size_t>(std::max<int64_t>(1, wanted)));
  return "";
}

// An operator named kName with kInputs inputs (of the element types kInputType gives) and one float
// output, computed by kCompute.
template <const char* kName, std::string (*kCompute)(KernelContext*), size_t kInputs, int (*kInputType)(size_t)>
CustomOp MakeOp() {
  CustomOp op{};
  op.version = 16;
  // The kernel is the op itself: it holds no state.
  op.CreateKernel = [](const CustomOp* self, const void*, const void*) -> void* { return const_cast<CustomOp*>(self); };
  op.GetName = [](const CustomOp*) { return kName; };
  op.GetExecutionProviderType = [](const CustomOp*) -> const char* { return nullptr; };  // CPU
  op.GetInputType = [](const CustomOp*, size_t index) { return kInputType(index); };
  op.GetInputTypeCount = [](const CustomOp*) -> size_t { return kInputs; };
  op.GetOutputType = [](const CustomOp*, size_t) { return static_cast<int>(kFloat); };
  op.GetOutputTypeCount = [](const CustomOp*) -> size_t { return 1; };
  op.KernelCompute = [](void*, KernelContext*) {};  // unused: ONNX Runtime calls KernelComputeV2
  op.KernelDestroy = [](void*) {};
  op.GetInputCharacteristic = [](const CustomOp*, size_t) { return 0; };
  op.GetOutputCharacteristic = [](const CustomOp*, size_t) { return 0; };
  op.GetInputMemoryType = [](const CustomOp*, size_t) { return 0; };
  op.GetVariadicInputMinArity = [](const CustomOp*) { return 1; };
  op.GetVariadicInputHomogeneity = [](const CustomOp*) { return 1; };
  op.GetVariadicOutputMinArity = [](const CustomOp*) { return 1; };
  op.GetVariadicOutputHomogeneity = [](const CustomOp*) { return 1; };
  op.KernelComputeV2 = [](void*, KernelContext* context) -> StatusPtr {
    const std::string err = kCompute(context);
    if (err.empty()) return nullptr;
    return Api<CreateStatusFn>(kCreateStatus)(kInvalidArgument, (std::string(kName) + ": " + err).c_str());
  };
  return op;
}

constexpr char kSparseRowsLinear[] = "SparseRowsLinear";
constexpr char kMatMulAT[] = "MatMulAT";
int SparseRowsLinearInput(size_t index) { return index == 0 ? kInt32 : index == 4 ? kInt64 : kFloat; }
int MatMulATInput(size_t index) { return index == 2 ? kInt64 : kFloat; }

// sparseRowsEncode(x: Float32Array, n, in) → { layout: Int32Array, values: Float32Array }
napi_value SparseRowsEncode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats x;
  if (!GetFloats(env, argv[0], &x)) return nullptr;
  const double n = GetNumber(env, argv[1]), in = GetNumber(env, argv[2]);
  if (!(n >= 0 && in > 0 && n * in == static_cast<double>(x.length) && n * in < 2147483647.0)) {
    napi_throw_range_error(env, nullptr, "sparseRowsEncode: x must hold n × in values (fewer than 2^31)");
    return nullptr;
  }
  std::vector<int32_t> words;
  std::vector<float> values;
  sparse_rows::Encode(x.data, static_cast<size_t>(n), static_cast<size_t>(in), kBlockRows, &words, &values);
  napi_value result, layout_buffer, values_buffer, layout, values_array;
  void* data = nullptr;
  napi_create_arraybuffer(env, words.size() * sizeof(int32_t), &data, &layout_buffer);
  std::memcpy(data, words.data(), words.size() * sizeof(int32_t));
  napi_create_typedarray(env, napi_int32_array, words.size(), layout_buffer, 0, &layout);
  napi_create_arraybuffer(env, values.size() * sizeof(float), &data, &values_buffer);
  std::memcpy(data, values.data(), values.size() * sizeof(float));
  napi_create_typedarray(env, napi_float32_array, values.size(), values_buffer, 0, &values_array);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "layout", layout);
  napi_set_named_property(env, result, "values", values_array);
  return result;
}

}  // namespace

// Adds the "ai.mat" operators to `options` (the domain is created once, on first use).
ort_abi::StatusPtr AddMatOps(const void* const* api, ort_abi::SessionOptions* options) {
  static std::mutex mu;
  static ort_abi::CustomOpDomain* domain = nullptr;
  static ort_abi::CustomOp sparse_rows_linear = MakeOp<kSparseRowsLinear, ComputeSparseRowsLinear, 5, SparseRowsLinearInput>();
  static ort_abi::CustomOp matmul_at = MakeOp<kMatMulAT, ComputeMatMulAT, 3, MatMulATInput>();
  std::lock_guard<std::mutex> lock(mu);
  if (!domain) {
    g_ops_api = api;
    ort_abi::StatusPtr status = At<CreateCustomOpDomainFn>(api, kCreateCustomOpDomain)("ai.mat", &domain);
    if (!status) status = At<CustomOpDomainAddFn>(api, kCustomOpDomainAdd)(domain, &sparse_rows_linear);
    if (!status) status = At<CustomOpDomainAddFn>(api, kCustomOpDomainAdd)(domain, &matmul_at);
    if (status) {
      domain = nullptr;  // leaked on failure: ONNX Runtime may hold part of it
      return status;
    }
  }
  return At<AddCustomOpDomainFn>(api, kAddCustomOpDomain)(options, domain);
}

void RegisterSparseRows(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "sparseRowsEncode", NAPI_AUTO_LENGTH, SparseRowsEncode, nullptr, &fn);
  napi_set_named_property(env, exports, "sparseRowsEncode", fn);
  // MatMulAT beats ONNX Runtime's Gemm only with its AVX-512 kernel; the portable loop is slower.
  napi_value fast;
  napi_get_boolean(env, transposed_product::kVectorized, &fast);
  napi_set_named_property(env, exports, "matMulATVectorized", fast);
}
