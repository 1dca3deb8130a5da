"""Twin fixtures of DiffPure's CIFAR-10 score model and SDE purification, made by the upstream code.

DPL's `ncsnpp` architecture (Sources/DPLNN/Models/NCSNpp.swift) and its `purify sampler=sde`
(Sources/DPLDiffusion/Samplers/ReverseSDESampler.swift) are written from reading NVlabs/DiffPure;
this script runs the upstream classes themselves on a reduced configuration with random weights
and writes what they compute, so Swift tests (no Python, no torch) can check DPL against them:

    Tests/Fixtures/ncsnpp_twin.safetensors      weights (upstream state_dict names), an input,
                                                continuous time labels, the network's output
    Tests/Fixtures/diffpure_sde_twin.safetensors images, the upstream purification (t = 20),
                                                and the input gradient through t = 3

Upstream: https://github.com/NVlabs/DiffPure at commit 985703facc13da38d84bcaf52b3bc5b2ef9906f1
(score_sde/models/{ncsnpp,layerspp,layers,up_or_down_sampling,utils}.py, score_sde/sde_lib.py,
runners/diffpure_sde.py, configs/cifar10.yml). Check it out anywhere and name it:

    git clone https://github.com/NVlabs/DiffPure /tmp/diffpure
    git -C /tmp/diffpure checkout 985703facc13da38d84bcaf52b3bc5b2ef9906f1
    pip install torch torchsde safetensors numpy
    python benchmarks/diffpure_twin.py --diffpure /tmp/diffpure            # check, print counts
    python benchmarks/diffpure_twin.py --diffpure /tmp/diffpure --write-fixtures

Nothing of the upstream code is copied here. Two imports are stubbed, because they are never
reached with DiffPure's CIFAR-10 configuration: `score_sde.op` (CUDA kernels for FIR
resampling, compiled at import time; `fir: False`) and `torchvision.utils` (only `save_image`).

The noise is DPL's: the forward noise and each Euler–Maruyama step's Gaussian are DPL's keyed
draws (benchmarks/dpl_keyed_random.py, keys `purify.diffuse` at step t and
`purify.reverse.sde` at step k, seed 0, call 0), handed to torchsde as the Brownian
increments z_k · √Δt_k. So both sides purify with the same noise, and the Swift test runs DPL's
own `Purifier` on the fixture's images and sample ids.
"""
import argparse
import ast
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpl_keyed_random import keyed_normal  # noqa: E402

UPSTREAM_COMMIT = "985703facc13da38d84bcaf52b3bc5b2ef9906f1"
SAMPLE_IDS = [1001, 1002]


