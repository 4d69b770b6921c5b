// Linear layers on inputs that are mostly zeros (ColorMNIST's rows: 38 nonzeros of 392 features):
// y = x·Wᵀ + b with work that follows x's nonzeros rather than n × in.
//
// x is stored once, by blocks of rows: within a block, column by column, the (row, value) entries
// of that column. The product then loads W's weights for a column once per block and adds them to
// every row of the block that has the feature, with the block's outputs held in L1. Measured on
// ColorMNIST's 5,000 evaluation rows (187,000 nonzeros, 390 outputs): 4.5–5.8 ms. Row by row, with
// the outputs in registers and each nonzero fetching its 1.5 KB of weights from L2, took 5–7 ms.
//
// Sums run in increasing column order: equal to the dense product up to float rounding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sparse_rows {

// The layout, in int32 words:
//   header: n, in, block_rows, blocks, features
//   used[features]: the features nonzero somewhere in x, increasing; the product reads W's columns
//     for these only (text features may have tens of thousands, few of them in use)
//   col_start[blocks + 1]: block b's columns are col_start[b] .. col_start[b + 1]
//   cols[total columns]: each block column's feature, as an index into used (increasing in a block)
//   entry_start[total columns + 1]: the entries of block column c
//   entry_row[nnz]: the row of each entry, relative to its block
// and values[nnz] (float) alongside entry_row.
struct Layout {
  size_t n = 0, in = 0, block_rows = 0, blocks = 0, features = 0;
  const int32_t* used = nullptr;
  const int32_t* col_start = nullptr;
  const int32_t* cols = nullptr;
  const int32_t* entry_start = nullptr;
  const int32_t* entry_row = nullptr;
  size_t nnz = 0;
};

// Encodes x [n, in] (dense) into words and values.
void Encode(const float* x, size_t n, size_t in, size_t block_rows, std::vector<int32_t>* words, std::vector<float>* values);

// Reads and checks a layout of `length` words with `values` values; "" or why it is malformed.
std::string Decode(const int32_t* words, size_t length, size_t values, Layout* out);

// The columns `used` of W [out, in] (PyTorch's layout), transposed into wt [features, ld]
// (ld = LeadingDim(out)), so that the weights one feature multiplies are contiguous.
void GatherTransposed(const float* w, size_t out, size_t in, const int32_t* used, size_t features, float* wt, size_t ld);
inline size_t LeadingDim(size_t out) { return (out + 15) / 16 * 16; }

// y [n, out] = x·Wᵀ + b (b may be null), or its ReLU with `relu`, with wt from GatherTransposed
// over x.used. The ReLU is applied as each block's outputs are copied out of L1 (a separate pass
// would read and write y once more).
void Multiply(const Layout& x, const float* values, const float* wt, size_t ld, const float* b, size_t out, float* y, bool relu = false);

}  // namespace sparse_rows
