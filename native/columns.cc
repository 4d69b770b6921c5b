// Column compaction for inputs with many zero features (ColorMNIST rows are 90% zeros). A training
// step then multiplies only the columns that are nonzero somewhere in its batch: the batch and the
// first layer's weight are compacted to those columns, and the weight's gradient is either used in
// its compact form (adamColumns, kernels.cc) or expanded back here.
#include <node_api.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "columns.h"

namespace {

// nonzeroColumns(x: Float32Array, rows, dim, cols: Int32Array, maxCount) → count, or −1 once more
// than maxCount columns are known to be nonzero (dense data stops after its first rows).
// Writes the columns of x[0..rows) holding any nonzero value, in increasing order, into cols.
napi_value NonzeroColumns(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Floats x;
  Int32s cols;
  if (!GetFloats(env, argv[0], &x) || !GetInt32s(env, argv[3], "nonzeroColumns: columns must be an Int32Array", &cols)) return nullptr;
  const size_t rows = static_cast<size_t>(GetNumber(env, argv[1]));
  const size_t dim = static_cast<size_t>(GetNumber(env, argv[2]));
  const double max_count = GetNumber(env, argv[4]);
  if (!CheckLength(env, "nonzeroColumns", x, rows * dim)) return nullptr;
  if (cols.length < dim) {
    napi_throw_range_error(env, nullptr, "nonzeroColumns: the columns array must hold dim values");
    return nullptr;
  }
  // NaN compares unequal to zero, so a NaN column counts as nonzero and reaches the graph.
  std::vector<uint8_t> seen(dim, 0);
  size_t count = 0;
  int64_t result = 0;
  for (size_t r = 0; r < rows; r++) {
    const float* row = x.data + r * dim;
    for (size_t c = 0; c < dim; c++) seen[c] |= row[c] != 0.0f;
    // Counted after rows 1, 2, 4, 8, … and the last: dense data stops early, sparse data pays little.
    if ((r & (r + 1)) != 0 && r + 1 != rows) continue;
    count = 0;
    for (size_t c = 0; c < dim; c++) count += seen[c];
    if (static_cast<double>(count) > max_count) {
      result = -1;
      break;
    }
  }
  if (result == 0) {
    size_t k = 0;
    for (size_t c = 0; c < dim; c++) {
      if (seen[c]) cols.data[k++] = static_cast<int32_t>(c);
    }
    result = static_cast<int64_t>(k);
  }
  napi_value out;
  napi_create_int64(env, result, &out);
  return out;
}

// The arguments (src, rows, dim, cols, count, dst) of a copy between a full [rows, dim] matrix and
// its [rows, count] columns: src is the full one unless `scatter`.
bool ParseCopy(napi_env env, napi_callback_info info, const char* name, bool scatter, Floats* src, Floats* dst, ColumnArgs* a) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 6) {
    napi_throw_type_error(env, nullptr, (std::string(name) + ": expected 6 arguments").c_str());
    return false;
  }
  if (!GetFloats(env, argv[0], src) || !GetFloats(env, argv[5], dst)) return false;
  if (!ParseColumns(env, name, argv[1], argv[2], argv[3], argv[4], a)) return false;
  const size_t full = a->rows * a->dim, compact = a->rows * a->count;
  return CheckLength(env, name, *src, scatter ? compact : full) && CheckLength(env, name, *dst, scatter ? full : compact);
}

// gatherColumns(src, rows, dim, cols, count, dst): dst[r, j] = src[r, cols[j]] (dst is rows × count).
napi_value GatherColumns(napi_env env, napi_callback_info info) {
  Floats src, dst;
  ColumnArgs a;
  if (!ParseCopy(env, info, "gatherColumns", false, &src, &dst, &a)) return nullptr;
  const std::vector<Run> runs = RunsOf(a.cols.data, a.count);
  for (size_t r = 0; r < a.rows; r++) GatherRow(dst.data + r * a.count, src.data + r * a.dim, runs);
  return nullptr;
}

// scatterColumns(src, rows, dim, cols, count, dst): dst[r, cols[j]] = src[r, j] and zero in every
// other column (src is rows × count, dst rows × dim).
napi_value ScatterColumns(napi_env env, napi_callback_info info) {
  Floats src, dst;
  ColumnArgs a;
  if (!ParseCopy(env, info, "scatterColumns", true, &src, &dst, &a)) return nullptr;
  const std::vector<Run> runs = RunsOf(a.cols.data, a.count);
  for (size_t r = 0; r < a.rows; r++) {
    const float* in = src.data + r * a.count;
    float* out = dst.data + r * a.dim;
    size_t done = 0;
    for (const Run& run : runs) {
      ZeroShort(out + done, run.start - done);
      CopyShort(out + run.start, in, run.length);
      in += run.length;
      done = run.start + run.length;
    }
    ZeroShort(out + done, a.dim - done);
  }
  return nullptr;
}

}  // namespace

void RegisterColumns(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {{"nonzeroColumns", NonzeroColumns}, {"gatherColumns", GatherColumns}, {"scatterColumns", ScatterColumns}};
  for (const auto& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
}
