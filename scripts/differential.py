#!/usr/bin/env python3
"""Differential test of envlint's parsers against independent ones, over a corpus.

Not run in CI: it needs the corpus (see ../shared/corpus/README.md), Python with
python-hcl2, PyYAML and python-dotenv (`pip install python-hcl2 PyYAML python-dotenv`),
and optionally `terraform` on PATH (its `fmt` parses with Terraform's own HCL parser).

    cargo build --release
    python3 scripts/differential.py [--corpus ../envlint-corpus] [--envlint target/release/envlint]

Every file of a parsed kind in the corpus manifest (`_meta/manifest.tsv`: repo, kind,
bytes, path) is copied into a scratch tree under a name that gives it that kind, and
scanned there with `envlint scan --select parse-error`, so that the parser is judged
whatever name the file has in its repository. The same bytes go to the independent
parsers:

    tf, tfvars, hcl            python-hcl2 (`hcl2.loads`); terraform fmt, when installed
    tfvars.json                json
    compose, gh-workflow,      PyYAML (`yaml.compose_all`: syntax, anchors and tags, no
    gitlab-ci                  construction)
    dotenv                     python-dotenv (`dotenv.parser.parse_stream`; a file is
                               accepted when no statement is an error)

Every file an independent parser accepts must parse in envlint. The report lists, per
kind, the files and the disagreements in both directions, and the files every parser
rejects (really broken ones: templates, deliberate fixtures). Exit 1 when a file that an
independent parser accepts does not parse in envlint.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

STAGED_NAME = {
    "tf": "main.tf",
    "tfvars": "terraform.tfvars",
    "hcl": "terragrunt.hcl",
    "compose": "compose.yaml",
    "gh-workflow": ".github/workflows/workflow.yml",
    "gitlab-ci": ".gitlab-ci.yml",
    "dotenv": ".env",
}


def oracle_kind(kind: str, path: str) -> str:
    if kind == "tfvars" and path.endswith(".json"):
        return "json"
    if kind in ("tf", "tfvars", "hcl"):
        return "hcl"
    if kind in ("compose", "gh-workflow", "gitlab-ci"):
        return "yaml"
    return kind


def judge(job: tuple[str, str]) -> tuple[bool, str]:
    """(accepted, reason) from the independent parser for `kind` ("hcl", "json", ...)."""
    kind, file = job
    data = Path(file).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return False, f"not UTF-8: {e}"
    try:
        if kind == "hcl":
            import hcl2

            hcl2.loads(text)
        elif kind == "json":
            json.loads(text)
        elif kind == "yaml":
            import yaml

            for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
                pass
        elif kind == "dotenv":
            from dotenv.parser import parse_stream

            # Read as python-dotenv reads files (universal newlines).
            stream = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))
            bad = [b.original for b in parse_stream(stream) if b.error]
            if bad:
                return False, f"python-dotenv cannot parse line {bad[0].line}: {bad[0].string.strip()[:60]!r}"
        return True, ""
    except Exception as e:  # noqa: BLE001 - any failure of the oracle is a rejection
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return False, f"{type(e).__name__}: {first[:120]}"


def terraform_verdicts(files: list[tuple[str, Path]]) -> dict[str, str] | None:
    """{original path: error} for HCL files `terraform fmt` rejects; None without terraform."""
    terraform = shutil.which("terraform")
    if not terraform:
        return None
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="envlint-tf-") as tmp:
        names = {}
        for i, (orig, staged) in enumerate(files):
            name = f"f{i:05d}.tf"
            shutil.copyfile(staged, Path(tmp) / name)
            names[name] = orig
        env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull)
        out = subprocess.run(
            [terraform, "fmt", "-no-color", "-list=false", "-write=false", "."],
            cwd=tmp, env=env, capture_output=True, text=True, check=False,
        )
        current = None
        for line in out.stderr.splitlines():
            line = line.strip("│ ").strip()
            if line.startswith("Error: "):
                current = line[len("Error: "):]
            elif line.startswith("on f") and " line " in line:
                name = line[3:].split(" line ")[0]
                if name in names and current:
                    errors.setdefault(names[name], current)
    return errors


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(root.parent.parent / "envlint-corpus"))
    ap.add_argument("--envlint", default=str(root / "target/release/envlint"))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    manifest = corpus / "_meta/manifest.tsv"
    if not manifest.exists():
        print(f"no corpus manifest at {manifest}", file=sys.stderr)
        return 2

    entries = []
    for line in manifest.read_text().splitlines()[1:]:
        repo, kind, _size, path = line.split("\t", 3)
        if kind in STAGED_NAME:
            entries.append((kind, f"{repo}/{path}"))

    with tempfile.TemporaryDirectory(prefix="envlint-diff-") as tmp:
        stage = Path(tmp) / "stage"
        staged: dict[str, tuple[str, str, Path]] = {}  # staged rel path -> (kind, orig, file)
        for i, (kind, orig) in enumerate(entries):
            name = STAGED_NAME[kind]
            if kind == "tfvars" and orig.endswith(".json"):
                name += ".json"
            rel = f"{i:05d}/{name}"
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / orig, dest)
            staged[rel] = (kind, orig, dest)

        report = Path(tmp) / "scan.json"
        subprocess.run(
            [args.envlint, "scan", str(stage), "--format", "json", "-o", str(report),
             "--fail-on", "never", "--select", "parse-error"],
            capture_output=True, check=True,
        )
        envlint_errors = {
            f["path"]: f"{f['span']['start']['line']}:{f['span']['start']['column']} {f['message']}"
            for f in json.loads(report.read_text())["findings"]
        }

        jobs = [(oracle_kind(kind, orig), str(file)) for kind, orig, file in staged.values()]
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            verdicts = list(pool.map(judge, jobs, chunksize=16))

        hcl_files = [(orig, file) for (kind, orig, file), (ok, _) in zip(staged.values(), verdicts)
                     if oracle_kind(kind, orig) == "hcl"]
        tf_errors = terraform_verdicts(hcl_files)

        rows = defaultdict(lambda: defaultdict(int))
        must_fix, lenient, broken = [], [], []
        for (rel, (kind, orig, _)), (ok, reason) in zip(staged.items(), verdicts):
            group = oracle_kind(kind, orig)
            oracles = [("python-hcl2" if group == "hcl" else
                        {"json": "json", "yaml": "PyYAML", "dotenv": "python-dotenv"}[group], ok, reason)]
            if group == "hcl" and tf_errors is not None:
                oracles.append(("terraform", orig not in tf_errors, tf_errors.get(orig, "")))
            ours = rel not in envlint_errors
            accepted_by = [name for name, accepted, _ in oracles if accepted]
            r = rows[kind]
            r["files"] += 1
            r["envlint ok"] += ours
            for name, accepted, _ in oracles:
                r[f"{name} ok"] += accepted
            if accepted_by and not ours:
                r["MUST FIX"] += 1
                must_fix.append((orig, ", ".join(accepted_by), envlint_errors[rel]))
            elif not accepted_by and ours:
                r["envlint only"] += 1
                lenient.append((orig, "; ".join(f"{n}: {why}" for n, _, why in oracles)))
            elif not accepted_by:
                r["all reject"] += 1
                broken.append((orig, envlint_errors[rel], "; ".join(f"{n}: {why}" for n, _, why in oracles)))

    columns = ["files", "envlint ok", "python-hcl2 ok", "terraform ok", "json ok", "PyYAML ok",
               "python-dotenv ok", "MUST FIX", "envlint only", "all reject"]
    used = [c for c in columns if any(c in r for r in rows.values()) or c == "MUST FIX"]
    print("| kind | " + " | ".join(used) + " |")
    print("|---|" + "---|" * len(used))
    for kind in sorted(rows):
        print(f"| {kind} | " + " | ".join(str(rows[kind].get(c, 0)) for c in used) + " |")
    if tf_errors is None:
        print("\n(terraform not on PATH: HCL judged by python-hcl2 only)")
    print(f"\n## Accepted by an independent parser, rejected by envlint ({len(must_fix)})")
    for orig, by, err in must_fix:
        print(f"- {orig} (accepted by {by}): {err}")
    print(f"\n## Rejected by every independent parser, accepted by envlint ({len(lenient)})")
    for orig, why in lenient:
        print(f"- {orig}: {why}")
    print(f"\n## Rejected by every parser ({len(broken)})")
    for orig, ours, why in broken:
        print(f"- {orig}: envlint {ours} | {why}")
    return 1 if must_fix else 0


if __name__ == "__main__":
    sys.exit(main())
