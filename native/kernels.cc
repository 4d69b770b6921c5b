// Fused optimizer updates: one pass over each parameter tensor instead of one pass per
// elementwise op. The arithmetic is the same as the graph optimizers in src/nn/optimizers.ts
// (PyTorch semantics; Adam keeps its moments scaled by 1/(1−β)), so either path can resume the other.
#include <node_api.h>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include "flush_denormals.h"
#include "columns.h"
#include "napi_args.h"
#include "parallel.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

struct SgdArgs {
  float* p;
  const float* g;
  float* buf;
  float lr, mu, wd;
  bool nesterov;
};

void SgdRange(const SgdArgs& args, size_t begin, size_t end) {
  FlushDenormals flush;
  float* __restrict__ pp = args.p;
  const float* __restrict__ gg = args.g;
  float* __restrict__ bb = args.buf;
  const float lr = args.lr, mu = args.mu, wd = args.wd;
  if (!bb) {
    for (size_t i = begin; i < end; i++) pp[i] -= lr * (gg[i] + wd * pp[i]);
  } else if (!args.nesterov) {
    for (size_t i = begin; i < end; i++) {
      const float b = mu * bb[i] + (gg[i] + wd * pp[i]);
      bb[i] = b;
      pp[i] -= lr * b;
    }
  } else {
    for (size_t i = begin; i < end; i++) {
      const float d = gg[i] + wd * pp[i];
      const float b = mu * bb[i] + d;
      bb[i] = b;
      pp[i] -= lr * (d + mu * b);
    }
  }
}

// At most this many threads for one update (the last argument of sgd and adam; default 1).
size_t GetThreads(napi_env env, size_t argc, napi_value* argv, size_t index) {
  if (argc <= index) return 1;
  const double t = GetNumber(env, argv[index]);
  return t >= 1 ? static_cast<size_t>(t) : 1;
}

// sgd(p, g, buf | null, lr, momentum, weightDecay, nesterov, threads?)
napi_value Sgd(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats p, g, buf;
  if (!GetFloats(env, argv[0], &p) || !GetFloats(env, argv[1], &g) || !GetFloats(env, argv[2], &buf)) return nullptr;
  if (g.length != p.length || (buf.data && buf.length != p.length)) {
    napi_throw_range_error(env, nullptr, "sgd: parameter, gradient and buffer lengths differ");
    return nullptr;
  }
  bool nesterov = false;
  napi_get_value_bool(env, argv[6], &nesterov);
  const SgdArgs args{p.data, g.data, buf.data, static_cast<float>(GetNumber(env, argv[3])), static_cast<float>(GetNumber(env, argv[4])),
                     static_cast<float>(GetNumber(env, argv[5])), nesterov};
  ParallelLoop::Instance().Run(p.length, GetThreads(env, argc, argv, 7), [&args](size_t begin, size_t end) { SgdRange(args, begin, end); });
  return nullptr;
}

struct AdamArgs {
  float* p;
  const float* g;
  float* m;
  float* v;
  float b1, b2, l2, a, eps, decay;
};

// Scalars copied to locals so that the compiler knows the stores cannot change them (and vectorizes).
inline void AdamBlock(const AdamArgs& args, float* __restrict__ pp, const float* __restrict__ gg, float* __restrict__ mm, float* __restrict__ vv, size_t n) {
  const float b1 = args.b1, b2 = args.b2, l2 = args.l2, a = args.a, eps = args.eps, decay = args.decay;
  for (size_t i = 0; i < n; i++) {
    const float gi = gg[i] + l2 * pp[i];
    const float mi = b1 * mm[i] + gi;
    const float vi = b2 * vv[i] + gi * gi;
    mm[i] = mi;
    vv[i] = vi;
    pp[i] = pp[i] * decay - a * (mi / (std::sqrt(vi) + eps));
  }
}

// Inside a training step the update's four arrays come cold (the step's products ran in between),
// and the hardware prefetchers keep too few of the seven streams in flight: asking for the lines
// 1 KB ahead took W2's update in W7 from 109–118 µs to 71–80 µs. Prefetches never fault, so
// running past the ends is harmless.
constexpr size_t kPrefetchAhead = 256;  // floats
constexpr size_t kBlock = 64;           // floats: four cache lines per array

