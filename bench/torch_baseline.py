#!/usr/bin/env python3
"""PyTorch baseline for bench/train.ts: the same network, the same timing, the same JSON line.

    OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE \
      /usr/bin/python3 bench/torch_baseline.py --model vgg11 --width 0.25 --input 32 --batch 32 \
      [--threads 2] [--mode train|infer] [--seconds 10] [--warmup 3]

Needs Debian's python3-torch (and libopenblas0-pthread, or torch links the reference BLAS); see
shared/notes/engine.md. The network: VGG's conv stack (torchvision cfgs) with every width scaled by
--width, 3x3 convs with ReLU, 2x2 max pools, flattened straight into a 256-256-10 classifier, float32,
channels-last. A training step = forward + backward + Adam update. FLOPs: conv and dense multiply-adds
x2; a training step counts 3x the forward pass.
"""
import argparse
import json
import resource
import sys
import time

import torch
from torch import nn

VGG_CFGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
HIDDEN = 256
CLASSES = 10


def build(cfg, width, size):
    layers, channels, side, macs = [], 3, size, 0
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            side //= 2
            continue
        filters = max(1, round(v * width))
        layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(inplace=True)]
        macs += side * side * filters * 9 * channels
        channels = filters
    flat = side * side * channels
    layers += [nn.Flatten(), nn.Linear(flat, HIDDEN), nn.ReLU(inplace=True), nn.Linear(HIDDEN, HIDDEN),
               nn.ReLU(inplace=True), nn.Linear(HIDDEN, CLASSES)]
    macs += flat * HIDDEN + HIDDEN * HIDDEN + HIDDEN * CLASSES
    return nn.Sequential(*layers), macs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="vgg11", choices=sorted(VGG_CFGS))
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    if a.input % 32:
        p.error(f"--input must be a multiple of 32 (five 2x2 pools), received {a.input}")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    model, macs = build(VGG_CFGS[a.model], a.width, a.input)
    model = model.to(memory_format=torch.channels_last)
    x = torch.rand(a.batch, 3, a.input, a.input).contiguous(memory_format=torch.channels_last)
    y = torch.arange(a.batch) % CLASSES
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    if a.mode == "train":
        model.train()

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x).sum().item()

    for _ in range(a.warmup):
        step()
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        if time.perf_counter() - start >= a.seconds and steps >= 3:
            break
    elapsed = time.perf_counter() - start
    img_per_s = steps * a.batch / elapsed
    flops_per_image = 2 * macs * (3 if a.mode == "train" else 1)
    print(json.dumps({
        "backend": f"pytorch-{torch.__version__}",
        "threads": torch.get_num_threads(),
        "model": f"{a.model}/w{a.width}",
        "input": a.input,
        "batch": a.batch,
        "mode": a.mode,
        "img_per_s": round(img_per_s, 1),
        "gflops": round(img_per_s * flops_per_image / 1e9, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    sys.exit(main())
