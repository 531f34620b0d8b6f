// GroupNorm + affine + ReLU over channel-blocked activations. oneDNN 2.6 has no group normalisation primitive.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wbct {

// Activations as [n][blocks][spatial][blockSize]: channel c = block * blockSize + lane. That one shape covers
// channels-last (blocks = 1, blockSize = channels) and oneDNN's nCdhw16c (blockSize = 16, channels padded to a
// multiple of 16; padded lanes read as zero and are written as zero).
struct BlockedShape {
  int n;
  int blocks;
  int blockSize;
  int channels;  // real channels; channels <= blocks * blockSize
  std::size_t spatial;
};

// dst = max(0, gamma * (src - mean_g) / sqrt(var_g + eps) + beta), statistics per sample and group of
// channels / groups consecutive channels, accumulated in double (so the result does not depend on the thread count
// beyond the last float rounding). dst is float or bfloat16 (round to nearest even), in the same layout as src.
void groupNormRelu(const float* src, void* dst, bool dstBf16, const BlockedShape& shape, int groups, const float* gamma,
                   const float* beta, float eps);

}  // namespace wbct
