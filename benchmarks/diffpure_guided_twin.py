"""Twin fixture of DiffPure's ImageNet purification (runners/diffpure_guided.py), made by the upstream code.

DPL's `purify sampler=guided size=…` (Sources/DPLDiffusion/Samplers/GuidedSampler.swift, the
resize in Sources/DPLDiffusion/Purification/Purifier.swift, `Tensor.resizeBilinear`) is written
from reading NVlabs/DiffPure and the guided-diffusion it vendors; this script runs the upstream
code itself and writes what it computes, so a Swift test (no Python, no torch) can check DPL:

    Tests/Fixtures/diffpure_guided_twin.safetensors   images, the upstream purification at
                                                      t = 10 and the input gradient through t = 3;
                                                      under `sde.`, the same with
                                                      runners/diffpure_sde.py (t = 20 and 3)

The model is the reduced ADM of Tests/Fixtures/adm_twin.safetensors (made by
benchmarks/diffpure_twin.py: 32 channels, channel_mult (1, 2), one block per level, learned
sigma, scale-shift norm, residual up/down, random weights scaled to unit output), built here at
32×32 instead of 16×16 with attention at 16 instead of 8 — the same parameters under the same
names, since guided-diffusion's `create_model` places attention by downsampling factor
(image_size // resolution = 2 both times). Its weights are read from that fixture, so this one
holds only images and results.

What runs is upstream's: `GuidedDiffusion.image_editing_sample` of runners/diffpure_guided.py
(forward noising with `a[t − 1]`, then `diffusion.p_sample(..., clip_denoised=True)` for
i = t − 1 … 0) on the diffusion of `create_model_and_diffusion` with configs/imagenet.yml
(learn_sigma, linear schedule, 1000 steps respaced to 1000, rescale_timesteps), around it
eval_sde_adv.py's `SDE_Adv_Model.forward` scaling and resizing: images of 28×28 (the 7:8 of
ImageNet's 224:256) are resized to 32×32 with `F.interpolate(mode='bilinear',
align_corners=False)`, mapped to [−1, 1], purified, resized back and mapped to [0, 1]. That
forward method is restated in `defended` below rather than imported, because importing
eval_sde_adv.py pulls in AutoAttack and the other runners; each line names its source.

Upstream: https://github.com/NVlabs/DiffPure at commit 985703facc13da38d84bcaf52b3bc5b2ef9906f1
(its guided_diffusion/ equals openai/guided-diffusion at 22e0df8183507e13a7813f8d38d51b072ca1e67c
apart from a license header). Check it out anywhere and name it:

    git clone https://github.com/NVlabs/DiffPure /tmp/diffpure
    git -C /tmp/diffpure checkout 985703facc13da38d84bcaf52b3bc5b2ef9906f1
    pip install torch torchvision safetensors numpy
    python benchmarks/diffpure_guided_twin.py --diffpure /tmp/diffpure            # check, print
    python benchmarks/diffpure_guided_twin.py --diffpure /tmp/diffpure --write-fixtures

Nothing of the upstream code is copied here.

The noise is DPL's: `torch.randn_like` is replaced while upstream runs so that its first draw
(the forward noise e) is DPL's keyed draw `purify.diffuse` at step t and the draw inside
`p_sample` at index i is `purify.reverse.guided` at reverse step k = t − 1 − i (seed 0, call 0;
benchmarks/dpl_keyed_random.py). The draw at i = 0 is masked by upstream's `nonzero_mask`. So both
sides purify with the same noise, and the Swift test runs DPL's own `Purifier`.
"""
import argparse
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpl_keyed_random import keyed_normal  # noqa: E402
from diffpure_twin import KeyedIncrements, import_upstream as import_sde_runner, read_config  # noqa: E402

UPSTREAM_COMMIT = "985703facc13da38d84bcaf52b3bc5b2ef9906f1"
SAMPLE_IDS = [2001, 2002]
IMAGE_SIZE, MODEL_SIZE = 28, 32


def import_upstream(checkout):
    sys.path.insert(0, checkout)
    from guided_diffusion.script_util import create_model_and_diffusion, model_and_diffusion_defaults
    from runners.diffpure_guided import GuidedDiffusion
    return create_model_and_diffusion, model_and_diffusion_defaults, GuidedDiffusion


