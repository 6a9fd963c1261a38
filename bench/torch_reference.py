#!/usr/bin/env python3
"""PyTorch reference of fairsweep's IRMv1 training step (bench/gpu.ts runs it in the same run).

Same step as worker/training/trainer.ts: an MLP (ReLU hidden layers, one logit), full batch over
two training environments concatenated, BCE-with-logits risk per environment, the IRMv1 penalty
(squared gradient of the risk with respect to a dummy scale of 1.0) per environment, Adam, L2 on the
weights, fp32 with TF32 off. Prints one JSON line: device, torch version, median ms per step.
"""
import argparse
import json
import statistics
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, required=True, help="training rows, split over two environments")
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--hidden", type=str, required=True, help="comma-separated widths")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--device", default="auto", help="auto (cuda when present), cuda or cpu")
    a = p.parse_args()
    device = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else ("cpu" if a.device == "auto" else a.device))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    widths = [a.dim] + [int(h) for h in a.hidden.split(",") if h] + [1]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    x = torch.randn(a.rows, a.dim, device=device)
    y = (torch.rand(a.rows, 1, device=device) > 0.5).float()
    half = a.rows // 2
    envs = [(0, half), (half, a.rows)]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def step() -> None:
        logits = model(x)
        scale = torch.tensor(1.0, device=device, requires_grad=True)
        risks, penalties = [], []
        for lo, hi in envs:
            r = bce(logits[lo:hi] * scale, y[lo:hi])
            g = torch.autograd.grad(r, [scale], create_graph=True)[0]
            risks.append(r)
            penalties.append(g.pow(2))
        l2 = sum(w.pow(2).sum() for name, w in model.named_parameters() if name.endswith("weight"))
        loss = torch.stack(risks).mean() + 100.0 * torch.stack(penalties).mean() + 1e-3 * l2
        opt.zero_grad()
        loss.backward()
        opt.step()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(5):
        step()
    sync()
    per_step = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        sync()
        per_step.append((time.perf_counter() - t0) * 1000 / a.steps)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(json.dumps({"device": name, "torch": torch.__version__, "threads": torch.get_num_threads(), "ms_per_step": statistics.median(per_step)}))


if __name__ == "__main__":
    main()
