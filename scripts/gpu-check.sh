#!/usr/bin/env bash
# The device run of the GPU issue, prepared to run once on a machine with a GPU (it is not run in CI: no GPU there).
#   bash scripts/gpu-check.sh            # writes the figures to ${OUT:-./gpu-check}/gpu-check.txt
# 1. Dawn (inside onnxruntime-node and npm `webgpu`) needs the Vulkan loader (Debian libvulkan1) and the NVIDIA ICD
#    (nvidia_icd.json, installed by the NVIDIA driver); without them there is no adapter.
# 2. Inference: bench/gpuCheck (tiny-model parity against MONAI's logits on onnxruntime's WebGPU provider, seconds per
#    96^3 window on WebGPU and CPU, peak GPU memory) and the parity suites with WebGPU among the engines.
# 3. Training: installs @tensorflow/tfjs-backend-webgpu and webgpu (not dependencies: 130 MB for a GPU only) when the
#    npm registry is reachable, then the forward and gradient parity suites on the webgpu backend and bench:train at 96^3.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$PWD/gpu-check}"
mkdir -p "$out"
report="$out/gpu-check.txt"
status=0
{
  echo "== machine"; date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "nvidia-smi: not found"
  echo "== Vulkan"
  if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
    echo "libvulkan.so.1 missing; trying apt-get install libvulkan1"
    (apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null 2>&1 && echo "installed libvulkan1") || echo "could not install libvulkan1 (no package source?)"
  fi
  ldconfig -p | grep 'libvulkan.so.1' || echo "no Vulkan loader: Dawn will find no adapter"
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || echo "no Vulkan ICD files"
  [ -d node_modules ] || { echo "node_modules missing: run npm ci first"; exit 3; }
  [ -f dist/bench/gpuCheck.js ] || npm run build >/dev/null
  echo "== inference on onnxruntime's WebGPU provider"
  node dist/bench/gpuCheck.js || status=$?
  if [ "$status" = 2 ]; then echo "== no GPU adapter: nothing more to check"; exit 2; fi
  WBCT_REQUIRE_WEBGPU=1 npx jest test/model/segresnetParity.test.ts test/model/webGpu.test.ts --verbose 2>&1 | grep -E 'webgpu|WebGPU|Tests:' || status=1
  echo "== training on TensorFlow.js webgpu"
  if npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null 2>&1; then
    NODE_OPTIONS=--experimental-vm-modules npx jest test/train-bridge/forward.test.ts test/train-bridge/gradientsWebGpu.test.ts test/train-bridge/adamwFull.test.ts --verbose 2>&1 | grep -E 'webgpu|WebGPU|SKIPPED|Tests:' || status=1
    node dist/bench/trainBench.js --backend webgpu --scopes all --roi 96 --steps 3 || status=1
  else
    echo "could not install webgpu / @tensorflow/tfjs-backend-webgpu (no npm registry?): training on WebGPU not checked"
  fi
  echo "== exit status $status"
} 2>&1 | tee "$report"
exit "${PIPESTATUS[0]}"
