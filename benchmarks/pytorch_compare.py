#!/usr/bin/env python3
"""Times dpl-bench's workloads in PyTorch (CPU, float32), for comparison.

Same workloads, shapes, warm-up and statistic as dpl-bench (median of N timed runs after one
warm-up), and the same output: an aligned table, or with --json one JSON object
{"workload": median_seconds, ...}. Workloads that have no PyTorch twin here are skipped.

    python3 benchmarks/pytorch_compare.py --threads 2 --json > torch.json
    .build/release/dpl-bench --threads 2 --json > dpl.json
    python3 benchmarks/pytorch_compare.py --compare dpl.json torch.json
"""
import argparse
import json
import statistics
import sys
import time


def workloads(torch):
    """name -> (flops or None, prepare() returning the timed callable)."""
    f = torch.nn.functional
    generator = torch.Generator().manual_seed(2)

    def uniform(*shape, scale=1.0):
        return (torch.rand(*shape, generator=generator) * 2 - 1) * scale

    def sgemm_512():
        a, b = uniform(512, 512), uniform(512, 512)
        return lambda: torch.matmul(a, b)

    def conv_inputs():
        return uniform(128, 32, 28, 28), uniform(64, 32, 3, 3, scale=0.1), uniform(64, scale=0.1)

    def conv_forward():
        x, w, b = conv_inputs()

        def run():
            with torch.no_grad():
                f.conv2d(x, w, b, padding=1)
        return run

    def conv_backward():
        x, w, b = (t.requires_grad_() for t in conv_inputs())
        y = f.conv2d(x, w, b, padding=1)
        seed = torch.ones_like(y)
        # Backward only, like dpl-bench: the graph is kept and differentiated again each run.
        return lambda: torch.autograd.grad(y, (x, w, b), seed, retain_graph=True)

    conv_flops = 2.0 * 128 * 64 * 28 * 28 * 32 * 3 * 3
    return {
        "sgemm_512": (2.0 * 512 ** 3, sgemm_512),
        "conv2d_32to64_28x28_b128_forward": (conv_flops, conv_forward),
        "conv2d_32to64_28x28_b128_backward": (2 * conv_flops, conv_backward),
    }


def measure(body, repeats):
    body()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(dpl_path, torch_path):
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--compare", nargs=2, metavar=("DPL_JSON", "TORCH_JSON"),
                        help="print a side-by-side table of two --json outputs and exit")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    try:
        import torch
    except ImportError:
        sys.exit("pytorch_compare.py: PyTorch is not installed; install torch (CPU build) to compare")
    if args.threads:
        torch.set_num_threads(args.threads)
    results = {}
    for name, (flops, prepare) in workloads(torch).items():
        if args.filter not in name:
            continue
        print(f"{name}: running", file=sys.stderr)
        results[name] = (measure(prepare(), args.repeats), flops)
    if args.json:
        print(json.dumps({name: seconds for name, (seconds, _) in results.items()}))
        return
    width = max([len("workload")] + [len(n) for n in results])
    print(f"{'workload':<{width}}  {'median s':>8}  {'GFLOP/s':>7}")
    for name, (seconds, flops) in results.items():
        rate = f"{flops / seconds / 1e9:.1f}" if flops else "-"
        print(f"{name:<{width}}  {seconds:8.5f}  {rate:>7}")
    print(f"(median of {args.repeats} runs after a warm-up; torch threads: {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
