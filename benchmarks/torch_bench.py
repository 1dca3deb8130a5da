"""The dpl-bench workloads in PyTorch, on the same machine, for docs/performance.md.

    python benchmarks/torch_bench.py [--threads 2] [--repeats 5] [--filter NAME] [--json]
    python benchmarks/torch_bench.py --compare dpl.json torch.json

Prints the median seconds of each workload (after one warm-up run), under the same names
as `swift run -c release dpl-bench`, so the two tables line up. Needs torch (CPU is enough);
install it in a virtual environment outside the repository. `--compare` prints two `--json`
outputs side by side with their ratio (no torch needed).

Timing differences to keep in mind: conv2d_32to64_28x28_b128_backward re-runs the forward in
every timed run here, while dpl-bench differentiates a kept graph (PyTorch frees its graph
after backward); the model workloads time the same work on both sides.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F

    from torch_reference_models import CNNClassifier, UNet
except ImportError:  # --compare works without torch
    torch = None


def ddpm_alpha_bar():
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float(), betas.float()


def workloads():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(512, 512, generator=g)
    b = torch.randn(512, 512, generator=g)
    x28_128 = torch.rand(128, 1, 28, 28, generator=g)
    y128 = torch.randint(0, 10, (128,), generator=g)
    x28_64 = torch.rand(64, 1, 28, 28, generator=g) * 2 - 1
    act = torch.randn(128, 32, 28, 28, generator=g)
    conv = torch.nn.Conv2d(32, 64, 3, padding=1)
    cnn = CNNClassifier()
    unet = UNet()
    cnn_opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    unet_opt = torch.optim.Adam(unet.parameters(), lr=2e-4)
    alpha_bar, betas = ddpm_alpha_bar()

    def sgemm():
        torch.mm(a, b)

    def conv_forward():
        with torch.no_grad():
            conv(act)

    act_g = act.clone().requires_grad_(True)

    def conv_backward():
        out = conv(act_g)
        out.backward(torch.ones_like(out))

    def cnn_forward():
        with torch.no_grad():
            cnn(x28_128)

    def cnn_train():
        cnn_opt.zero_grad(set_to_none=True)
        F.cross_entropy(cnn(x28_128), y128).backward()
        cnn_opt.step()

    def unet_forward():
        with torch.no_grad():
            unet(x28_64, torch.full((64,), 100.0))

    def unet_train():
        t = torch.randint(0, 1000, (64,), generator=g)
        noise = torch.randn(x28_64.shape, generator=g)
        ab = alpha_bar[t][:, None, None, None]
        xt = ab.sqrt() * x28_64 + (1 - ab).sqrt() * noise
        unet_opt.zero_grad(set_to_none=True)
        F.mse_loss(unet(xt, t.float()), noise).backward()
        unet_opt.step()

    def pgd10():
        eps, step = 8 / 255, 2 / 255
        for p in cnn.parameters():
            p.requires_grad_(False)
        x = (x28_128 + torch.empty_like(x28_128).uniform_(-eps, eps, generator=g)).clamp(0, 1)
        for _ in range(10):
            x.requires_grad_(True)
            loss = F.cross_entropy(cnn(x), y128)
            (grad,) = torch.autograd.grad(loss, x)
            x = torch.min(torch.max(x.detach() + step * grad.sign(), x28_128 - eps), x28_128 + eps).clamp(0, 1)
        for p in cnn.parameters():
            p.requires_grad_(True)

    def reverse_ddpm(x, t):
        """DDPM ancestral sampling from step t back to 0 (posterior variance beta-tilde)."""
        for s in range(t, 0, -1):
            ab, ab_prev, beta = alpha_bar[s], alpha_bar[s - 1], betas[s]
            eps = unet(x, torch.full((x.shape[0],), float(s)))
            mean = (x - beta / (1 - ab).sqrt() * eps) / (1 - beta).sqrt()
            var = beta * (1 - ab_prev) / (1 - ab)
            x = mean + var.sqrt() * torch.randn(x.shape, generator=g)
        return x

    def purify_t100():
        with torch.no_grad():
            x = x28_64
            ab = alpha_bar[100]
            xt = ab.sqrt() * x + (1 - ab).sqrt() * torch.randn(x.shape, generator=g)
            reverse_ddpm(xt, 100)

    x16 = torch.rand(16, 1, 28, 28, generator=g)

    def purify_grad_t20():
        for p in unet.parameters():
            p.requires_grad_(False)
        x = x16.clone().requires_grad_(True)
        ab = alpha_bar[20]
        xt = ab.sqrt() * (2 * x - 1) + (1 - ab).sqrt() * torch.randn(x.shape, generator=g)
        out = reverse_ddpm(xt, 20)
        (grad,) = torch.autograd.grad(out.sum(), x)
        for p in unet.parameters():
            p.requires_grad_(True)

    def purify_classify(x):
        """Purification (t=20, fresh noise per call, as seed=random) then cnn-small logits."""
        ab = alpha_bar[20]
        xt = ab.sqrt() * (2 * x - 1) + (1 - ab).sqrt() * torch.randn(x.shape, generator=g)
        purified = (reverse_ddpm(xt, 20).clamp(-1, 1) + 1) * 0.5
        return cnn(purified)

    y16 = torch.randint(0, 10, (16,), generator=g)

    def apgd20_eot4():
        """APGD-CE (Croce & Hein 2020: 20 iterations, momentum 0.75, step 2*eps halved at the
        checkpoints, restart from the best point) with EOT over 4 draws through purification:
        21 gradient evaluations x 4 draws, each a full backward through 20 reverse steps and
        cnn-small, batch 16 -- the work of dpl-bench's apgd20_eot4_purify_t20_b16."""
        eps, steps, rho = 8 / 255, 20, 0.75
        for p in list(unet.parameters()) + list(cnn.parameters()):
            p.requires_grad_(False)
        clean = x16

        def loss_and_grad(x):
            total_loss = torch.zeros(x.shape[0])
            total_grad = torch.zeros_like(x)
            for _ in range(4):
                xi = x.clone().requires_grad_(True)
                losses = F.cross_entropy(purify_classify(xi), y16, reduction="none")
                (grad,) = torch.autograd.grad(losses.sum(), xi)
                total_loss += losses.detach()
                total_grad += grad
            return total_loss / 4, total_grad / 4

        x = (clean + eps * torch.empty_like(clean).uniform_(-1, 1, generator=g)).clamp(0, 1)
        loss, grad = loss_and_grad(x)
        best_x, best_loss, best_grad = x.clone(), loss.clone(), grad.clone()
        step = torch.full((16, 1, 1, 1), 2 * eps)
        previous = x.clone()
        checkpoints, interval, since, history = 0, max(int(0.22 * steps), 1), 0, [loss]
        reduced = torch.ones(16, dtype=torch.bool)
        best_at_checkpoint = best_loss.clone()
        for it in range(steps):
            weight = 0.75 if it > 0 else 1.0
            z = torch.min(torch.max(x + step * grad.sign(), clean - eps), clean + eps).clamp(0, 1)
            nxt = x + (z - x) * weight + (x - previous) * (1 - weight)
            nxt = torch.min(torch.max(nxt, clean - eps), clean + eps).clamp(0, 1)
            previous, x = x, nxt
            loss, grad = loss_and_grad(x)
            history.append(loss)
            better = loss > best_loss
            best_loss = torch.where(better, loss, best_loss)
            best_x[better], best_grad[better] = x[better], grad[better]
            since += 1
            if since == interval:
                increases = sum((history[-k] > history[-k - 1]).float() for k in range(1, interval + 1)
                                if len(history) > k)
                reduce = (increases <= interval * rho) | (~reduced & (best_at_checkpoint >= best_loss))
                reduced = reduce
                step[reduce] /= 2
                x[reduce], grad[reduce] = best_x[reduce], best_grad[reduce]
                best_at_checkpoint = best_loss.clone()
                interval = max(interval - max(int(0.03 * steps), 1), max(int(0.06 * steps), 1))
                since = 0
        for p in list(unet.parameters()) + list(cnn.parameters()):
            p.requires_grad_(True)

    return {
        "sgemm_512": (sgemm, 2 * 512 ** 3),
        "conv2d_32to64_28x28_b128_forward": (conv_forward, None),
        "conv2d_32to64_28x28_b128_backward": (conv_backward, None),
        "cnn_small_forward_b128": (cnn_forward, None),
        "cnn_small_train_step_b128": (cnn_train, None),
        "unet_tiny_forward_b64": (unet_forward, None),
        "unet_tiny_train_step_b64": (unet_train, None),
        "pgd10_linf_cnn_b128": (pgd10, None),
        "purify_ddpm_t100_b64": (purify_t100, None),
        "purify_full_grad_t20_b16": (purify_grad_t20, None),
        "apgd20_eot4_purify_t20_b16": (apgd20_eot4, None),
    }