def build(checkout, fixtures):
    """The runner of runners/diffpure_guided.py with the reduced ADM and configs/imagenet.yml's
    diffusion. `GuidedDiffusion.__init__` loads the 256×256 checkpoint from a fixed path, so the
    runner is assembled with the attributes that constructor sets (model, diffusion, betas)."""
    create_model_and_diffusion, model_and_diffusion_defaults, GuidedDiffusion = import_upstream(checkout)
    config = model_and_diffusion_defaults()
    config.update(vars(read_config(os.path.join(checkout, "configs", "imagenet.yml")).model))
    config.update(image_size=MODEL_SIZE, num_channels=32, num_res_blocks=1, channel_mult="1,2",
                  attention_resolutions="16", num_head_channels=16, use_fp16=False)
    model, diffusion = create_model_and_diffusion(**config)
    from safetensors.torch import load_file
    weights = load_file(os.path.join(fixtures, "adm_twin.safetensors"))
    model.load_state_dict({k: v for k, v in weights.items() if not k.startswith("input.") and k != "output"})
    # Upstream freezes the weights (`requires_grad_(False)`), which is harmless there because it
    # purifies under `torch.no_grad()`. The gradient twin differentiates the same calls, and
    # guided-diffusion's AttentionBlock always runs through its own `CheckpointFunction`, whose
    # backward asks for the weights' gradients too: so the weights stay trainable here.
    model.eval()
    runner = GuidedDiffusion.__new__(GuidedDiffusion)
    torch.nn.Module.__init__(runner)
    runner.device = torch.device("cpu")
    runner.model, runner.diffusion = model, diffusion
    runner.betas = torch.from_numpy(diffusion.betas).float()
    print(f"diffusion: {type(diffusion).__name__}, {diffusion.num_timesteps} steps, "
          f"{diffusion.model_var_type}, rescale_timesteps={diffusion.rescale_timesteps}")
    return runner


class KeyedRandnLike:
    """`torch.randn_like` answering upstream's draws of one purification to t, in order."""

    def __init__(self, t, ids):
        self.t, self.ids, self.calls = t, ids, 0

    def __call__(self, x, *args, **kwargs):
        shape = tuple(x.shape)
        if self.calls == 0:
            z = keyed_normal(shape, 0, "purify.diffuse", self.ids, step=self.t, call=0)
        else:
            z = keyed_normal(shape, 0, "purify.reverse.guided", self.ids, step=self.calls - 1, call=0)
        self.calls += 1
        return torch.from_numpy(z)


