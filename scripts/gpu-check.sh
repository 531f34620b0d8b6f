#!/usr/bin/env bash
# The device run of the GPU issue, prepared to run once on a machine with a GPU (never in CI: no GPU there).
#   here:  node scripts/gpuBundle.js          # packs .gpu/ (Node, dist, packages, training oracle, Vulkan loader)
#   there: bash scripts/gpu-check.sh          # device run with carry [".gpu"]; figures in ${OUT:-./gpu-check}/gpu-check.txt
# A machine with this checkout's node_modules, dist/ and ../shared runs it without the pack.
# 1. Dawn (inside onnxruntime-node and npm `webgpu`) needs the Vulkan loader and the NVIDIA ICD (nvidia_icd.json,
#    which the driver provides): the loader comes from the pack's Debian packages where the machine has none.
# 2. Inference (bench/gpuCheck --part infer): the tiny SegResNet on onnxruntime's WebGPU provider against MONAI's
#    logits, node placement, seconds per bundle-size 96^3 window on WebGPU and on the CPU provider, peak GPU memory.
# 3. Training (--part train): forward, DiceCELoss, every gradient and 3 AdamW steps of the whole tiny network on
#    TensorFlow.js webgpu against MONAI/torch, then seconds per AdamW step of the bundle-size network at 96^3, batch 4.
# Each part runs in its own process under a time limit and prints its parity verdict before its timing, so a part cut
# short still has one; its log is also kept as $OUT/<part>.log.
# Exit status: 0 every parity held, 1 one failed or broke, 2 a WebGPU path found no adapter.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$PWD/gpu-check}"
mkdir -p "$out"
report="$out/gpu-check.txt"

# A part's status from what it printed: its verdict line when it has one (a part killed at its time limit after
# the verdict keeps it), else 2 for "no adapter", else 1.
part_status() { # log file, exit status, part
  if grep -q "^== $3: parity FAIL" "$1"; then echo 1
  elif grep -q "^== $3: parity PASS" "$1"; then echo 0
  elif [ "$2" = 2 ]; then echo 2
  else echo 1
  fi
}

{
  echo "== machine"
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "nvidia-smi: not found"
  grep -m1 'model name' /proc/cpuinfo; nproc
  node=node
  oracle=../shared/oracle
  if [ -f .gpu/wbct-gpu.tar.xz ]; then
    echo "== unpacking .gpu/wbct-gpu.tar.xz"
    cat .gpu/STAMP 2>/dev/null
    if command -v xz >/dev/null; then tar -xJf .gpu/wbct-gpu.tar.xz -C .
    else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(".")' .gpu/wbct-gpu.tar.xz
    fi || { echo "could not unpack the pack"; exit 1; }
    # The pack's dist/ was compiled from these sources: a pack older than the checkout would run old code.
    if [ -f .gpu/sources.sha256 ]; then
      sha256sum --quiet -c .gpu/sources.sha256 >/dev/null 2>&1 && echo "pack built from these sources" || echo "WARNING: the sources differ from the pack's (rebuild it: node scripts/gpuBundle.js)"
    fi
    node="$PWD/.gpu/bin/node"
    oracle=.gpu/oracle
  fi
  "$node" --version || { echo "no Node.js: pack one here with node scripts/gpuBundle.js and carry .gpu"; exit 1; }
  [ -f dist/bench/gpuCheck.js ] || { echo "no dist/bench/gpuCheck.js: npm run build, or carry the pack"; exit 1; }

  echo "== Vulkan"
  ldconfig -p > /tmp/wbct-ldconfig.txt
  if ! grep -q 'libvulkan.so.1' /tmp/wbct-ldconfig.txt; then
    for deb in .gpu/debs/*.deb; do [ -f "$deb" ] && dpkg -x "$deb" / && echo "unpacked $(basename "$deb")"; done
    ldconfig
    ldconfig -p > /tmp/wbct-ldconfig.txt
  fi
  grep 'libvulkan.so.1' /tmp/wbct-ldconfig.txt || echo "no Vulkan loader: Dawn will find no adapter"
  # Where the driver is mounted read-only (as on the lent H200 machines), the loader does not look there by itself.
  nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES="$nvidia_icd"; fi
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null

  timeout -k 10 150 "$node" dist/bench/gpuCheck.js --part infer 2>&1 | tee "$out/infer.log"
  rc=${PIPESTATUS[0]}
  infer=$(part_status "$out/infer.log" "$rc" infer)
  timeout -k 10 300 "$node" dist/bench/gpuCheck.js --part train --oracle "$oracle" --steps 3 --deadline-seconds 150 2>&1 | tee "$out/train.log"
  rc=${PIPESTATUS[0]}
  train=$(part_status "$out/train.log" "$rc" train)
  echo "== status: infer $infer, train $train (0 parity held, 1 failed or broke, 2 no adapter)"
  worst=0
  for s in $infer $train; do
    if [ "$s" = 1 ]; then worst=1; elif [ "$s" = 2 ] && [ "$worst" = 0 ]; then worst=2; fi
  done
  exit "$worst"
} 2>&1 | tee "$report"
exit "${PIPESTATUS[0]}"