def compare(dpl_path, torch_path):
    """A table of the workloads both JSON files hold: seconds on each side and the ratio."""
    with open(dpl_path) as f:
        dpl = json.load(f)
    with open(torch_path) as f:
        reference = json.load(f)
    names = [name for name in dpl if name in reference]
    width = max([len("workload")] + [len(n) for n in names])
    print(f"{'workload':<{width}}  {'dpl s':>9}  {'torch s':>9}  {'dpl/torch':>9}")
    for name in names:
        print(f"{name:<{width}}  {dpl[name]:9.5f}  {reference[name]:9.5f}  {dpl[name] / reference[name]:9.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (0 for minute-long workloads)")
    parser.add_argument("--filter", default="")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--compare", nargs=2, metavar=("DPL_JSON", "TORCH_JSON"),
                        help="print a side-by-side table of two --json outputs and exit")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if torch is None:
        sys.exit("torch_bench.py: PyTorch is not installed; install torch (CPU build) in a virtual environment")
    torch.set_num_threads(args.threads)
    results = {}
    for name, (fn, flops) in workloads().items():
        if args.filter not in name:
            continue
        for _ in range(args.warmup):
            fn()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        results[name] = median
        extra = f"  {flops / median / 1e9:7.1f} GFLOP/s" if flops else ""
        print(f"{name:40s} {median:10.4f} s{extra}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