inline void AdamSpan(const AdamArgs& args, float* __restrict__ pp, const float* __restrict__ gg, float* __restrict__ mm, float* __restrict__ vv, size_t n) {
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (size_t j = 0; j < kBlock; j += 16) {
      __builtin_prefetch(pp + i + kPrefetchAhead + j, 1);
      __builtin_prefetch(gg + i + kPrefetchAhead + j, 0);
      __builtin_prefetch(mm + i + kPrefetchAhead + j, 1);
      __builtin_prefetch(vv + i + kPrefetchAhead + j, 1);
    }
    AdamBlock(args, pp + i, gg + i, mm + i, vv + i, kBlock);
  }
  AdamBlock(args, pp + i, gg + i, mm + i, vv + i, n - i);
}

void AdamRange(const AdamArgs& args, size_t begin, size_t end) {
  FlushDenormals flush;
  AdamSpan(args, args.p + begin, args.g + begin, args.m + begin, args.v + begin, end - begin);
}

// Columns of the updated parameter to copy out as its rows are done: runs covering `count` columns,
// into dst [rows, count].
struct NextGather {
  std::vector<Run> runs;
  size_t count = 0;
  float* dst = nullptr;
};

// Rows [begin, end) of a [rows, dim] parameter whose gradient is given only in `runs` of columns
// (g is [rows, count], count the columns the runs cover); elsewhere the gradient is zero. Each row's
// gradient is expanded into a small buffer that stays in L1, then updated as a whole (spans of a
// few columns would leave most elements to the scalar remainder of the vector loop).
void AdamColumnsRange(const AdamArgs& args, size_t dim, size_t count, const std::vector<Run>& runs, const NextGather* next, size_t begin, size_t end) {
  FlushDenormals flush;
  std::vector<float> row(dim);
  for (size_t r = begin; r < end; r++) {
    const float* g = args.g + r * count;
    size_t done = 0;
    for (const Run& run : runs) {
      ZeroShort(row.data() + done, run.start - done);
      CopyShort(row.data() + run.start, g, run.length);
      g += run.length;
      done = run.start + run.length;
    }
    ZeroShort(row.data() + done, dim - done);
    const size_t base = r * dim;
    AdamSpan(args, args.p + base, row.data(), args.m + base, args.v + base, dim);
    if (next) GatherRow(next->dst + r * next->count, args.p + base, next->runs);
  }
}

// adam(p, g, m, v, beta1, beta2, l2, stepScale, epsScaled, decayFactor, threads?)
napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats p, g, m, v;
  if (!GetFloats(env, argv[0], &p) || !GetFloats(env, argv[1], &g) || !GetFloats(env, argv[2], &m) || !GetFloats(env, argv[3], &v)) return nullptr;
  if (g.length != p.length || m.length != p.length || v.length != p.length) {
    napi_throw_range_error(env, nullptr, "adam: parameter, gradient and moment lengths differ");
    return nullptr;
  }
  const float b1 = static_cast<float>(GetNumber(env, argv[4]));
  const float b2 = static_cast<float>(GetNumber(env, argv[5]));
  const float l2 = static_cast<float>(GetNumber(env, argv[6]));
  const float a = static_cast<float>(GetNumber(env, argv[7]));
  const float eps = static_cast<float>(GetNumber(env, argv[8]));
  const float decay = static_cast<float>(GetNumber(env, argv[9]));
  const AdamArgs args{p.data, g.data, m.data, v.data, b1, b2, l2, a, eps, decay};
  ParallelLoop::Instance().Run(p.length, GetThreads(env, argc, argv, 10), [&args](size_t begin, size_t end) { AdamRange(args, begin, end); });
  return nullptr;
}

