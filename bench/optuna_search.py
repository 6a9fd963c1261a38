"""Optuna's samplers on the search benchmark, driven over stdin/stdout by bench/search.ts.

Usage: optuna_search.py SAMPLER N_VARS N_OBJ BUDGET SEED, SAMPLER = nsga2 | tpe.
For each trial it prints one JSON line, the list of x0 ... x{n-1}, and reads one JSON line back,
the list of objective values (all minimised), evaluated by the same TypeScript code as fairsweep's
worker. Samplers keep Optuna's defaults (NSGAIISampler: population 50; TPESampler: 10 startup
trials, independent sampling), seeded with SEED.
"""
import json
import sys

import optuna


def main() -> None:
    sampler_name, n, n_obj, budget, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if sampler_name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    elif sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        raise SystemExit(f"unknown sampler {sampler_name!r} (expected nsga2 or tpe)")
    study = optuna.create_study(directions=["minimize"] * n_obj, sampler=sampler)
    for _ in range(budget):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)]
        print(json.dumps(x), flush=True)
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("no objective values on stdin")
        study.tell(trial, json.loads(line))


if __name__ == "__main__":
    main()
