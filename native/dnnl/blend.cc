#include "blend.h"

#include "napi_args.h"

#include <omp.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace wbct {
namespace {

#define WBCT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

int intArg(napi_env env, napi_value v, const char* what) {
  int32_t x = 0;
  if (napi_get_value_int32(env, v, &x) != napi_ok) throw std::runtime_error(std::string(what) + " must be an integer");
  return x;
}

WBCT_CLONES void addRow(float* dst, const float* src, int n) {
  for (int i = 0; i < n; i++) dst[i] += src[i];
}

}  // namespace

// Exactly the JavaScript blend's arithmetic (slidingWindowInference.ts): per slab ig of axis g, every channel's
// product output x weight is rounded to float, transposed to [c][f][q], then added to its row in float; weight sums
// get the weight map's values. Slabs touch disjoint rows, so they run in parallel.
napi_value BlendSlabs(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 12) {
    napi_throw_error(env, nullptr, "blendSlabs needs 12 arguments");
    return nullptr;
  }
  try {
    const Float32View output = float32Array(env, argv[2], "output");
    const Float32View weightMap = float32Array(env, argv[3], "weightMap");
    const int channels = intArg(env, argv[4], "channels");
    int roi[3];
    for (uint32_t i = 0; i < 3; i++) {
      napi_value e;
      if (napi_get_element(env, argv[5], i, &e) != napi_ok) throw std::runtime_error("roi must be 3 integers");
      roi[i] = intArg(env, e, "roi");
    }
    const int g = intArg(env, argv[6], "g"), f = intArg(env, argv[7], "f"), q = intArg(env, argv[8], "q");
    const int q0 = intArg(env, argv[9], "q0"), Q = intArg(env, argv[10], "Q");
    const int threads = intArg(env, argv[11], "threads");
    if (g < 0 || g > 2 || f < 0 || f > 2 || q < 0 || q > 2 || g == f || f == q || g == q) throw std::runtime_error("g, f, q must be the three axes");
    if (roi[0] < 1 || roi[1] < 1 || roi[2] < 1 || channels < 1) throw std::runtime_error("bad roi or channels");
    const std::size_t V = static_cast<std::size_t>(roi[0]) * roi[1] * roi[2];
    const std::size_t stride[3] = {static_cast<std::size_t>(roi[1]) * roi[2], static_cast<std::size_t>(roi[2]), 1};
    const int ng = roi[g], nf = roi[f], nq = roi[q];
    if (output.length != V * channels || weightMap.length != V) throw std::runtime_error("output or weight map size does not match the window");
    if (q0 < 0 || Q < q0 + nq) throw std::runtime_error("the window's q range is outside the rows");
    uint32_t nSums = 0, nWeights = 0;
    napi_get_array_length(env, argv[0], &nSums);
    napi_get_array_length(env, argv[1], &nWeights);
    const std::size_t rows = static_cast<std::size_t>(ng) * nf;
    if (nSums != rows || nWeights != rows) throw std::runtime_error("expected " + std::to_string(rows) + " rows of sums and of weights");
    std::vector<float*> sums(rows), weights(rows);
    for (uint32_t k = 0; k < rows; k++) {
      napi_value s, w;
      napi_get_element(env, argv[0], k, &s);
      napi_get_element(env, argv[1], k, &w);
      const Float32View ss = float32Array(env, s, "a row of sums"), ws = float32Array(env, w, "a row of weights");
      if (ss.length != static_cast<std::size_t>(channels) * Q || ws.length != static_cast<std::size_t>(Q)) throw std::runtime_error("a row has the wrong length");
      sums[k] = ss.data;
      weights[k] = ws.data;
    }
    const std::size_t sg = stride[g], sf = stride[f], sq = stride[q];
    const std::size_t slabVoxels = static_cast<std::size_t>(nf) * nq;
    omp_set_num_threads(threads < 1 ? 1 : threads);
#pragma omp parallel
    {
      std::vector<float> slab(slabVoxels * channels), wslab(slabVoxels);
#pragma omp for schedule(static)
      for (int ig = 0; ig < ng; ig++) {
        const std::size_t s0 = ig * sg;
        for (int jf = 0; jf < nf; jf++) {
          for (int iq = 0; iq < nq; iq++) wslab[static_cast<std::size_t>(jf) * nq + iq] = weightMap.data[s0 + jf * sf + iq * sq];
        }
        for (int c = 0; c < channels; c++) {
          const float* src = output.data + static_cast<std::size_t>(c) * V + s0;
          float* dst = slab.data() + static_cast<std::size_t>(c) * slabVoxels;
          // Read along the window's fastest axis (q's when it is fastest, f's otherwise).
          if (sq == 1) {
            for (int jf = 0; jf < nf; jf++)
              for (int iq = 0; iq < nq; iq++) dst[static_cast<std::size_t>(jf) * nq + iq] = src[jf * sf + iq] * weightMap.data[s0 + jf * sf + iq];
          } else {
            for (int iq = 0; iq < nq; iq++)
              for (int jf = 0; jf < nf; jf++) dst[static_cast<std::size_t>(jf) * nq + iq] = src[jf * sf + iq * sq] * weightMap.data[s0 + jf * sf + iq * sq];
          }
        }
        for (int jf = 0; jf < nf; jf++) {
          const std::size_t k = static_cast<std::size_t>(ig) * nf + jf;
          addRow(weights[k] + q0, wslab.data() + static_cast<std::size_t>(jf) * nq, nq);
          for (int c = 0; c < channels; c++) addRow(sums[k] + static_cast<std::size_t>(c) * Q + q0, slab.data() + static_cast<std::size_t>(c) * slabVoxels + static_cast<std::size_t>(jf) * nq, nq);
        }
      }
    }
    return nullptr;
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

}  // namespace wbct
