#include "group_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace wbct {
namespace {

// Built for the baseline x86-64 by default; target_clones adds AVX2 and AVX-512 variants picked at load time, so the
// addon built on one CPU still runs on another (these machines change CPU between days).
#define WBCT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// One loop for every block size; the fixed sizes (16: nCdhw16c, 32: the bundle's channels-last) let the compiler
// keep the accumulators in registers.
template <int BS>
WBCT_CLONES void accumulateBlock(const float* x, std::size_t count, int bs, double* sum, double* sq) {
  const int n = BS > 0 ? BS : bs;
  for (std::size_t i = 0; i < count; i++) {
    const float* v = x + i * n;
    for (int j = 0; j < n; j++) {
      const double d = v[j];
      sum[j] += d;
      sq[j] += d * d;
    }
  }
}

void accumulate(const float* x, std::size_t count, int bs, double* sum, double* sq) {
  if (bs == 16) accumulateBlock<16>(x, count, bs, sum, sq);
  else if (bs == 32) accumulateBlock<32>(x, count, bs, sum, sq);
  else accumulateBlock<0>(x, count, bs, sum, sq);
}

inline std::uint16_t toBf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // NaN stays NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}

WBCT_CLONES void applyF32(const float* x, float* y, std::size_t count, int bs, const float* a, const float* b) {
  for (std::size_t i = 0; i < count; i++) {
    const float* v = x + i * bs;
    float* o = y + i * bs;
    for (int j = 0; j < bs; j++) o[j] = std::max(0.0f, v[j] * a[j] + b[j]);
  }
}

WBCT_CLONES void applyBf16(const float* x, std::uint16_t* y, std::size_t count, int bs, const float* a, const float* b) {
  for (std::size_t i = 0; i < count; i++) {
    const float* v = x + i * bs;
    std::uint16_t* o = y + i * bs;
    for (int j = 0; j < bs; j++) o[j] = toBf16(std::max(0.0f, v[j] * a[j] + b[j]));
  }
}

}  // namespace

void groupNormRelu(const float* src, void* dst, bool dstBf16, const BlockedShape& sh, int groups, const float* gamma,
                   const float* beta, float eps) {
  const int bs = sh.blockSize;
  const int padded = sh.blocks * bs;
  const int perGroup = sh.channels / groups;
  const std::size_t S = sh.spatial;
  // Spatial chunks small enough to balance the threads, large enough to amortise the per-chunk reduction.
  const std::size_t chunk = 4096;
  const std::size_t chunks = (S + chunk - 1) / chunk;
  std::vector<float> scale(static_cast<std::size_t>(sh.n) * padded), shift(scale.size());

  for (int n = 0; n < sh.n; n++) {
    std::vector<double> sum(padded, 0.0), sq(padded, 0.0);
#pragma omp parallel
    {
      std::vector<double> ls(padded, 0.0), lq(padded, 0.0);
#pragma omp for schedule(static) nowait
      for (std::ptrdiff_t t = 0; t < static_cast<std::ptrdiff_t>(sh.blocks * chunks); t++) {
        const int blk = static_cast<int>(t / chunks);
        const std::size_t c0 = (t % chunks) * chunk;
        const std::size_t count = std::min(chunk, S - c0);
        const float* x = src + ((static_cast<std::size_t>(n) * sh.blocks + blk) * S + c0) * bs;
        accumulate(x, count, bs, ls.data() + blk * bs, lq.data() + blk * bs);
      }
#pragma omp critical
      for (int c = 0; c < padded; c++) {
        sum[c] += ls[c];
        sq[c] += lq[c];
      }
    }
    for (int g = 0; g < groups; g++) {
      double s = 0, q = 0;
      for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
        s += sum[c];
        q += sq[c];
      }
      const double count = static_cast<double>(S) * perGroup;
      const double mean = s / count;
      const double var = std::max(0.0, q / count - mean * mean);
      const double rstd = 1.0 / std::sqrt(var + static_cast<double>(eps));
      for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
        const double a = rstd * gamma[c];
        scale[n * padded + c] = static_cast<float>(a);
        shift[n * padded + c] = static_cast<float>(beta[c] - mean * a);
      }
    }
  }

#pragma omp parallel for schedule(static) collapse(2)
  for (int n = 0; n < sh.n; n++) {
    for (std::ptrdiff_t t = 0; t < static_cast<std::ptrdiff_t>(sh.blocks * chunks); t++) {
      const int blk = static_cast<int>(t / chunks);
      const std::size_t c0 = (t % chunks) * chunk;
      const std::size_t count = std::min(chunk, S - c0);
      const std::size_t off = ((static_cast<std::size_t>(n) * sh.blocks + blk) * S + c0) * bs;
      const float* a = scale.data() + n * padded + blk * bs;
      const float* b = shift.data() + n * padded + blk * bs;
      if (dstBf16) applyBf16(src + off, static_cast<std::uint16_t*>(dst) + off, count, bs, a, b);
      else applyF32(src + off, static_cast<float*>(dst) + off, count, bs, a, b);
    }
  }
}

}  // namespace wbct
