#!/usr/bin/env python3
"""envlint's benchmark: one command, paired and interleaved against ripgrep.

    cargo build --release
    python3 scripts/gen_monorepo.py /tmp/mono20k --files 20000
    python3 scripts/bench.py /tmp/mono20k ../envlint-corpus [--runs 7] [--envlint target/release/envlint]

For each tree, in one run:
- `envlint scan` (every rule, JSON to a file) and ripgrep searching the same
  tree for the secret detectors' keywords (`rg --hidden -F -i -c -e ...`: the
  floor for reading the same files), alternated run by run: medians of wall
  time and CPU time, peak RSS, and the median of the per-pair time ratios;
- envlint's time per phase (`scan --timings`, best run);
- a pre-commit style run: 10 file names of the tree, with full repository context;
- thread scaling, 1..N threads;
and once: `envlint --version` and a scan of an empty folder.

Needs ripgrep (`apt-get install ripgrep`). Prints
Markdown for BENCHMARKS.md. Never run in CI: timings on shared machines are noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(cmd: list[str], cwd: str | None = None) -> tuple[float, float, int, str]:
    """Runs cmd; returns (wall s, CPU s, peak RSS KB, stderr) of that process alone
    (`wait4` gives its own resource usage)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = 0
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, err


def keywords(envlint_dir: str) -> list[str]:
    out = subprocess.run(
        ["cargo", "run", "-q", "--release", "--example", "secrets_bench", "--", "--print-keywords"],
        cwd=envlint_dir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [k for k in out.splitlines() if k]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def files_of(tree: str, n: int) -> list[str]:
    """n files of the tree, spread over its kinds (as pre-commit would pass them)."""
    out = subprocess.run(["git", "ls-files"], cwd=tree, capture_output=True, text=True).stdout.split("\n")
    out = [f for f in out if f]
    if not out:
        out = [os.path.relpath(os.path.join(d, f), tree) for d, _, fs in os.walk(tree) for f in fs]
    out.sort()
    step = max(1, len(out) // n)
    return out[::step][:n]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="+")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--envlint", default="target/release/envlint")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args(argv)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    envlint = os.path.abspath(a.envlint)
    kws = keywords(repo)
    rg_args = ["rg", "--hidden", "--no-messages", "-F", "-i", "-c"]
    for k in kws:
        rg_args += ["-e", k]
    out_json = os.path.join(tempfile.gettempdir(), "envlint-bench.json")

    print(f"envlint {subprocess.run([envlint, '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{len(kws)} keywords for ripgrep, {a.runs} paired runs, {a.threads} threads, load at start "
          f"{os.getloadavg()[0]:.2f}\n")

    # start-up
    with tempfile.TemporaryDirectory() as empty:
        version = [measure([envlint, "--version"])[0] for _ in range(a.runs)]
        empty_scan = [measure([envlint, "scan", empty])[0] for _ in range(a.runs)]
    print("| start-up | median |\n|---|---:|")
    print(f"| `envlint --version` | {median(version) * 1000:.0f} ms |")
    print(f"| `envlint scan` of an empty folder | {median(empty_scan) * 1000:.0f} ms |\n")

    for tree in a.trees:
        tree = os.path.abspath(tree)
        nfiles = sum(len(fs) for d, _, fs in os.walk(tree) if "/.git" not in d)
        scan = [envlint, "scan", "--fail-on", "never", "--format", "json", "-o", out_json, "-j", str(a.threads)]
        rg = [*rg_args, "-j", str(a.threads), tree]
        measure([*scan, tree])  # warm the page cache
        measure(rg)
        e_runs, r_runs, ratios = [], [], []
        for i in range(a.runs):
            pair = [("e", [*scan, tree]), ("r", rg)]
            if i % 2:
                pair.reverse()
            got = {}
            for name, cmd in pair:
                got[name] = measure(cmd)
            e_runs.append(got["e"])
            r_runs.append(got["r"])
            ratios.append(got["e"][0] / max(got["r"][0], 1e-3))
        findings = len(json.load(open(out_json))["findings"])
        print(f"### {tree} ({nfiles} files)\n")
        print("| | wall (median) | CPU (median) | peak RSS (max) |\n|---|---:|---:|---:|")
        print(f"| envlint scan | {median([r[0] for r in e_runs]):.3f} s | {median([r[1] for r in e_runs]):.3f} s | {max(r[2] for r in e_runs) / 1024:.0f} MB |")
        print(f"| ripgrep, keywords | {median([r[0] for r in r_runs]):.3f} s | {median([r[1] for r in r_runs]):.3f} s | {max(r[2] for r in r_runs) / 1024:.0f} MB |")
        print(f"\n**envlint / ripgrep: {median(ratios):.2f}x** (median of {a.runs} paired ratios; "
              f"min {min(ratios):.2f}, max {max(ratios):.2f}); {findings} findings.\n")

        stats = subprocess.run([*scan, "--timings", tree], capture_output=True, text=True).stderr
        block = [l for l in stats.splitlines() if l.startswith("|")]
        if block:
            print("Time per phase (`--timings`; CPU time summed over threads):\n")
            print("\n".join(block) + "\n")

        names = files_of(tree, 10)
        pre = [measure([envlint, "scan", "--fail-on", "never", *names], cwd=tree)[0] for _ in range(a.runs)]
        print(f"Pre-commit style run, 10 file names with full repository context: **{median(pre) * 1000:.0f} ms** (median).\n")

        print("| threads | wall (median) | envlint / ripgrep at the same threads |\n|---:|---:|---:|")
        for t in range(1, a.threads + 1):
            ts = [*scan[:-2], "-j", str(t), tree]
            rgt = [*rg_args, "-j", str(t), tree]
            w = [measure(ts)[0] for _ in range(max(3, a.runs // 2))]
            r = [measure(rgt)[0] for _ in range(max(3, a.runs // 2))]
            print(f"| {t} | {median(w):.3f} s | {median(w) / max(median(r), 1e-3):.2f}x |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
