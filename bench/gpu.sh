#!/usr/bin/env bash
# The GPU checks, as one script: the HRNet-W48 segmentation train step at
# 512x512 in bfloat16 (images/s, MFU against the chip's bfloat16 peak) next to
# torch.compile'd timm on the same GPU, then the embedded demo study end to end
# with that backbone. Figures go to stdout and, as files, to $OUT (default
# /tmp/gpu_bench).
#
#   bash bench/gpu.sh                      # on the GPU machine
#   ARCH=resnet18 RES=64 BATCH=2 STEPS=1 DEMO=smoke TORCH_COMPILE= bash bench/gpu.sh  # a CPU dry run
#
# PEAK_TFLOPS: the chip's dense bfloat16 peak (989 for an H100 or H200 SXM).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_bench}
ARCH=${ARCH:-hrnet_w48} RES=${RES:-512} BATCH=${BATCH:-16} STEPS=${STEPS:-10}
PEAK_TFLOPS=${PEAK_TFLOPS:-989} DEMO=${DEMO:-} TORCH_COMPILE=${TORCH_COMPILE---torch-compile}
mkdir -p "$OUT"
python -c 'import jax; print(jax.devices())' | tee "$OUT/devices.txt"
python bench/train_step.py --arch "$ARCH" --res "$RES" --batch "$BATCH" --steps "$STEPS" \
  --dtype bfloat16 --vs-torch $TORCH_COMPILE --peak-tflops "$PEAK_TFLOPS" | tee "$OUT/train_step.txt"
case $ARCH in
  hrnet_w*) overrides=(--config.model.backbone=hrnet --config.model.hrnet.width="${ARCH#hrnet_w}") ;;
  resnet*) overrides=(--config.model.backbone=resnet --config.model.resnet.depth="${ARCH#resnet}") ;;
esac
overrides+=(--config.model.dtype=bfloat16)
start=$(date +%s)
python main.py --config="configs/demo.py${DEMO:+:$DEMO}" --workdir="$OUT/demo" "${overrides[@]}" \
  > "$OUT/demo.log" 2>&1
echo "demo study end to end: $(( $(date +%s) - start )) s; $(grep -c . "$OUT/demo.log") log lines in $OUT/demo.log" \
  | tee "$OUT/demo.txt"
tail -5 "$OUT/demo.log"
