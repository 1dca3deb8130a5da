"""A PyTorch twin of DPL's fixed-vs-fresh-randomness experiment (examples/randomness.dpl).

Written from the equations and DPL's documented rules, not from Swift output:
  * purification (docs/purification.md): [0,1] -> [-1,1], x_t = sqrt(abar) x + sqrt(1-abar) eps with
    abar at index t-1 of DDPM's linear schedule, then `steps` DDIM steps over the indices
    round((i+1) t / steps) - 1, x0 clipped to [-1,1] and eps re-derived from the clipped x0
    (guided-diffusion's rule), sigma = eta sqrt((1-abar')/(1-abar)) sqrt(1-abar/abar'), then the
    output clamped to [-1,1] and mapped back to [0,1];
  * PGD (Sources/DPLAttacks/Attacks/PGD.swift): keyed uniform random start in the L-inf ball,
    step 2.5 eps/steps along sign(grad), projection onto the ball and [0,1], the loss and
    success read at every iterate (0..steps) and the best point kept per sample: the first
    misclassified point, else the highest-loss point;
  * evaluation: clean and adversarial verdicts under the same noise rules, robust = both correct.

Noise: with `--noise dpl` (the default) every draw is DPL's own keyed draw, reproduced by
dpl_keyed_random.py, so the twin purifies with exactly DPL's noise and attacks from DPL's random
starts; `--noise torch` draws from torch.Generator instead (an independent fixed key).

    python benchmarks/randomness_twin.py --start 0 --count 64 --seed fixed
    python benchmarks/randomness_twin.py --start 0 --count 64 --seed random --eot 4
    python benchmarks/randomness_twin.py ... --compare out/randomness-fixed.json   # side by side

See docs/analyses.md ("The PyTorch twin") for what it found.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpl_keyed_random import keyed_normal, keyed_uniform, sample_key  # noqa: E402
from torch_reference_models import CNNClassifier, UNet  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"
ATTACK_PHASE, CLEAN_PHASE, ADVERSARIAL_PHASE = 0, 1, 2


# MARK: - Data and models

def load_fashion_mnist_test(start, count):
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)[start:start + count]
    with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[start:start + count]
    # Float(byte) / 255, as DPL (and torchvision's ToTensor) compute it.
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255))
    ids = [sample_key("fashion-mnist", "test", i) for i in range(start, start + count)]
    return x, torch.from_numpy(labels.astype(np.int64)), ids


def load_model(model, path):
    from safetensors.torch import load_file
    state = load_file(path)
    missing, unexpected = model.load_state_dict(state, strict=True), None
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


# MARK: - Noise

def call_index(phase, restart=0, iteration=0, draw=0):
    """DefenseCallIndex.make: phase (2 bits) | restart (22) | iteration (24) | draw (16)."""
    return (phase << 62) | ((restart & ((1 << 22) - 1)) << 40) | ((iteration & ((1 << 24) - 1)) << 16) | (draw & 0xFFFF)


def mix_seed(seed, invocation):
    """PurifyStage.mixSeed: the seed of one `seed=random` purify stage (SplitMix64's finalizer)."""
    mask = 0xFFFFFFFFFFFFFFFF
    z = (seed + invocation * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


class NoiseSource:
    """The (seed, call) of each purification and the keyed draws inside it."""

    def __init__(self, mode, seed, kind):
        self.mode, self.seed, self.kind = mode, seed, kind

    def keys(self, call):
        if self.mode == "random":
            return self.seed, call + 1
        return self.seed, 0

    def normal(self, shape, purpose, step, ids, seed, call):
        if self.kind == "dpl":
            return torch.from_numpy(keyed_normal(shape, seed, purpose, ids, step=step, call=call))
        # An independent key: torch's generator seeded from the same tuple, per sample.
        rows = []
        for sid in ids:
            g = torch.Generator().manual_seed(hash((seed, purpose, step, call, sid)) & 0x7FFFFFFFFFFFFFFF)
            rows.append(torch.randn(shape[1:], generator=g))
        return torch.stack(rows)


# MARK: - Purification (DDIM with eta, DPL's index rule)

class Purifier:
    def __init__(self, model, t, steps, eta, noise, clip=True):
        betas = np.linspace(1e-4, 0.02, 1000, dtype=np.float64)
        self.abar = np.cumprod(1.0 - betas)
        self.model, self.t, self.eta, self.noise, self.clip = model, t, eta, noise, clip
        self.indices = [((i + 1) * t * 2 + steps) // (2 * steps) - 1 for i in reversed(range(steps))]

    def __call__(self, images, ids, call):
        seed, call = self.noise.keys(call)
        shape = tuple(images.shape)
        x = images * 2 - 1
        a = self.abar[self.t - 1]
        eps0 = self.noise.normal(shape, "purify.diffuse", self.t, ids, seed, call)
        x = x * np.float32(math.sqrt(a)) + eps0 * np.float32(math.sqrt(1 - a))
        for k, n in enumerate(self.indices):
            x = self.step(k, n, x, ids, seed, call)
        return (x.clamp(-1, 1) + 1) * 0.5

    def step(self, k, n, x, ids, seed, call):
        a = self.abar[n]
        a_next = self.abar[self.indices[k + 1]] if k + 1 < len(self.indices) else 1.0
        t = torch.full((x.shape[0],), float(n))
        eps = self.model(x, t)
        x0 = x * np.float32(1 / math.sqrt(a)) - eps * np.float32(math.sqrt((1 - a) / a))
        if self.clip:
            x0 = x0.clamp(-1, 1)
            eps = (x - x0 * np.float32(math.sqrt(a))) * np.float32(1 / math.sqrt(1 - a))
        sigma = self.eta * math.sqrt((1 - a_next) / (1 - a)) * math.sqrt(max(0.0, 1 - a / a_next))
        direction = math.sqrt(max(0.0, 1 - a_next - sigma * sigma))
        out = x0 * np.float32(math.sqrt(a_next)) + eps * np.float32(direction)
        if sigma > 0:
            z = self.noise.normal(tuple(x.shape), "purify.reverse.ddim", k, ids, seed, call)
            out = out + z * np.float32(sigma)
        return out


class Defense:
    def __init__(self, purifier, classifier):
        self.purifier, self.classifier = purifier, classifier

    def logits(self, images, ids, call):
        x = self.purifier(images, ids, call) if self.purifier is not None else images
        return self.classifier(x)


# MARK: - PGD as DPL runs it

def pgd(defense, clean, labels, ids, eps, steps, eot, seed, keep="best", record=None):
    step_size = np.float32(2.5) * np.float32(eps) / np.float32(max(1, steps))
    eps32 = np.float32(eps)
    offset = torch.from_numpy(keyed_uniform(tuple(clean.shape), seed, "attack.pgd", ids, step=0, call=0,
                                            low=-float(eps32), high=float(eps32)))
    lower, upper = (clean - eps32).clamp(0, 1), (clean + eps32).clamp(0, 1)

    def project(x):
        return torch.minimum(torch.maximum(torch.minimum(torch.maximum(x, clean - eps32), clean + eps32),
                                           torch.zeros_like(x)), torch.ones_like(x))

    x = project(clean + offset)
    n = clean.shape[0]
    best = clean.clone()
    best_loss = torch.full((n,), -math.inf)
    found = torch.zeros(n, dtype=torch.bool)
    for iteration in range(steps + 1):
        last = iteration == steps
        grad_sum = torch.zeros_like(x)
        logit_sum, loss_sum = None, torch.zeros(n)
        for draw in range(eot):
            call = call_index(ATTACK_PHASE, 0, iteration, draw)
            leaf = x.clone().requires_grad_(not last)
            with torch.set_grad_enabled(not last):
                logits = defense.logits(leaf, ids, call)
                losses = F.cross_entropy(logits, labels, reduction="none")
                if not last:
                    (g,) = torch.autograd.grad(losses.sum(), leaf)
                    grad_sum += torch.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)
            logit_sum = logits.detach() if logit_sum is None else logit_sum + logits.detach()
            loss_sum += losses.detach()
        scale = np.float32(1.0 / eot)
        losses, logits = loss_sum * scale, logit_sum * scale
        success = logits.argmax(dim=1) != labels
        for s in range(n):
            if keep == "last" and not last:
                continue
            if not found[s] and (success[s] or losses[s] > best_loss[s]):
                found[s] = bool(success[s])
                best_loss[s] = losses[s]
                best[s] = x[s]
        if record is not None:
            record.append({"iteration": iteration, "loss": losses.tolist(), "success": success.tolist(),
                           "grad_l1": grad_sum.abs().flatten(1).sum(1).tolist()})
        if last:
            break
        x = project(x + step_size * torch.sign(grad_sum * scale))
    return best, found


def verdicts(defense, images, labels, ids, phase, rule):
    """single: one draw; vote:K majority of K draws (ties to the lowest class); worst:K any wrong."""
    kind, k = rule
    predictions = []
    for draw in range(k):
        with torch.no_grad():
            predictions.append(defense.logits(images, ids, call_index(phase, 0, 0, draw)).argmax(dim=1))
    p = torch.stack(predictions)
    if kind == "single":
        return p[0] == labels, p[0]
    if kind == "worst":
        return (p == labels).all(dim=0), p[0]
    votes = F.one_hot(p, 10).sum(dim=0)
    winner = votes.argmax(dim=1)
    return winner == labels, winner


# MARK: - Experiment

def run(args):
    torch.set_num_threads(args.threads)
    clean, labels, ids = load_fashion_mnist_test(args.start, args.count)
    unet = load_model(UNet(), os.path.join(REPO, "models/fmnist-unet-tiny.safetensors"))
    cnn = load_model(CNNClassifier(), os.path.join(REPO, "models/fmnist-cnn-small.safetensors"))
    if args.seed == "none":
        defense = Defense(None, cnn)
    else:
        mode = "random" if args.seed == "random" else "fixed"
        if args.seed == "random":
            # DPL keys a seed=random stage by the session seed and the stage's invocation number
            # (1 for the only purify of a one-pipeline script, as --run-dpl writes).
            seed = mix_seed(args.attack_seed, args.dpl_invocation) if args.random_seed is None else args.random_seed
        else:
            seed = 0 if args.seed == "fixed" else int(args.seed)
        noise = NoiseSource(mode, seed, args.noise)
        defense = Defense(Purifier(unet, args.t, args.ddim_steps, args.eta, noise), cnn)
    rule = ("single", 1) if args.eval == "single" else (args.eval.split(":")[0], int(args.eval.split(":")[1]))
    rows = []
    started = time.time()
    for b in range(0, args.count, args.batch):
        sl = slice(b, b + args.batch)
        x, y, sid = clean[sl], labels[sl], ids[sl]
        adversarial, found = pgd(defense, x, y, sid, args.eps, args.pgd_steps, args.eot, args.attack_seed, keep=args.keep)
        clean_ok, clean_pred = verdicts(defense, x, y, sid, CLEAN_PHASE, rule)
        adv_ok, adv_pred = verdicts(defense, adversarial, y, sid, ADVERSARIAL_PHASE, rule)
        for i in range(x.shape[0]):
            rows.append({"id": str(sid[i]), "index": args.start + b + i, "label": int(y[i]),
                         "clean_prediction": int(clean_pred[i]), "adversarial_prediction": int(adv_pred[i]),
                         "clean_correct": bool(clean_ok[i]), "robust_correct": bool(clean_ok[i] and adv_ok[i]),
                         "found_during_search": bool(found[i])})
        done = b + x.shape[0]
        print(f"twin: {done}/{args.count} images, {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


def write_fixture(path, args):
    """The twin's values on test images 0-3 under DPL's fixed noise (key 0), for
    Tests/DPLAttacksTests/Defense/PurificationTwinTests.swift: purified images, logits,
    per-sample cross-entropy, the input gradient of the summed loss through purification,
    and the adversarial images of PGD-3 (random start, best point)."""
    from safetensors.numpy import save_file
    torch.set_num_threads(args.threads)
    clean, labels, ids = load_fashion_mnist_test(0, 4)
    unet = load_model(UNet(), os.path.join(REPO, "models/fmnist-unet-tiny.safetensors"))
    cnn = load_model(CNNClassifier(), os.path.join(REPO, "models/fmnist-cnn-small.safetensors"))
    defense = Defense(Purifier(unet, 100, 5, 1.0, NoiseSource("fixed", 0, "dpl")), cnn)
    leaf = clean.clone().requires_grad_(True)
    purified = defense.purifier(leaf, ids, 0)
    logits = cnn(purified)
    losses = F.cross_entropy(logits, labels, reduction="none")
    (gradient,) = torch.autograd.grad(losses.sum(), leaf)
    adversarial, _ = pgd(defense, clean, labels, ids, 8 / 255, 3, 1, 0)
    tensors = {"images": clean.numpy(), "labels": labels.float().numpy(), "purified": purified.detach().numpy(),
               "logits": logits.detach().numpy(), "loss": losses.detach().numpy(),
               "input_gradient": gradient.numpy(), "pgd3_adversarial": adversarial.numpy()}
    metadata = {"made_by": "benchmarks/randomness_twin.py --write-fixture", "torch": torch.__version__,
                "images": "fashion-mnist test 0-3", "sample_ids": ",".join(str(i) for i in ids),
                "purify": "t=100 sampler=ddim steps=5 eta=1 seed=fixed (key 0, call 0)",
                "attack": "pgd eps=8/255 steps=3 step=2.5*eps/3 random_start keep=best seed=0"}
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, path, metadata=metadata)
    print(f"wrote {path}")


def dpl_script(args, results_path):
    """The DPL script of the same experiment on the same slice."""
    purify = "" if args.seed == "none" else (
        f"     | purify t={args.t} sampler=ddim steps={args.ddim_steps} eta={args.eta:g} seed={args.seed}\n")
    classify = "classify" if args.eval == "single" else f'classify eval="{args.eval}"'
    return (f"set batch = {args.batch}\nset seed = {args.attack_seed}\n"
            f"load fashion-mnist split=test n={args.count} offset={args.start}\n"
            f"     | attack pgd eps={args.eps!r} steps={args.pgd_steps} eot={args.eot} keep={args.keep}\n"
            f"{purify}     | {classify}\n     | save \"{results_path}\"\n")


def run_dpl(args):
    import subprocess
    import tempfile
    folder = tempfile.mkdtemp(prefix="dpl-twin-")
    results = os.path.join(folder, "dpl.json")
    script = os.path.join(folder, "slice.dpl")
    with open(script, "w") as f:
        f.write(dpl_script(args, results))
    print(f"dpl: running {script}", file=sys.stderr, flush=True)
    started = time.time()
    subprocess.run([args.run_dpl, "run", script], check=True, stdout=subprocess.DEVNULL)
    print(f"dpl: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    return results


def summarize(rows):
    n = len(rows)
    clean = sum(r["clean_correct"] for r in rows)
    robust = sum(r["robust_correct"] for r in rows)
    return n, clean, robust


def dpl_rows(path):
    """Per-sample rows of the first (or only) robustness result of a DPL results JSON."""
    with open(path) as f:
        doc = json.load(f)
    results = doc.get("results", [])
    for result in results:
        if result.get("samples"):
            return result.get("label", "?"), result["samples"]
    raise SystemExit(f"{path}: no result with per-sample rows")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--start", type=int, default=0, help="first test image")
    p.add_argument("--count", type=int, default=64, help="number of test images")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--t", type=int, default=100)
    p.add_argument("--ddim-steps", type=int, default=5)
    p.add_argument("--eta", type=float, default=1.0)
    p.add_argument("--seed", default="fixed", help="fixed, random, N (a fixed key), or none (no purification)")
    p.add_argument("--random-seed", type=int, default=None,
                   help="seed of seed=random's draws (default: DPL's, from the session seed and --dpl-invocation)")
    p.add_argument("--dpl-invocation", type=int, default=1, help="which purify stage of the DPL session (1 = the first)")
    p.add_argument("--keep", choices=["best", "last"], default="best", help="PGD's iterate rule")
    p.add_argument("--noise", choices=["dpl", "torch"], default="dpl")
    p.add_argument("--eps", type=float, default=8 / 255)
    p.add_argument("--pgd-steps", type=int, default=10)
    p.add_argument("--eot", type=int, default=1)
    p.add_argument("--attack-seed", type=int, default=0, help="DPL's session seed (keys the random start)")
    p.add_argument("--eval", default="single", help="single, vote:K or worst:K")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--compare", help="a DPL results JSON of the same slice: print both side by side")
    p.add_argument("--run-dpl", metavar="DPL", help="run the same slice with this dpl binary first and compare")
    p.add_argument("--out", help="write the twin's per-sample rows here (JSON)")
    p.add_argument("--write-fixture", metavar="PATH", help="write the test fixture (images 0-3) and stop")
    args = p.parse_args()
    if args.write_fixture:
        write_fixture(args.write_fixture, args)
        return
    if args.run_dpl:
        args.compare = run_dpl(args)
    rows = run(args)
    n, clean, robust = summarize(rows)
    print(f"twin  n={n} clean {clean}/{n} = {100 * clean / n:.1f}%  robust {robust}/{n} = {100 * robust / n:.1f}%")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"settings": vars(args), "samples": rows}, f, indent=1)
    if args.compare:
        label, theirs = dpl_rows(args.compare)
        by_id = {r["id"]: r for r in theirs}
        both = [(r, by_id[r["id"]]) for r in rows if r["id"] in by_id]
        d_robust = sum(bool(d["robust_correct"]) for _, d in both)
        d_clean = sum(bool(d["clean_correct"]) for _, d in both)
        print(f"DPL   n={len(both)} clean {d_clean}/{len(both)}  robust {d_robust}/{len(both)}  ({label})")
        disagree = [(r, d) for r, d in both if r["robust_correct"] != bool(d["robust_correct"])]
        print(f"per-sample robust verdicts differ on {len(disagree)} of {len(both)} samples")
        for r, d in disagree:
            print(f"  test image {r['index']}: twin robust={r['robust_correct']} (pred {r['adversarial_prediction']}), "
                  f"DPL robust={d['robust_correct']} (pred {d.get('adversarial_prediction')})")


if __name__ == "__main__":
    main()