def defended(runner, images, t, ids, grad):
    """eval_sde_adv.py `SDE_Adv_Model.forward` without the classifier: resize, scale, purify,
    resize back, scale back. With `grad`, the purification loop is runners/diffpure_guided.py's
    own loop run outside its `torch.no_grad()` (the same upstream calls in the same order)."""
    x = F.interpolate(images, size=(MODEL_SIZE, MODEL_SIZE), mode="bilinear", align_corners=False)
    draws = KeyedRandnLike(t, ids)
    original, torch.randn_like = torch.randn_like, draws
    try:
        runner.args = types.SimpleNamespace(sample_step=1, t=t, log_dir="unused")
        if not grad:
            # bs_id=2: upstream saves pictures only for the first two batches.
            x_re = runner.image_editing_sample((x - 0.5) * 2, bs_id=2)
        else:
            x0 = (x - 0.5) * 2
            e = torch.randn_like(x0)
            a = (1 - runner.betas).cumprod(dim=0)
            xt = x0 * a[t - 1].sqrt() + e * (1.0 - a[t - 1]).sqrt()
            for i in reversed(range(t)):
                step = torch.tensor([i] * x0.shape[0])
                xt = runner.diffusion.p_sample(runner.model, xt, step, clip_denoised=True, denoised_fn=None,
                                               cond_fn=None, model_kwargs=None)["sample"]
            x_re = xt
    finally:
        torch.randn_like = original
    assert draws.calls == t + 1, draws.calls
    x_re = F.interpolate(x_re, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    return (x_re + 1) * 0.5


def sde_defended(runner_module, model, images, t, ids):
    """The same forward with runners/diffpure_sde.py instead — the runner DiffPure's published
    ImageNet scripts use (`--diffusion_type sde`): `RevVPSDE(score_type='guided_diffusion')`
    calls the ADM at ⌊τ·1000⌋ and keeps its ε half, through torchsde's Euler steps with DPL's
    keyed increments (as benchmarks/diffpure_twin.py does for CIFAR-10). Returns the reverse
    process's output at 32×32 on the [−1, 1] scale, and the images after upstream's resize back
    with DPL's documented clamp to [0, 1] applied before it (eval_sde_adv.py does not clamp)."""
    import torchsde
    x = F.interpolate(images, size=(MODEL_SIZE, MODEL_SIZE), mode="bilinear", align_corners=False)
    rev = runner_module.RevVPSDE(model=model, score_type="guided_diffusion", img_shape=(3, MODEL_SIZE, MODEL_SIZE))
    x0 = (x - 0.5) * 2
    e = torch.from_numpy(keyed_normal(tuple(x0.shape), 0, "purify.diffuse", ids, step=t, call=0))
    a = (1 - rev.discrete_betas.float()).cumprod(dim=0)
    xt = x0 * a[t - 1].sqrt() + e * (1.0 - a[t - 1]).sqrt()
    ts = torch.linspace(1 - t * 1. / 1000, 1 - 1e-5, 2)
    flat = xt.view(xt.shape[0], -1)
    bm = KeyedIncrements(float(ts[0]), 1e-3, tuple(flat.shape), ids)
    # sdeint's forward pass is sdeint_adjoint's; autograd differentiates its steps exactly.
    reverse = torchsde.sdeint(rev, flat, ts, method="euler", bm=bm, dt=1e-3)[-1].view(xt.shape)
    clamped = ((reverse + 1) * 0.5).clamp(0, 1)
    return reverse, F.interpolate(clamped, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--diffpure", required=True, help=f"a checkout of NVlabs/DiffPure at {UPSTREAM_COMMIT}")
    parser.add_argument("--write-fixtures", action="store_true")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    runner = build(args.diffpure, args.out)

    g = torch.Generator().manual_seed(17)
    images = torch.rand((2, 3, IMAGE_SIZE, IMAGE_SIZE), generator=g)
    with torch.no_grad():
        purified10 = defended(runner, images, 10, SAMPLE_IDS, grad=False)
        again = defended(runner, images, 10, SAMPLE_IDS, grad=True)
    # The gradient loop is the runner's loop: the same numbers, or the twin checks nothing.
    assert torch.equal(purified10, again), (purified10 - again).abs().max()
    print(f"t=10: mean |purified - images| {(purified10 - images).abs().mean():.4f}, "
          f"range [{purified10.min():.3f}, {purified10.max():.3f}]")

    weights = torch.randn((2, 3, IMAGE_SIZE, IMAGE_SIZE), generator=g)
    leaf = images.clone().requires_grad_(True)
    purified3 = defended(runner, leaf, 3, SAMPLE_IDS, grad=True)
    grad3, = torch.autograd.grad((purified3 * weights).sum(), leaf)
    print(f"t=3: gradient norm {grad3.norm():.4f}")

    _, sde_runner = import_sde_runner(args.diffpure)
    with torch.no_grad():
        sde_reverse20, sde_purified20 = sde_defended(sde_runner, runner.model, images, 20, SAMPLE_IDS)
    print(f"sde t=20: mean |purified - images| {(sde_purified20 - images).abs().mean():.4f}, "
          f"{((sde_reverse20 < -1) | (sde_reverse20 > 1)).float().mean() * 100:.1f}% of values clamped")
    sde_leaf = images.clone().requires_grad_(True)
    _, sde_purified3 = sde_defended(sde_runner, runner.model, sde_leaf, 3, SAMPLE_IDS)
    sde_grad3, = torch.autograd.grad((sde_purified3 * weights).sum(), sde_leaf)
    print(f"sde t=3: gradient norm {sde_grad3.norm():.4f}")

    if not args.write_fixtures:
        return
    from safetensors.torch import save_file
    path = os.path.join(args.out, "diffpure_guided_twin.safetensors")
    save_file({"images": images, "t10.purified": purified10, "t3.purified": purified3.detach(),
               "t3.weights": weights, "t3.input_gradient": grad3,
               "sde.t20.reverse": sde_reverse20, "sde.t20.purified": sde_purified20,
               "sde.t3.purified": sde_purified3.detach(), "sde.t3.input_gradient": sde_grad3},
              path, metadata={"upstream": f"NVlabs/DiffPure@{UPSTREAM_COMMIT}", "made_by": "benchmarks/diffpure_guided_twin.py",
                              "sample_ids": ",".join(map(str, SAMPLE_IDS)), "model": "adm_twin.safetensors at 32x32",
                              "model_size": str(MODEL_SIZE)})
    os.chmod(path, 0o644)
    print("wrote", os.path.abspath(path))


if __name__ == "__main__":
    main()
