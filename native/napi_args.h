// Argument parsing shared by the addon's functions: typed arrays and numbers from N-API values.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>

inline bool IsNullish(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_null || type == napi_undefined;
}

struct Floats {
  float* data = nullptr;
  size_t length = 0;
};

// The data and length of a typed array of type `want`; false for any other value.
inline bool TypedArrayOf(napi_env env, napi_value value, napi_typedarray_type want, void** data, size_t* length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return false;
  napi_typedarray_type t;
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, value, &t, length, data, &buffer, &offset);
  return t == want;
}

// A Float32Array argument; null and undefined leave `out` empty. False (with a thrown TypeError)
// for anything else.
inline bool GetFloats(napi_env env, napi_value value, Floats* out) {
  if (IsNullish(env, value)) return true;
  void* data = nullptr;
  if (!TypedArrayOf(env, value, napi_float32_array, &data, &out->length)) {
    napi_throw_type_error(env, nullptr, "expected a Float32Array");
    return false;
  }
  out->data = static_cast<float*>(data);
  return true;
}

struct Int32s {
  int32_t* data = nullptr;
  size_t length = 0;
};

// An Int32Array argument. False (with a thrown TypeError naming `what`) for anything else.
inline bool GetInt32s(napi_env env, napi_value value, const char* what, Int32s* out) {
  void* data = nullptr;
  if (!TypedArrayOf(env, value, napi_int32_array, &data, &out->length)) {
    napi_throw_type_error(env, nullptr, what);
    return false;
  }
  out->data = static_cast<int32_t*>(data);
  return true;
}

inline double GetNumber(napi_env env, napi_value value) {
  double d = 0;
  napi_get_value_double(env, value, &d);
  return d;
}
