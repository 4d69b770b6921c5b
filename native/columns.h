// Column lists shared by the compaction helpers (columns.cc) and the column-aware Adam update
// (kernels.cc): parsing and checking, and copies by runs of consecutive columns.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "napi_args.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// The arguments of the column functions: a matrix of `rows` × `dim` floats and a list of `count`
// column indices, checked against each other.
struct ColumnArgs {
  size_t rows = 0;
  size_t dim = 0;
  Int32s cols;
  size_t count = 0;
};

inline bool ParseColumns(napi_env env, const char* name, napi_value rows, napi_value dim, napi_value cols, napi_value count, ColumnArgs* out) {
  const double r = GetNumber(env, rows), d = GetNumber(env, dim), k = GetNumber(env, count);
  if (!(r >= 0 && d >= 0 && k >= 0)) {
    napi_throw_range_error(env, nullptr, (std::string(name) + ": sizes must be non-negative").c_str());
    return false;
  }
  out->rows = static_cast<size_t>(r);
  out->dim = static_cast<size_t>(d);
  out->count = static_cast<size_t>(k);
  if (!GetInt32s(env, cols, (std::string(name) + ": columns must be an Int32Array").c_str(), &out->cols)) return false;
  if (out->cols.length < out->count || out->count > out->dim) {
    napi_throw_range_error(env, nullptr, (std::string(name) + ": more columns than the matrix has").c_str());
    return false;
  }
  for (size_t j = 0; j < out->count; j++) {
    const int32_t c = out->cols.data[j];
    if (c < 0 || static_cast<size_t>(c) >= out->dim || (j > 0 && c <= out->cols.data[j - 1])) {
      napi_throw_range_error(env, nullptr, (std::string(name) + ": columns must be increasing and inside the matrix").c_str());
      return false;
    }
  }
  return true;
}

// Consecutive columns, copied together: ColorMNIST's nonzero columns come in runs of about ten
// (the digit's extent along an image row), so a row of the weight is ~25 short copies rather than
// ~200 indexed loads.
struct Run {
  size_t start;
  size_t length;
};

inline std::vector<Run> RunsOf(const int32_t* cols, size_t count) {
  std::vector<Run> runs;
  for (size_t j = 0; j < count; j++) {
    const size_t c = static_cast<size_t>(cols[j]);
    if (!runs.empty() && runs.back().start + runs.back().length == c) {
      runs.back().length++;
    } else {
      runs.push_back({c, 1});
    }
  }
  return runs;
}

inline void CopyShort(float* dst, const float* src, size_t n) {
#if defined(__AVX512F__)
  for (; n >= 16; n -= 16, dst += 16, src += 16) _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
  if (n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
    _mm512_mask_storeu_ps(dst, mask, _mm512_maskz_loadu_ps(mask, src));
  }
#else
  std::memcpy(dst, src, n * sizeof(float));
#endif
}

inline void ZeroShort(float* dst, size_t n) {
#if defined(__AVX512F__)
  const __m512 zero = _mm512_setzero_ps();
  for (; n >= 16; n -= 16, dst += 16) _mm512_storeu_ps(dst, zero);
  if (n) _mm512_mask_storeu_ps(dst, static_cast<__mmask16>((1u << n) - 1), zero);
#else
  std::memset(dst, 0, n * sizeof(float));
#endif
}

// One row's columns, run by run: out[0..count) = in[runs...] (count the columns the runs cover).
inline void GatherRow(float* out, const float* in, const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    CopyShort(out, in + run.start, run.length);
    out += run.length;
  }
}

inline bool CheckLength(napi_env env, const char* name, const Floats& a, size_t need) {
  if (a.length >= need) return true;
  napi_throw_range_error(env, nullptr, (std::string(name) + ": array too small").c_str());
  return false;
}
