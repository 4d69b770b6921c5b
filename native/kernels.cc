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
#include "napi_args.h"
#include "parallel.h"

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

void AdamRange(const AdamArgs& args, size_t begin, size_t end) {
  FlushDenormals flush;
  AdamBlock(args, args.p + begin, args.g + begin, args.m + begin, args.v + begin, end - begin);
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

}  // namespace

void RegisterOrtRunner(napi_env env, napi_value exports);   // ort_runner.cc

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "sgd", NAPI_AUTO_LENGTH, Sgd, nullptr, &fn);
  napi_set_named_property(env, exports, "sgd", fn);
  napi_create_function(env, "adam", NAPI_AUTO_LENGTH, Adam, nullptr, &fn);
  napi_set_named_property(env, exports, "adam", fn);
  napi_create_function(env, "gatherRows", NAPI_AUTO_LENGTH, GatherRows, nullptr, &fn);
  napi_set_named_property(env, exports, "gatherRows", fn);
  RegisterOrtRunner(env, exports);
  return exports;
}