def read_config(path):
    """configs/cifar10.yml as nested namespaces (a two-level YAML file; no PyYAML needed)."""
    root, section = {}, None
    for raw in open(path):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = root.setdefault(line.rstrip(":").strip(), {})
            continue
        key, value = line.strip().split(":", 1)
        value = value.strip()
        try:
            section[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            section[key] = value
    return types.SimpleNamespace(**{k: types.SimpleNamespace(**v) for k, v in root.items()})


def import_upstream(checkout):
    sys.path.insert(0, checkout)
    op = types.ModuleType("score_sde.op")

    def unavailable(*args, **kwargs):
        raise RuntimeError("FIR resampling is not used by DiffPure's CIFAR-10 model")
    op.upfirdn2d = unavailable
    sys.modules["score_sde.op"] = op
    tv = types.ModuleType("torchvision")
    tv.utils = types.ModuleType("torchvision.utils")
    sys.modules.setdefault("torchvision", tv)
    sys.modules.setdefault("torchvision.utils", tv.utils)
    from score_sde.models import ncsnpp  # noqa: F401  (registers the model)
    from score_sde.models import utils as mutils
    from runners import diffpure_sde
    return mutils, diffpure_sde


def randomize(model, seed):
    """Random weights everywhere: score_sde initializes the last conv of every block near zero
    (init_scale 0), which would make the blocks identities and the twin weak."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p.shape[0] if name.endswith(".W") else int(np.prod(p.shape[1:]))
                bound = 1.0 / np.sqrt(fan_in)
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
            elif "GroupNorm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def reduced_config(config):
    config.model.nf = 16
    config.model.num_res_blocks = 1
    config.model.dropout = 0.0
    return config


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


class KeyedIncrements:
    """A torchsde Brownian motion whose increment over Euler step k is DPL's keyed z_k · √Δt
    (fixed-step Euler asks for each step once, in order, from its start time)."""

    def __init__(self, start, dt, shape, ids):
        self.start, self.dt, self._shape, self.ids = start, dt, shape, ids

    def __call__(self, ta, tb=None, return_U=False, return_A=False):
        k = int(round((float(ta) - self.start) / self.dt))
        z = keyed_normal((self._shape[0], 3, 32, 32), 0, "purify.reverse.sde", self.ids, step=k, call=0)
        return torch.from_numpy(z).view(self._shape) * torch.sqrt(tb - ta)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: torch.float32)
    device = property(lambda self: torch.device("cpu"))
    levy_area_approximation = property(lambda self: "none")


def purify(runner_module, model, images, t, ids):
    """runners/diffpure_sde.py `RevGuidedDiffusion.image_editing_sample` for one sample step,
    with DPL's keyed noise, on images in [0, 1] (eval_sde_adv.py's `(x − 0.5) · 2` and
    `(x + 1) · 0.5`). Returns (x_t, the reverse process's output on the [−1, 1] scale)."""
    import torchsde
    rev = runner_module.RevVPSDE(model=model, score_type="score_sde", img_shape=(3, 32, 32))
    x0 = (images - 0.5) * 2
    e = torch.from_numpy(keyed_normal(tuple(x0.shape), 0, "purify.diffuse", ids, step=t, call=0))
    a = (1 - rev.discrete_betas.float()).cumprod(dim=0)
    x = x0 * a[t - 1].sqrt() + e * (1.0 - a[t - 1]).sqrt()
    t0, t1 = 1 - t * 1. / 1000, 1 - 1e-5
    ts = torch.linspace(t0, t1, 2)
    x_ = x.view(x.shape[0], -1)
    bm = KeyedIncrements(float(ts[0]), 1e-3, tuple(x_.shape), ids)
    # DiffPure calls sdeint_adjoint; its forward pass is sdeint's (the adjoint differs only in
    # how it backpropagates), and sdeint lets autograd differentiate the steps exactly.
    xs_ = torchsde.sdeint(rev, x_, ts, method="euler", bm=bm, dt=1e-3)
    return x, xs_[-1].view(x.shape)


def adm_fixture(checkout, out_dir, write):
    """guided-diffusion's UNetModel as DiffPure builds it for ImageNet (configs/imagenet.yml over
    `model_and_diffusion_defaults()`), its full-size parameter count, and a reduced twin:
    16×16, 32 channels, channel_mult (1, 2), one block per level, attention at 8 with 16
    channels per head, learned sigma, scale-shift norm, residual up/down-sampling."""
    from guided_diffusion.script_util import create_model, model_and_diffusion_defaults
    keys = ("image_size", "num_channels", "num_res_blocks", "channel_mult", "learn_sigma", "class_cond",
            "use_checkpoint", "attention_resolutions", "num_heads", "num_head_channels", "num_heads_upsample",
            "use_scale_shift_norm", "dropout", "resblock_updown", "use_fp16", "use_new_attention_order")
    imagenet = read_config(os.path.join(checkout, "configs", "imagenet.yml"))
    full_args = model_and_diffusion_defaults()
    full_args.update(vars(imagenet.model))
    full_args["use_fp16"] = False
    full = create_model(**{k: full_args[k] for k in keys})
    full_params = parameter_count(full)
    print(f"full ImageNet 256x256 ADM (configs/imagenet.yml): {full_params} parameters")
    del full
    small_args = dict(full_args, image_size=16, num_channels=32, num_res_blocks=1, channel_mult="1,2",
                      attention_resolutions="8", num_head_channels=16)
    model = create_model(**{k: small_args[k] for k in keys})
    randomize(model, seed=21)
    model.eval()
    g = torch.Generator().manual_seed(8)
    x = torch.randn((2, 3, 16, 16), generator=g) * 0.6
    t = torch.tensor([3.0, 517.0])
    with torch.no_grad():
        last = model.out[2]
        gain = 1.0 / model(x, t).std()
        last.weight.mul_(gain)
        last.bias.mul_(gain)
        out = model(x, t)
    print(f"reduced ADM: {parameter_count(model)} parameters, output {tuple(out.shape)}")
    if not write:
        return
    from safetensors.torch import save_file
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    tensors.update({"input.x": x, "input.t": t, "output": out})
    path = os.path.join(out_dir, "adm_twin.safetensors")
    save_file(tensors, path, metadata={"upstream": f"NVlabs/DiffPure@{UPSTREAM_COMMIT}", "full_parameter_count": str(full_params),
                                       "parameter_order": ",".join(n for n, _ in model.named_parameters()),
                                       "made_by": "benchmarks/diffpure_twin.py"})
    os.chmod(path, 0o644)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--diffpure", required=True, help=f"a checkout of NVlabs/DiffPure at {UPSTREAM_COMMIT}")
    parser.add_argument("--write-fixtures", action="store_true")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    mutils, runner = import_upstream(args.diffpure)
    config_path = os.path.join(args.diffpure, "configs", "cifar10.yml")

    full = mutils.get_model("ncsnpp")(read_config(config_path))
    full_params = parameter_count(full)
    full_state = sum(v.numel() for v in full.state_dict().values())
    print(f"full CIFAR-10 NCSN++ (configs/cifar10.yml): {full_params} parameters, {full_state} state_dict values")
    del full

    config = reduced_config(read_config(config_path))
    model = mutils.get_model("ncsnpp")(config)
    randomize(model, seed=12)
    model.eval()
    g = torch.Generator().manual_seed(5)
    x = torch.randn((2, 3, 32, 32), generator=g) * 0.6
    labels = torch.tensor([0.1, 0.537], dtype=torch.float32) * 999
    # A trained model predicts eps of unit size; scale the last convolution so this one does
    # too, or the score would barely move the SDE and the twin would check little.
    with torch.no_grad():
        last = model.all_modules[-1]
        gain = 1.0 / model(x, labels).std()
        last.weight.mul_(gain)
        last.bias.mul_(gain)
    print(f"reduced (nf {config.model.nf}, {config.model.num_res_blocks} res block): {parameter_count(model)} parameters")

    with torch.no_grad():
        out = model(x, labels)
    print(f"network output: mean |eps| {out.abs().mean():.4f}")

    images = torch.rand((2, 3, 32, 32), generator=g)
    with torch.no_grad():
        xt20, rev20 = purify(runner, model, images, 20, SAMPLE_IDS)
    purified20 = ((rev20 + 1) * 0.5).clamp(0, 1)
    print(f"t=20: mean |purified - images| {(purified20 - images).abs().mean():.4f}, "
          f"{(((rev20 + 1) * 0.5 - purified20) != 0).float().mean() * 100:.1f}% of values clamped")

    # The exact gradient of the discretized purification (backprop through the Euler steps),
    # which is what DPL computes. DiffPure itself backpropagates with torchsde's adjoint, which
    # solves an adjoint SDE backward on its own grid and asks the Brownian motion for other
    # intervals than the forward steps; the keyed increments above answer only the forward
    # steps' intervals, so the adjoint cannot be twinned with them.
    weights = torch.randn((2, 3, 32, 32), generator=g)
    leaf = images.clone().requires_grad_(True)
    _, rev3 = purify(runner, model, leaf, 3, SAMPLE_IDS)
    loss = (((rev3 + 1) * 0.5).clamp(0, 1) * weights).sum()
    grad3, = torch.autograd.grad(loss, leaf)
    print(f"t=3 gradient: norm {grad3.norm():.4f}")

    adm_fixture(args.diffpure, args.out, args.write_fixtures)
    if not args.write_fixtures:
        return
    from safetensors.torch import save_file
    meta = {"upstream": f"NVlabs/DiffPure@{UPSTREAM_COMMIT}", "nf": str(config.model.nf),
            "num_res_blocks": str(config.model.num_res_blocks),
            "ch_mult": ",".join(map(str, config.model.ch_mult)),
            "attn_resolutions": ",".join(map(str, config.model.attn_resolutions)),
            "full_parameter_count": str(full_params), "full_state_count": str(full_state),
            "parameter_order": ",".join(name for name, _ in model.named_parameters()),
            "made_by": "benchmarks/diffpure_twin.py"}
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    tensors.update({"input.x": x, "input.labels": labels, "output": out})
    save_file(tensors, os.path.join(args.out, "ncsnpp_twin.safetensors"), metadata=meta)
    purification = {"images": images, "t20.xt": xt20, "t20.reverse": rev20, "t20.purified": purified20,
                    "t3.weights": weights, "t3.reverse": rev3.detach(), "t3.input_gradient": grad3}
    save_file({k: v.contiguous() for k, v in purification.items()},
              os.path.join(args.out, "diffpure_sde_twin.safetensors"),
              metadata={"upstream": f"NVlabs/DiffPure@{UPSTREAM_COMMIT}", "sample_ids": ",".join(map(str, SAMPLE_IDS)),
                        "made_by": "benchmarks/diffpure_twin.py"})
    for name in ("ncsnpp_twin.safetensors", "diffpure_sde_twin.safetensors"):
        os.chmod(os.path.join(args.out, name), 0o644)
    print("wrote", os.path.abspath(args.out))


if __name__ == "__main__":
    main()
