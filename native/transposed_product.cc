#include "transposed_product.h"
#include <algorithm>
#include <vector>
#include "flush_denormals.h"
#include "parallel.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace transposed_product {

namespace {

// c's rows are taken 64 at a time (four vectors of a's columns), its columns R at a time (R ≤ 7
// broadcasts of b's row): up to 28 accumulators in registers.
constexpr size_t kRows = 64;
constexpr size_t kMaxCols = 7;

#if defined(__AVX512F__)
// t [R, 64] (batch-major: t[r] holds c[i0 .. i0 + 64, n0 + r]) from a's columns i0 .. i0 + 64 and
// b's columns n0 .. n0 + R. Always inlined: called through a table of its instances, the compiler
// also kept every accumulator in memory and stored it on each pass (2.3× slower).
template <int R>
__attribute__((always_inline)) inline void Tile(const float* a, const float* b, float* t, size_t k, size_t m, size_t n, size_t i0, size_t n0) {
  const int rows = static_cast<int>(std::min(kRows, m - i0));
  __mmask16 mask[4];
  for (int q = 0; q < 4; q++) {
    const int left = rows - 16 * q;
    mask[q] = left >= 16 ? 0xffff : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
  }
  __m512 acc[R][4];
  for (int r = 0; r < R; r++) {
    for (int q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_ps();
  }
  const float* ak = a + i0;
  const float* bk = b + n0;
  for (size_t kk = 0; kk < k; kk++, ak += m, bk += n) {
    __m512 av[4];
    for (int q = 0; q < 4; q++) av[q] = _mm512_maskz_loadu_ps(mask[q], ak + 16 * q);
    for (int r = 0; r < R; r++) {
      const __m512 bv = _mm512_set1_ps(bk[r]);
      for (int q = 0; q < 4; q++) acc[r][q] = _mm512_fmadd_ps(bv, av[q], acc[r][q]);
    }
  }
  for (int r = 0; r < R; r++) {
    for (int q = 0; q < 4; q++) _mm512_mask_storeu_ps(t + r * kRows + 16 * q, mask[q], acc[r][q]);
  }
}

#endif

void RowBlocks(const float* a, const float* b, float* c, size_t k, size_t m, size_t n, size_t begin, size_t end) {
  FlushDenormals flush;
#if defined(__AVX512F__)
  // A block's results batch-major first (contiguous stores from the accumulators), then transposed
  // into c's rows.
  std::vector<float> t(n * kRows);
  for (size_t block = begin; block < end; block++) {
    const size_t i0 = block * kRows, rows = std::min(kRows, m - i0);
    for (size_t n0 = 0; n0 < n; n0 += kMaxCols) {
      float* tile = t.data() + n0 * kRows;
      switch (std::min(kMaxCols, n - n0)) {
        case 7: Tile<7>(a, b, tile, k, m, n, i0, n0); break;
        case 6: Tile<6>(a, b, tile, k, m, n, i0, n0); break;
        case 5: Tile<5>(a, b, tile, k, m, n, i0, n0); break;
        case 4: Tile<4>(a, b, tile, k, m, n, i0, n0); break;
        case 3: Tile<3>(a, b, tile, k, m, n, i0, n0); break;
        case 2: Tile<2>(a, b, tile, k, m, n, i0, n0); break;
        default: Tile<1>(a, b, tile, k, m, n, i0, n0); break;
      }
    }
    for (size_t i = 0; i < rows; i++) {
      float* out = c + (i0 + i) * n;
      for (size_t j = 0; j < n; j++) out[j] = t[j * kRows + i];
    }
  }
#else
  for (size_t i = begin * kRows; i < std::min(m, end * kRows); i++) {
    float* out = c + i * n;
    std::fill(out, out + n, 0.0f);
    for (size_t kk = 0; kk < k; kk++) {
      const float w = a[kk * m + i];
      const float* row = b + kk * n;
      for (size_t j = 0; j < n; j++) out[j] += w * row[j];
    }
  }
#endif
}

}  // namespace

void Multiply(const float* a, const float* b, float* c, size_t k, size_t m, size_t n, size_t threads) {
  const size_t blocks = (m + kRows - 1) / kRows;
  // A block of rows is kRows · n · k multiply-adds; ParallelLoop counts elements of about one
  // vector operation each.
  const size_t block_cost = std::max<size_t>(1, kRows * n * k / 16);
  ParallelLoop::Instance().Run(blocks, threads, [&](size_t begin, size_t end) { RowBlocks(a, b, c, k, m, n, begin, end); }, block_cost);
}

}  // namespace transposed_product
