// Argument checks shared by the addon's node-api functions.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace wbct {

struct Float32View {
  float* data;
  std::size_t length;
};

// The Float32Array `value`, or a runtime_error saying `what` must be one.
inline Float32View float32Array(napi_env env, napi_value value, const std::string& what) {
  bool isTa = false;
  napi_is_typedarray(env, value, &isTa);
  napi_typedarray_type type = napi_int8_array;
  std::size_t length = 0;
  void* data = nullptr;
  if (isTa) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!isTa || type != napi_float32_array) throw std::runtime_error(what + " must be a Float32Array");
  return {static_cast<float*>(data), length};
}

}  // namespace wbct
