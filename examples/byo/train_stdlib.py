#!/usr/bin/env python3
"""A command trial in Python with the standard library only: logistic regression on
spurious-correlation data (two training environments where a spurious feature agrees with the
label 90% and 80% of the time, a test split where it agrees 10%). Reads FAIRSWEEP_TRIAL_FILE,
writes predictions.csv and metrics.json to FAIRSWEEP_OUTPUT_DIR, progress to FAIRSWEEP_PROGRESS_FILE."""
import json
import math
import os
import random

with open(os.environ["FAIRSWEEP_TRIAL_FILE"]) as f:
    trial = json.load(f)
params = trial["params"]
lr, steps, l2 = params.get("lr", 0.1), int(params.get("steps", 200)), params.get("l2", 0.0)
out = os.environ["FAIRSWEEP_OUTPUT_DIR"]
rng = random.Random(trial["seed"])


def make_split(n, p_agree):
    rows = []
    for _ in range(n):
        y = 1 if rng.random() < 0.5 else 0
        a = y if rng.random() < p_agree else 1 - y
        rows.append((y, a, (y * 2 - 1 + 1.5 * rng.gauss(0, 1), a * 2 - 1 + 0.3 * rng.gauss(0, 1))))
    return rows


environments = [make_split(400, 0.9), make_split(400, 0.8)]
train = environments[0] + environments[1]
val, test = make_split(400, 0.85), make_split(400, 0.1)
w, b = [0.0, 0.0], 0.0


def proba(x):
    return 1 / (1 + math.exp(-(w[0] * x[0] + w[1] * x[1] + b)))


loss = 0.0
progress = os.environ.get("FAIRSWEEP_PROGRESS_FILE")
for step in range(1, steps + 1):
    g, gb, loss = [0.0, 0.0], 0.0, 0.0
    for y, _a, x in train:
        p = proba(x)
        loss -= math.log(p + 1e-12) if y else math.log(1 - p + 1e-12)
        g[0] += (p - y) * x[0]
        g[1] += (p - y) * x[1]
        gb += p - y
    loss /= len(train)
    for k in (0, 1):
        w[k] -= lr * (g[k] / len(train) + l2 * w[k])
    b -= lr * gb / len(train)
    if progress and (step % 50 == 0 or step == steps):
        with open(progress, "a") as f:
            f.write(json.dumps({"step": step, "metrics": {"train/loss": loss}}) + "\n")

with open(os.path.join(out, "predictions.csv"), "w") as f:
    f.write("split,y_true,y_score,group,environment\n")
    for e, env in enumerate(environments):
        for y, a, x in env:
            f.write(f"train,{y},{proba(x)!r},{a},{e}\n")
    for name, rows in (("val", val), ("test", test)):
        for y, a, x in rows:
            f.write(f"{name},{y},{proba(x)!r},{a},0\n")
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"train/loss": loss, "model/w_spurious": w[1]}, f)
print(f"trained {steps} steps: loss {loss:.4f}, weights {w[0]:.3f}, {w[1]:.3f}")
