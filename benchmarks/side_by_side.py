"""DPL and PyTorch on the same workloads, run back to back, for docs/performance.md.

    python3 benchmarks/side_by_side.py --dpl-bench .build/release/dpl-bench \\
        --python /path/to/venv/bin/python [--baseline OLD_DPL_BENCH] [--threads 2] \\
        [--repeats 3] [--rounds 2] [--only NAME ...] [--markdown]

For every workload, each round runs (the baseline DPL binary, when given,) DPL's `dpl-bench`
and then `benchmarks/torch_bench.py`, one process per workload and side, each reporting the
median of `--repeats` timed runs after a warm-up. Interleaving the sides per workload keeps
them under the same machine load; with several rounds the table shows the median over rounds.
The 1-minute load average is read before each workload and printed with it, as is each side's
peak resident set (GNU time's %M, for the whole process including the warm-up).

Achieved GFLOP/s use dpl-bench's FLOP count of the workload (Sources/dpl-bench/WorkloadFlops.swift),
the same count for both sides.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_WORKLOADS = [
    "sgemm_512",
    "conv2d_32to64_28x28_b128_forward",
    "conv2d_32to64_28x28_b128_backward",
    "cnn_small_forward_b128",
    "cnn_small_train_step_b128",
    "unet_tiny_forward_b64",
    "unet_tiny_train_step_b64",
    "pgd10_linf_cnn_b128",
    "purify_ddpm_t100_b64",
    "purify_full_grad_t20_b16",
    "apgd20_eot4_purify_t20_b16",
]


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(command, env=None):
    """Runs `command` under GNU time; returns (stdout, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + command,
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            sys.exit(f"side_by_side.py: {' '.join(command)} failed:\n{result.stderr[-2000:]}")
        peak_kb = int(rss.read().strip().splitlines()[-1])
    return result.stdout, peak_kb / 1024


def run_dpl(binary, name, threads, repeats, warmup):
    """(median seconds, FLOPs or None, peak RSS MB) of one dpl-bench workload."""
    out, rss = timed([binary, "--filter", name, "--threads", str(threads), "--repeats", str(repeats)]
                     + ([] if warmup else ["--warmup", "0"]))
    for line in out.splitlines():
        cells = line.split()
        if cells and cells[0] == name:
            seconds = float(cells[1])
            flops = float(cells[2]) * 1e9 * seconds if cells[2] != "-" else None
            return seconds, flops, rss
    sys.exit(f"side_by_side.py: dpl-bench printed no row for {name}:\n{out}")


def run_torch(python, name, threads, repeats, warmup):
    out, rss = timed([python, os.path.join(HERE, "torch_bench.py"), "--filter", name, "--threads", str(threads),
                      "--repeats", str(repeats), "--warmup", "1" if warmup else "0", "--json"])
    results = json.loads(out)
    if name not in results:
        sys.exit(f"side_by_side.py: torch_bench.py has no workload {name}")
    return results[name], rss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpl-bench", required=True)
    parser.add_argument("--python", required=True, help="a Python with torch installed")
    parser.add_argument("--baseline", help="an older dpl-bench binary to time in the same rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=DEFAULT_WORKLOADS)
    parser.add_argument("--slow-repeats", type=int, default=1,
                        help="repeats for apgd20_eot4_purify_t20_b16 (minutes per run; no warm-up run)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    rows = []
    for name in args.only:
        slow = name.startswith("apgd")
        repeats, warmup = (args.slow_repeats, False) if slow else (args.repeats, True)
        load = load_average()
        base, dpl, torch = [], [], []
        flops = None
        for _ in range(args.rounds):
            # An older binary may not know --warmup 0, and a minute-long workload is not
            # worth timing three ways: the baseline skips the slow workloads.
            if args.baseline and warmup:
                seconds, _, rss = run_dpl(args.baseline, name, args.threads, repeats, warmup)
                base.append((seconds, rss))
            seconds, flops, rss = run_dpl(args.dpl_bench, name, args.threads, repeats, warmup)
            dpl.append((seconds, rss))
            torch.append(run_torch(args.python, name, args.threads, repeats, warmup))
            print(f"{name}: round done, load {load_average():.1f}", file=sys.stderr)
        rows.append((name, flops, load, base, dpl, torch))
        # A partial table survives an interrupted run: each workload's raw numbers as it ends.
        print(f"{name}: flops {flops} load {load} before {base} dpl {dpl} torch {torch}", file=sys.stderr)

    def median(pairs):
        return statistics.median(p[0] for p in pairs) if pairs else None

    def peak(pairs):
        return max(p[1] for p in pairs) if pairs else None

    header = ["workload", "GFLOP", "load"] + (["DPL before s"] if args.baseline else []) + \
             ["DPL s", "PyTorch s", "DPL/PyTorch", "DPL GFLOP/s", "PyTorch GFLOP/s"] + \
             (["RSS before MB"] if args.baseline else []) + ["DPL RSS MB", "PyTorch RSS MB"]
    table = []
    for name, flops, load, base, dpl, torch in rows:
        d, t = median(dpl), median(torch)
        cells = [name, f"{flops / 1e9:.1f}" if flops else "-", f"{load:.1f}"]
        if args.baseline:
            cells.append(f"{median(base):.4g}" if base else "-")
        cells += [f"{d:.4g}", f"{t:.4g}", f"{d / t:.2f}",
                  f"{flops / d / 1e9:.1f}" if flops else "-", f"{flops / t / 1e9:.1f}" if flops else "-"]
        if args.baseline:
            cells.append(f"{peak(base):.0f}" if base else "-")
        cells += [f"{peak(dpl):.0f}", f"{peak(torch):.0f}"]
        table.append(cells)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for cells in table:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
        for cells in [header] + table:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    slow = any(name.startswith("apgd") for name in args.only)
    print(f"(threads {args.threads}, median of {args.repeats} runs per process after a warm-up"
          + (f"; apgd: {args.slow_repeats} run(s), no warm-up" if slow else "")
          + f"; {args.rounds} round(s); load = 1-minute load average before the workload)")


if __name__ == "__main__":
    main()