// adamColumns(p, g, m, v, rows, dim, cols, count, beta1, beta2, l2, stepScale, epsScaled, decayFactor,
//             threads?, nextCols?, nextCount?, nextDst?):
// adam for a [rows, dim] parameter whose gradient g [rows, count] holds only the columns `cols`
// (the others are zero): the same result as adam on the expanded gradient, without expanding it.
// With nextCols, the updated parameter's columns nextCols are also gathered into nextDst
// [rows, nextCount] while each row is in cache (the next step's compacted weight).
napi_value AdamColumns(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats p, g, m, v;
  ColumnArgs c;
  if (!GetFloats(env, argv[0], &p) || !GetFloats(env, argv[1], &g) || !GetFloats(env, argv[2], &m) || !GetFloats(env, argv[3], &v)) return nullptr;
  if (!ParseColumns(env, "adamColumns", argv[4], argv[5], argv[6], argv[7], &c)) return nullptr;
  const size_t size = c.rows * c.dim;
  if (p.length != size || m.length != size || v.length != size || g.length < c.rows * c.count) {
    napi_throw_range_error(env, nullptr, "adamColumns: parameter, gradient and moment lengths do not match rows, dim and count");
    return nullptr;
  }
  float s[6];
  for (int i = 0; i < 6; i++) s[i] = static_cast<float>(GetNumber(env, argv[8 + i]));
  const AdamArgs args{p.data, g.data, m.data, v.data, s[0], s[1], s[2], s[3], s[4], s[5]};
  const std::vector<Run> runs = RunsOf(c.cols.data, c.count);
  NextGather next;
  const bool has_next = argc >= 18 && !IsNullish(env, argv[15]);
  if (has_next) {
    ColumnArgs n;
    Floats dst;
    if (!ParseColumns(env, "adamColumns (next)", argv[4], argv[5], argv[15], argv[16], &n) || !GetFloats(env, argv[17], &dst)) return nullptr;
    if (!CheckLength(env, "adamColumns (next)", dst, n.rows * n.count)) return nullptr;
    next.runs = RunsOf(n.cols.data, n.count);
    next.count = n.count;
    next.dst = dst.data;
  }
  const NextGather* next_ptr = has_next ? &next : nullptr;
  const size_t dim = c.dim, count = c.count;
  ParallelLoop::Instance().Run(c.rows, GetThreads(env, argc, argv, 14), [&](size_t begin, size_t end) { AdamColumnsRange(args, dim, count, runs, next_ptr, begin, end); }, dim);
  return nullptr;
}

// firstNonFinite(x: Float32Array) → the index of the first NaN or ±Infinity, or −1. A float is
// non-finite exactly when its exponent bits are all ones; blocks of 4096 are tested with an integer
// OR that the compiler vectorizes, and only a flagged block is searched element by element.
napi_value FirstNonFinite(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats x;
  if (argc < 1 || !GetFloats(env, argv[0], &x)) return nullptr;
  constexpr size_t kBlock = 4096;
  constexpr uint32_t kExponent = 0x7F800000u;
  const uint32_t* bits = reinterpret_cast<const uint32_t*>(x.data);
  int64_t found = -1;
  for (size_t begin = 0; begin < x.length && found < 0; begin += kBlock) {
    const size_t end = std::min(x.length, begin + kBlock);
    uint32_t flagged = 0;
    for (size_t i = begin; i < end; i++) flagged |= (bits[i] & kExponent) == kExponent;
    if (!flagged) continue;
    for (size_t i = begin; i < end; i++) {
      if ((bits[i] & kExponent) == kExponent) {
        found = static_cast<int64_t>(i);
        break;
      }
    }
  }
  napi_value out;
  napi_create_int64(env, found, &out);
  return out;
}

// A row gather dst[r] = src[rows[r]] (rows of `dim` floats), parsed from (src, dim, rows, dst).
struct Gather {
  const float* src = nullptr;
  size_t src_rows = 0;
  size_t dim = 0;
  const int32_t* rows = nullptr;
  size_t count = 0;
  float* dst = nullptr;

  // False when a row index is out of range (nothing after it is copied).
  bool Run() const {
    for (size_t r = 0; r < count; r++) {
      const int32_t i = rows[r];
      if (i < 0 || static_cast<size_t>(i) >= src_rows) return false;
      std::memcpy(dst + r * dim, src + static_cast<size_t>(i) * dim, dim * sizeof(float));
    }
    return true;
  }
};

