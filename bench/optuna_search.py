"""Optuna's samplers on the search benchmark, driven over stdin/stdout by bench/search.ts.

Usage: optuna_search.py SAMPLER N_VARS N_OBJ BUDGET SEED [--no-memo], SAMPLER = nsga2 | tpe.
For each trial it prints one JSON line, the list of x0 ... x{n-1}, and reads one JSON line back,
the list of objective values (all minimised), evaluated by the same TypeScript code as fairsweep's
worker. Samplers keep Optuna's defaults (NSGAIISampler: population 50; TPESampler: 10 startup
trials, independent sampling), seeded with SEED.

TPESampler samples each parameter on its own, and for each one splits the finished trials into
good and bad (non-dominated sort, then a greedy hypervolume subset selection) and weights the good
ones by their hypervolume contributions. Both are pure functions of the finished trials' values,
so with every parameter in every trial they get the same input N_VARS times per trial: with three
objectives that is over an hour per 500-trial run. The last answer of each is kept and given again
for the same input (compared by value), which leaves every proposal the same and the run N_VARS
times faster; --no-memo turns it off.

Usage: optuna_search.py verify-memo PROBLEM BUDGET SEED, PROBLEM = zdt1 | dtlz2: runs TPESampler
with and without the memo on that problem (evaluated here in Python) and exits 1 unless both
propose exactly the same trials; prints the time each took.
"""
import json
import math
import pickle
import sys
import time

import optuna


def memoize_tpe_splits() -> bool:
    """Keeps the last answer of TPESampler's two pure per-parameter helpers; False when absent."""
    from optuna.samplers._tpe import sampler as tpe

    names = ("_split_observation_pairs", "_calculate_weights_below_for_multi_objective")
    if not all(hasattr(tpe, n) for n in names):
        return False

    def memo(f):
        last = {}

        def wrapped(*args):
            key = pickle.dumps(args, protocol=4)
            if last.get("key") != key:
                last["key"], last["value"] = key, f(*args)
            value = last["value"]
            return tuple(v.copy() for v in value) if isinstance(value, tuple) else value.copy()

        return wrapped

    for n in names:
        setattr(tpe, n, memo(getattr(tpe, n)))
    return True


def make_sampler(sampler_name: str, seed: int) -> optuna.samplers.BaseSampler:
    if sampler_name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if sampler_name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    raise SystemExit(f"unknown sampler {sampler_name!r} (expected nsga2 or tpe)")


def drive(sampler_name: str, n: int, n_obj: int, budget: int, seed: int, evaluate) -> list:
    study = optuna.create_study(directions=["minimize"] * n_obj, sampler=make_sampler(sampler_name, seed))
    proposed = []
    for _ in range(budget):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)]
        proposed.append(x)
        study.tell(trial, evaluate(x))
    return proposed


def over_stdio(x: list) -> list:
    print(json.dumps(x), flush=True)
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("no objective values on stdin")
    return json.loads(line)


def zdt1(x: list) -> list:
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def dtlz2(x: list, n_obj: int = 3) -> list:
    g = sum((v - 0.5) ** 2 for v in x[n_obj - 1 :])
    f = []
    for i in range(n_obj):
        v = 1 + g
        for j in range(n_obj - 1 - i):
            v *= math.cos(x[j] * math.pi / 2)
        if i > 0:
            v *= math.sin(x[n_obj - 1 - i] * math.pi / 2)
        f.append(v)
    return f


def verify_memo(problem: str, budget: int, seed: int) -> int:
    n, n_obj, f = {"zdt1": (30, 2, zdt1), "dtlz2": (12, 3, dtlz2)}[problem]
    t0 = time.monotonic()
    plain = drive("tpe", n, n_obj, budget, seed, f)
    t1 = time.monotonic()
    if not memoize_tpe_splits():
        print("this optuna has no _split_observation_pairs: nothing to memoize")
        return 1
    memoized = drive("tpe", n, n_obj, budget, seed, f)
    t2 = time.monotonic()
    same = plain == memoized
    print(f"{problem} tpe seed {seed}, {budget} trials: without memo {t1 - t0:.1f} s, with {t2 - t1:.1f} s; proposals {'identical' if same else 'DIFFER'}")
    return 0 if same else 1


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if sys.argv[1] == "verify-memo":
        raise SystemExit(verify_memo(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    sampler_name, n, n_obj, budget, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if "--no-memo" not in sys.argv[6:]:
        memoize_tpe_splits()
    drive(sampler_name, n, n_obj, budget, seed, over_stdio)


if __name__ == "__main__":
    main()
