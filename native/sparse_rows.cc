#include "sparse_rows.h"
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace sparse_rows {

constexpr size_t kHeader = 5;

void Encode(const float* x, size_t n, size_t in, size_t block_rows, std::vector<int32_t>* words, std::vector<float>* values) {
  const size_t blocks = (n + block_rows - 1) / block_rows;
  std::vector<int32_t> col_start{0}, cols, entry_start{0}, entry_row;
  values->clear();
  std::vector<std::vector<std::pair<int32_t, float>>> by_col(in);
  std::vector<bool> in_use(in, false);
  for (size_t b = 0; b < blocks; b++) {
    const size_t r0 = b * block_rows, r1 = std::min(n, r0 + block_rows);
    for (size_t r = r0; r < r1; r++) {
      for (size_t j = 0; j < in; j++) {
        const float v = x[r * in + j];
        if (v != 0) by_col[j].push_back({static_cast<int32_t>(r - r0), v});
      }
    }
    for (size_t j = 0; j < in; j++) {
      if (by_col[j].empty()) continue;
      in_use[j] = true;
      cols.push_back(static_cast<int32_t>(j));
      for (const auto& [row, v] : by_col[j]) {
        entry_row.push_back(row);
        values->push_back(v);
      }
      entry_start.push_back(static_cast<int32_t>(entry_row.size()));
      by_col[j].clear();
    }
    col_start.push_back(static_cast<int32_t>(cols.size()));
  }
  // Features to slots in used.
  std::vector<int32_t> used, slot(in, -1);
  for (size_t j = 0; j < in; j++) {
    if (!in_use[j]) continue;
    slot[j] = static_cast<int32_t>(used.size());
    used.push_back(static_cast<int32_t>(j));
  }
  for (int32_t& c : cols) c = slot[static_cast<size_t>(c)];
  words->clear();
  words->insert(words->end(), {static_cast<int32_t>(n), static_cast<int32_t>(in), static_cast<int32_t>(block_rows), static_cast<int32_t>(blocks),
                               static_cast<int32_t>(used.size())});
  for (const auto* part : {&used, &col_start, &cols, &entry_start, &entry_row}) words->insert(words->end(), part->begin(), part->end());
}

std::string Decode(const int32_t* words, size_t length, size_t values, Layout* out) {
  if (length < kHeader) return "the layout is shorter than its header";
  for (size_t i = 0; i < kHeader; i++) {
    if (words[i] < 0) return "the layout's header is negative";
  }
  Layout x;
  x.n = static_cast<size_t>(words[0]);
  x.in = static_cast<size_t>(words[1]);
  x.block_rows = static_cast<size_t>(words[2]);
  x.blocks = static_cast<size_t>(words[3]);
  x.features = static_cast<size_t>(words[4]);
  if (x.block_rows == 0 || x.blocks != (x.n + x.block_rows - 1) / x.block_rows) return "the layout's block count does not match its rows";
  if (x.features > x.in) return "the layout uses more features than the rows have";
  size_t at = kHeader;
  auto take = [&](size_t count, const int32_t** part) {
    if (length - at < count) return false;
    *part = words + at;
    at += count;
    return true;
  };
  if (!take(x.features, &x.used) || !take(x.blocks + 1, &x.col_start)) return "the layout is truncated";
  for (size_t u = 0; u < x.features; u++) {
    if (x.used[u] < 0 || static_cast<size_t>(x.used[u]) >= x.in || (u > 0 && x.used[u] <= x.used[u - 1])) return "the layout has a feature outside [0, in) or out of order";
  }
  const size_t columns = static_cast<size_t>(x.col_start[x.blocks]);
  if (x.col_start[0] != 0 || x.col_start[x.blocks] < 0 || !take(columns, &x.cols) || !take(columns + 1, &x.entry_start)) return "the layout is truncated";
  x.nnz = static_cast<size_t>(std::max(0, x.entry_start[columns]));
  if (x.entry_start[0] != 0 || !take(x.nnz, &x.entry_row) || at != length) return "the layout's length does not match its entries";
  if (values != x.nnz) return "the layout has " + std::to_string(x.nnz) + " entries but " + std::to_string(values) + " values";
  for (size_t b = 0; b < x.blocks; b++) {
    if (x.col_start[b + 1] < x.col_start[b]) return "the layout's blocks are out of order";
    const size_t rows = std::min(x.block_rows, x.n - b * x.block_rows);
    for (int32_t c = x.col_start[b]; c < x.col_start[b + 1]; c++) {
      if (x.cols[c] < 0 || static_cast<size_t>(x.cols[c]) >= x.features) return "the layout has a column outside its features";
      if (x.entry_start[c + 1] < x.entry_start[c]) return "the layout's entries are out of order";
      for (int32_t e = x.entry_start[c]; e < x.entry_start[c + 1]; e++) {
        if (x.entry_row[e] < 0 || static_cast<size_t>(x.entry_row[e]) >= rows) return "the layout has a row outside its block";
      }
    }
  }
  *out = x;
  return "";
}

void GatherTransposed(const float* w, size_t out, size_t in, const int32_t* used, size_t features, float* wt, size_t ld) {
  // Tiles of 16 × 16 keep both sides' lines in L1.
  constexpr size_t kTile = 16;
  for (size_t o0 = 0; o0 < out; o0 += kTile) {
    const size_t o1 = std::min(out, o0 + kTile);
    for (size_t u0 = 0; u0 < features; u0 += kTile) {
      const size_t u1 = std::min(features, u0 + kTile);
      for (size_t o = o0; o < o1; o++) {
        const float* row = w + o * in;
        for (size_t u = u0; u < u1; u++) wt[u * ld + o] = row[used[u]];
      }
    }
  }
  for (size_t u = 0; u < features; u++) std::fill(wt + u * ld + out, wt + (u + 1) * ld, 0.0f);
}

namespace {

// dst[0..n) = max(src, 0) (dst may be src). NaN stays NaN, as ONNX's Relu keeps it.
void ReluCopy(float* dst, const float* src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = src[i] < 0.0f ? 0.0f : src[i];
}

// The outputs [o, o + 16·NV) of one block of rows, in `acc` (block_rows × ld, ld-padded so that
// every access is a whole vector: masked stores would defeat store-to-load forwarding, and a row
// comes back several times per block). acc starts at the bias, then each column's weights (held in
// registers) are added to the rows that have the feature.
#if defined(__AVX512F__)
template <int NV>
void BlockStrip(const Layout& x, const float* values, size_t block, const float* wt, size_t ld, const float* b, size_t o, float* acc) {
  const size_t rows = std::min(x.block_rows, x.n - block * x.block_rows);
  for (size_t r = 0; r < rows; r++) {
    for (int v = 0; v < NV; v++) _mm512_storeu_ps(acc + r * ld + o + 16 * v, b ? _mm512_loadu_ps(b + o + 16 * v) : _mm512_setzero_ps());
  }
  for (int32_t c = x.col_start[block]; c < x.col_start[block + 1]; c++) {
    const float* w = wt + static_cast<size_t>(x.cols[c]) * ld + o;
    __m512 wv[NV];
    for (int v = 0; v < NV; v++) wv[v] = _mm512_loadu_ps(w + 16 * v);
    for (int32_t e = x.entry_start[c]; e < x.entry_start[c + 1]; e++) {
      float* a = acc + static_cast<size_t>(x.entry_row[e]) * ld + o;
      const __m512 value = _mm512_set1_ps(values[e]);
      for (int v = 0; v < NV; v++) _mm512_storeu_ps(a + 16 * v, _mm512_fmadd_ps(value, wv[v], _mm512_loadu_ps(a + 16 * v)));
    }
  }
}

using BlockStripFn = void (*)(const Layout&, const float*, size_t, const float*, size_t, const float*, size_t, float*);
constexpr size_t kMaxVectors = 8;  // outputs per strip: 128, so that a block's strip of acc stays in L1
template <size_t... I>
constexpr std::array<BlockStripFn, sizeof...(I)> Strips(std::index_sequence<I...>) { return {BlockStrip<static_cast<int>(I) + 1>...}; }
constexpr auto kStrips = Strips(std::make_index_sequence<kMaxVectors>());
#endif

}  // namespace

void Multiply(const Layout& x, const float* values, const float* wt, size_t ld, const float* b, size_t out, float* y, bool relu) {
#if defined(__AVX512F__)
  // The outputs in strips of at most 8 vectors, as even as possible (390 outputs: 7, 6, 6, 6).
  // b padded to ld like wt, so that strips read whole vectors.
  thread_local std::vector<float> bias, acc;
  bias.assign(ld, 0.0f);
  if (b) std::copy(b, b + out, bias.begin());
  acc.resize(x.block_rows * ld);
  const size_t vectors = ld / 16;
  const size_t strips = (vectors + kMaxVectors - 1) / kMaxVectors;
  for (size_t block = 0; block < x.blocks; block++) {
    size_t o = 0;
    for (size_t s = 0; s < strips; s++) {
      const size_t nv = vectors / strips + (s < vectors % strips ? 1 : 0);
      kStrips[nv - 1](x, values, block, wt, ld, bias.data(), o, acc.data());
      o += 16 * nv;
    }
    const size_t r0 = block * x.block_rows, rows = std::min(x.block_rows, x.n - r0);
    for (size_t r = 0; r < rows; r++) {
      if (relu) {
        ReluCopy(y + (r0 + r) * out, acc.data() + r * ld, out);
      } else {
        std::memcpy(y + (r0 + r) * out, acc.data() + r * ld, out * sizeof(float));
      }
    }
  }
#else
  for (size_t block = 0; block < x.blocks; block++) {
    const size_t r0 = block * x.block_rows, rows = std::min(x.block_rows, x.n - r0);
    for (size_t r = r0; r < r0 + rows; r++) {
      if (b) std::memcpy(y + r * out, b, out * sizeof(float));
      else std::fill(y + r * out, y + (r + 1) * out, 0.0f);
    }
    for (int32_t c = x.col_start[block]; c < x.col_start[block + 1]; c++) {
      const float* w = wt + static_cast<size_t>(x.cols[c]) * ld;
      for (int32_t e = x.entry_start[c]; e < x.entry_start[c + 1]; e++) {
        float* yr = y + (r0 + static_cast<size_t>(x.entry_row[e])) * out;
        const float value = values[e];
        for (size_t o = 0; o < out; o++) yr[o] += value * w[o];
      }
    }
    if (relu) {
      for (size_t r = r0; r < r0 + rows; r++) ReluCopy(y + r * out, y + r * out, out);
    }
  }
#endif
}

}  // namespace sparse_rows
