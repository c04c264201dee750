#!/usr/bin/env python3
"""Generated HCL inputs, judged by Terraform (`terraform fmt`) and by envlint.

Not run in CI: it needs `terraform` on PATH and a release build of envlint.

    cargo build --release
    python3 scripts/hcl_vs_terraform.py [--envlint target/release/envlint] [--cases 1500]

Five generators (fixed seeds, so runs are reproducible) write small `.tf` files where
hcl-edit and Terraform used to disagree: newlines and comments at every token boundary of
expressions (`for`, conditionals, operators, calls, objects), heredoc bodies with lines
that start with the marker, quoted templates with escapes and directives, and bodies of
blocks, attributes and comments. Each file is parsed by `terraform fmt` (Terraform's own
HCL parser) and by `envlint scan --select parse-error`. Files Terraform accepts and envlint
rejects are listed, and make the exit code 1; files envlint accepts and Terraform rejects
are counted (envlint is allowed to be more lenient).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXPRESSIONS = [
    'a = { for k, v in var.m : k => v ? 1 : 2 if v != null }',
    'a = [for v in var.x != null ? var.x : [] : upper(v) if v != ""]',
    'a = { for k, v in var.m : k => v... if v }',
    'a = f(x, y ? 1 : 2, z...)',
    'a = (x + y * 2 == 3 && !z || -w > 1)',
    'a = { b = 1, c = x ? 1 : 2, d = [1, 2] }',
    'a = [for k, v in m : { name = k, value = v }]',
    'a = merge(local.tags, { Name = "x" }, var.extra)',
    'a = { (var.k) = 1, "s" = 2, i = 3, i = 4 }',
    'a = [[1, 2], [3], { x = [4] }]',
    'a = { for s in var.list : s => { id = s, n = length(s) } }',
    'resource "x" "y" { a = 1 }',
    'b "l" { c { d = [1, 2] } }',
    'a = x[*].y',
    'a = x.*.y[0]',
    'a = (x ? y : z)',
    'a = f(g(h(1)), [2], { k = 3 })',
    'a = x != null ? { for k in x : k => 1 } : {}',
    'a = "${x ? "a" : "b"}-${y}"',
    'a = provider::aws::arn_parse(var.arn).region',
]
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\.\.\.|=>|==|!=|&&|\|\||::|>=|<=|[A-Za-z_][A-Za-z0-9_-]*|\d+|\S')
SEPARATORS = [" "] * 12 + ["\n"] * 4 + [" # c\n", " // c\n", " /* c */ ", "\n\n", " /* c\n */ ", "\t"]


def expressions(rng: random.Random, n: int):
    for i in range(n):
        tokens = TOKEN.findall(EXPRESSIONS[i % len(EXPRESSIONS)])
        out = []
        for j, tok in enumerate(tokens):
            out.append(tok)
            if j + 1 < len(tokens):
                out.append(rng.choice(SEPARATORS))
        yield "".join(out) + "\n"


def heredocs(rng: random.Random, n: int):
    lines = ["EOF", 'EOF"', "EOF)", "EOFX", " EOF", "  EOF  ", "EOF # c", "x EOF", "${x}EOF", "${x}",
             "%{ if x }y%{ endif }", "%{ for a in b }\n${a}\n%{ endfor }", "", "  text", "\ttab", '"quoted"',
             "$${literal}", "EO", "}", "{", "EOF\t", "-EOF"]
    for _ in range(n):
        body = [rng.choice(lines) for _ in range(rng.randint(0, 4))]
        end = rng.choice(["EOF", "  EOF", "EOF  ", "EOF)", "EOF ,", "\tEOF"])
        wrap = rng.random() < 0.3
        nl = "\r\n" if rng.random() < 0.2 else "\n"
        head = "a = " + ("jsonencode(" if wrap else "") + ("<<-EOF" if rng.random() < 0.5 else "<<EOF")
        tail = nl + ")" if wrap and not end.endswith(")") else ""
        yield nl.join([head, *body, end]) + tail + nl + ("b = 1" + nl if rng.random() < 0.5 else "")


def templates(rng: random.Random, n: int):
    parts = ["x", " ", "${a}", "${ a }", '${a ? "b" : "c"}', "%{ if a }", "%{ else }", "%{ endif }",
             "%{~ if a ~}", "%{ for v in l }", "%{ endfor }", "$${", "%%{", "$", "%", "\\n", '\\"', "\\\\",
             "\\u00e9", "\\U0001F980", "\\x", "\\$", "{", "}", "~", "é", '${"nested ${b}"}', "${ a\n}",
             "${\na}", "${f(\n1)}"]
    shapes = ['a = "{}"\n', 'a = {{ k = "{}" }}\n', 'a = ["{}"]\n', "a = <<EOT\n{}\nEOT\n",
              'a = {{ "{}" = 1 }}\n', 'b "{}" {{}}\n']
    for _ in range(n):
        inner = "".join(rng.choice(parts) for _ in range(rng.randint(0, 5)))
        yield rng.choice(shapes).replace("{}", inner, 1).replace("{{", "{").replace("}}", "}")


def bodies(rng: random.Random, n: int):
    items = ["a = 1", 'b = "x"', "c {}", "c { }", 'd "l" {\n e = 1\n}', "f { g = 1 }", 'h "x" y { }', "# c",
             "// c", "/* c */", "/* a\nb */", "", "i = [\n1,\n]", "j = {\n k = 1\n}", "l = <<EOT\nz\nEOT",
             "m-n = 1", "o { p = 1, q = 2 }", "r { s { t = 1 } }", "u = 1 # c", "v = 1 /* c */", "w { # c\n}",
             "x {\n} # c", "y = 1;", 'z "a" "b" "c" {}', '"q" = 1', "bl\n{\n}", "é = 1", "_u = 1", "a1 = 1",
             "1a = 1"]
    for _ in range(n):
        text = "".join(rng.choice(items) + rng.choice(["\n", "\n", "\n\n", "\r\n", " ", "\n  ", "\t"])
                       for _ in range(rng.randint(0, 5)))
        if rng.random() < 0.3:
            text = "blk {" + rng.choice(["\n", " "]) + text + "}\n"
        yield text


GENERATORS = {"expressions": expressions, "heredocs": heredocs, "templates": templates, "bodies": bodies}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envlint", default=str(root / "target/release/envlint"))
    ap.add_argument("--cases", type=int, default=1500, help="cases per generator")
    args = ap.parse_args()
    terraform = shutil.which("terraform")
    if not terraform:
        print("terraform is not on PATH", file=sys.stderr)
        return 2
    failures = 0
    with tempfile.TemporaryDirectory(prefix="envlint-hcl-tf-") as tmp:
        for seed, (name, generate) in enumerate(GENERATORS.items()):
            folder = Path(tmp) / name
            folder.mkdir()
            for i, text in enumerate(generate(random.Random(seed), args.cases)):
                (folder / f"c{i:05d}.tf").write_bytes(text.encode())
            env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull)
            tf = subprocess.run([terraform, "fmt", "-no-color", "-list=false", "-write=false", "."],
                                cwd=folder, env=env, capture_output=True, text=True, check=False)
            tf_rejects = set(re.findall(r"on (c\d+\.tf) line", tf.stderr))
            report = Path(tmp) / f"{name}.json"
            subprocess.run([args.envlint, "scan", str(folder), "--format", "json", "-o", str(report),
                            "--fail-on", "never", "--select", "parse-error"], capture_output=True, check=True)
            ours = {f["path"]: f["message"] for f in json.loads(report.read_text())["findings"]}
            must_fix = sorted(set(ours) - tf_rejects)
            lenient = sorted(tf_rejects - set(ours))
            print(f"{name}: {args.cases} files, terraform rejects {len(tf_rejects)}, envlint rejects {len(ours)}, "
                  f"terraform-only accepted {len(must_fix)}, envlint-only accepted {len(lenient)}")
            for path in must_fix:
                print(f"  accepted by terraform, rejected by envlint: {path}: {ours[path]}")
                print("    " + (folder / path).read_text().replace("\n", "\n    "))
            failures += len(must_fix)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
