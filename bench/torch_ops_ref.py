#!/usr/bin/env python3
"""An outside reference for `mtb ops -b torch`: the same ops, shapes and timing loop written the way a
PyTorch user would, in Python. Run it on the same machine right after mtb (bench/gpu_ops.sh does both):

    python3 bench/torch_ops_ref.py --device cuda --batch 64 --seq 512 --dtype float32

Per op: inputs as mtb seeds them in spirit (N(0,1) activations, N(0, 1/fan_in) weights), copies rotated so
the inputs touch 128 MB (at most 16 copies, as mtb's --rotate 128), 10 warm-up calls, then calls timed
one by one with torch.cuda.synchronize() until the 95% interval of the mean is within 2% of the median
(at least 10 calls) or 1 s (mtb's defaults). Prints one markdown row per op: median ms and calls.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       15: 2.131, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}


def t95(dof):
    for k in sorted(T95):
        if dof <= k:
            return T95[k]
    return 1.96


def rel_ci95(xs):
    n = len(xs)
    med = statistics.median(xs)
    return t95(n - 1) * statistics.stdev(xs) / math.sqrt(n) / med


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def make(op, b, t, d, heads, dtype, device):
    g = torch.Generator(device="cpu").manual_seed(42)
    def n(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g) * scale).to(device=device, dtype=dtype)
    if op == "linear":
        args = (n(b, t, d), n(d, d, scale=d ** -0.5), n(d, scale=0.02))
        return args, lambda x, w, bias: F.linear(x, w, bias)
    if op == "layer_norm":
        args = (n(b, t, d), 1 + n(d, scale=0.1), n(d, scale=0.1))
        return args, lambda x, w, bias: F.layer_norm(x, (d,), w, bias, 1e-5)
    if op == "softmax":
        return (n(b, t, d),), lambda x: torch.softmax(x, -1)
    if op == "sdpa":
        hd = d // heads
        args = (n(b, heads, t, hd), n(b, heads, t, hd), n(b, heads, t, hd))
        return args, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)
    raise SystemExit(f"unknown op {op}")


def bench(op, a):
    dtype = getattr(torch, a.dtype)
    args, fn = make(op, a.batch, a.seq, a.feature, a.heads, dtype, a.device)
    nbytes = sum(x.numel() * x.element_size() for x in args)
    copies = max(1, min(16, math.ceil(a.rotate_mb * 1e6 / nbytes)))
    sets = [tuple(x.clone() for x in args) for _ in range(copies)]
    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(a.warmup):
            fn(*sets[i % copies])
            sync(a.device)
            if time.perf_counter() - start > a.time_cap / 4:
                break
        ms, start, check = [], time.perf_counter(), a.min_reps
        while True:
            t0 = time.perf_counter()
            fn(*sets[len(ms) % copies])
            sync(a.device)
            ms.append((time.perf_counter() - t0) * 1e3)
            if len(ms) >= check:
                if rel_ci95(ms) <= a.target_ci:
                    stop = "converged"
                    break
                check = len(ms) + max(2, len(ms) // 8)
            if time.perf_counter() - start >= a.time_cap and len(ms) >= 2:
                stop = "time cap"
                break
    return statistics.median(ms), len(ms), stop, copies


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ops", default="linear,layer_norm,softmax,sdpa")
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--feature", type=int, default=768)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--min-reps", type=int, default=10)
    p.add_argument("--target-ci", type=float, default=0.02)
    p.add_argument("--time-cap", type=float, default=1.0)
    p.add_argument("--rotate-mb", type=float, default=128)
    a = p.parse_args()
    print(f"torch {torch.__version__}, {a.device}, {a.dtype}, batch {a.batch} x seq {a.seq} x feature {a.feature}\n")
    print("| op | median ms | calls | stop | copies |")
    print("| --- | ---: | ---: | --- | ---: |")
    for op in a.ops.split(","):
        med, n, stop, copies = bench(op, a)
        print(f"| {op} | {med:.4f} | {n} | {stop} | {copies} |")


if __name__ == "__main__":
    main()
