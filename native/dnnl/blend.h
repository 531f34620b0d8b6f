// The sliding window's Gaussian blend of one window into row sums (src/infer/slidingWindow), in C++.
#pragma once
#include <node_api.h>

namespace wbct {
// blendSlabs(sums: Float32Array[], weights: Float32Array[], output: Float32Array, weightMap: Float32Array,
//            channels, [r0, r1, r2], g, f, q, q0, Q, threads)
napi_value BlendSlabs(napi_env env, napi_callback_info info);
}  // namespace wbct