bool ParseGather(napi_env env, napi_value* argv, Gather* g) {
  Floats src, dst;
  if (!GetFloats(env, argv[0], &src) || !GetFloats(env, argv[3], &dst)) return false;
  g->dim = static_cast<size_t>(GetNumber(env, argv[1]));
  Int32s rows;
  if (!GetInt32s(env, argv[2], "gatherRows: rows must be an Int32Array", &rows)) return false;
  g->count = rows.length;
  if (dst.length < g->count * g->dim) {
    napi_throw_range_error(env, nullptr, "gatherRows: destination too small");
    return false;
  }
  g->src = src.data;
  g->src_rows = g->dim ? src.length / g->dim : 0;
  g->rows = rows.data;
  g->dst = dst.data;
  return true;
}

const char kRowOutOfRange[] = "gatherRows: row index out of range";

// gatherRows(src: Float32Array, dim, rows: Int32Array, dst: Float32Array)
napi_value GatherRows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Gather g;
  if (ParseGather(env, argv, &g) && !g.Run()) napi_throw_range_error(env, nullptr, kRowOutOfRange);
  return nullptr;
}

// gatherRowsAsync(src, dim, rows, dst) → Promise: the same copy on a libuv worker thread, so that
// the next batch is gathered while ONNX Runtime runs the current step on the main thread.
struct GatherJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref refs[3] = {nullptr, nullptr, nullptr};
  Gather gather;
  bool ok = true;
};

void GatherExecute(napi_env, void* data) {
  auto* job = static_cast<GatherJob*>(data);
  job->ok = job->gather.Run();
}

void GatherComplete(napi_env env, napi_status, void* data) {
  auto* job = static_cast<GatherJob*>(data);
  if (job->ok) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, kRowOutOfRange, NAPI_AUTO_LENGTH, &msg);
    napi_create_range_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  for (napi_ref ref : job->refs) napi_delete_reference(env, ref);
  napi_delete_async_work(env, job->work);
  delete job;
}

napi_value GatherRowsAsync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  auto* job = new GatherJob();
  if (!ParseGather(env, argv, &job->gather)) {
    delete job;
    return nullptr;
  }
  // Keep the three arrays alive until the copy is done.
  napi_create_reference(env, argv[0], 1, &job->refs[0]);
  napi_create_reference(env, argv[2], 1, &job->refs[1]);
  napi_create_reference(env, argv[3], 1, &job->refs[2]);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "gatherRowsAsync", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, GatherExecute, GatherComplete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

}  // namespace

void RegisterOrtRunner(napi_env env, napi_value exports);   // ort_runner.cc
void RegisterColumns(napi_env env, napi_value exports);     // columns.cc
void RegisterSparseRows(napi_env env, napi_value exports);  // sparse_ops.cc

NAPI_MODULE_INIT() {
#if defined(__GLIBC__)
  // Tensors of a few MB are allocated and freed on every step. By default glibc serves them with
  // fresh mmap'd pages, so every step pays a page fault per 4 KB (measured: ~2 ms per 4 MB
  // output). Keeping them in the heap makes the memory reusable across steps.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
  napi_value fn;
  napi_create_function(env, "sgd", NAPI_AUTO_LENGTH, Sgd, nullptr, &fn);
  napi_set_named_property(env, exports, "sgd", fn);
  napi_create_function(env, "adam", NAPI_AUTO_LENGTH, Adam, nullptr, &fn);
  napi_set_named_property(env, exports, "adam", fn);
  napi_create_function(env, "adamColumns", NAPI_AUTO_LENGTH, AdamColumns, nullptr, &fn);
  napi_set_named_property(env, exports, "adamColumns", fn);
  napi_create_function(env, "firstNonFinite", NAPI_AUTO_LENGTH, FirstNonFinite, nullptr, &fn);
  napi_set_named_property(env, exports, "firstNonFinite", fn);
  napi_create_function(env, "gatherRows", NAPI_AUTO_LENGTH, GatherRows, nullptr, &fn);
  napi_set_named_property(env, exports, "gatherRows", fn);
  napi_create_function(env, "gatherRowsAsync", NAPI_AUTO_LENGTH, GatherRowsAsync, nullptr, &fn);
  napi_set_named_property(env, exports, "gatherRowsAsync", fn);
  RegisterOrtRunner(env, exports);
  RegisterColumns(env, exports);
  RegisterSparseRows(env, exports);
  return exports;
}
