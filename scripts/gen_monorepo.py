#!/usr/bin/env python3
"""Writes a realistic multi-service, multi-environment monorepo of about N files,
for envlint's benchmark (BENCHMARKS.md, scripts/bench.py).

    python3 scripts/gen_monorepo.py OUT --files 20000 [--seed 1]

What it holds, in the proportions of real infrastructure repositories:
- Terraform (about half the files): shared modules; per-environment root modules
  (`infra/live/<env>/<service>/`) with many resources, `locals`, provider
  `default_tags`, `terraform.tfvars` and `<env>.tfvars`; shared roots with
  `env/<env>.tfvars`; a terragrunt live tree;
- per-service compose files (base, `.staging`, `.prod` overrides), dotenv
  families (`.env.example`, `.env.staging`, `.env.production`), GitHub Actions
  workflows, a GitLab pipeline with local includes and `extends:` templates;
- application source code, tests and docs; a few large text files and binary
  files; a git-ignored `build/` folder full of generated files;
- a git history of three commits (the ignore rule lands in the second).

Deterministic for a given --files and --seed. Nothing here is a real secret: the
few credentials are obviously fake and some findings are planted on purpose
(a prod DEBUG, an unpinned prod image), as real repositories have some.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys

ENVS = ["dev", "staging", "prod"]
RESOURCE_TYPES = [
    ("aws_s3_bucket", 'bucket = "${local.name}-{n}"'),
    ("aws_instance", 'ami           = var.ami\n  instance_type = var.instance_type'),
    ("aws_security_group", 'name        = "${local.name}-sg-{n}"\n  description = "service {n}"\n  vpc_id      = var.vpc_id'),
    ("aws_sqs_queue", 'name = "${local.name}-queue-{n}"\n  visibility_timeout_seconds = 30'),
    ("aws_cloudwatch_log_group", 'name              = "/app/${local.name}/{n}"\n  retention_in_days = 30'),
    ("aws_iam_role", 'name               = "${local.name}-role-{n}"\n  assume_role_policy = data.aws_iam_policy_document.assume.json'),
    ("aws_lambda_function", 'function_name = "${local.name}-fn-{n}"\n  role          = aws_iam_role.r{n}.arn\n  handler       = "main.handler"\n  runtime       = "python3.12"\n  environment {\n    variables = {\n      LOG_LEVEL = local.log_level\n      STAGE     = var.environment\n    }\n  }'),
    ("aws_db_instance", 'identifier          = "${local.name}-db-{n}"\n  engine              = "postgres"\n  instance_class      = "db.t3.micro"\n  storage_encrypted   = true\n  deletion_protection = var.environment == "prod"\n  publicly_accessible = false'),
]
WORDS = (
    "order payment invoice customer account ledger report export import queue worker "
    "session token cache index search profile billing shipment catalog inventory"
).split()


def write(root: str, rel: str, text: str | bytes) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


class Gen:
    def __init__(self, root: str, files: int, seed: int) -> None:
        self.root = root
        self.target = files
        self.count = 0
        self.rng = random.Random(seed)

    def put(self, rel: str, text: str | bytes) -> None:
        write(self.root, rel, text)
        self.count += 1

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    # --- Terraform -------------------------------------------------------
    def resources(self, count: int, offset: int) -> str:
        out = []
        for i in range(count):
            kind, body = RESOURCE_TYPES[(offset + i) % len(RESOURCE_TYPES)]
            n = offset + i
            tags = (
                "\n  tags = merge(local.tags, {\n    component = \"c" + str(n) + "\"\n  })"
                if kind != "aws_iam_role"
                else ""
            )
            out.append(f'resource "{kind}" "r{n}" {{\n  {body.replace("{n}", str(n))}{tags}\n}}\n')
        return "\n".join(out)

    def module(self, name: str) -> None:
        base = f"infra/modules/{name}"
        self.put(f"{base}/main.tf", self.resources(self.rng.randint(6, 14), 0).replace("local.tags", "var.tags"))
        self.put(
            f"{base}/variables.tf",
            "".join(f'variable "{v}" {{\n  type = string\n}}\n\n' for v in ["ami", "instance_type", "vpc_id", "environment"])
            + 'variable "tags" {\n  type    = map(string)\n  default = {}\n}\n',
        )
        self.put(f"{base}/outputs.tf", 'output "id" {\n  value = aws_s3_bucket.r0.id\n}\n')
        self.put(f"{base}/versions.tf", 'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "~> 5.0"\n    }\n  }\n}\n')

    def root_module(self, env: str, service: str, n_resources: int) -> None:
        base = f"infra/live/{env}/{service}"
        log_level = "debug" if env == "dev" else "info"
        self.put(
            f"{base}/main.tf",
            f'provider "aws" {{\n  region = var.region\n  default_tags {{\n    tags = {{\n      env   = var.environment\n      owner = "team-{service}"\n    }}\n  }}\n}}\n\n'
            f'locals {{\n  name      = "{service}-${{var.environment}}"\n  log_level = "{log_level}"\n  tags = {{\n    service = "{service}"\n  }}\n}}\n\n'
            'data "aws_iam_policy_document" "assume" {}\n\n'
            + self.resources(n_resources, self.rng.randint(0, 50))
            + f'\nmodule "shared" {{\n  source      = "../../../modules/{self.rng.choice(self.modules)}"\n  environment = var.environment\n  tags        = local.tags\n}}\n',
        )
        self.put(
            f"{base}/variables.tf",
            "".join(f'variable "{v}" {{\n  type = string\n}}\n\n' for v in ["region", "ami", "instance_type", "vpc_id"])
            + 'variable "environment" {\n  type = string\n}\n',
        )
        self.put(
            f"{base}/backend.tf",
            f'terraform {{\n  backend "s3" {{\n    bucket = "acme-terraform-state-{env}"\n    key    = "{env}/{service}/terraform.tfstate"\n    region = "eu-west-1"\n  }}\n}}\n',
        )
        self.put(f"{base}/{env}.tfvars", f'environment   = "{env}"\nregion        = "eu-west-1"\nami           = "ami-0123456789abcdef0"\ninstance_type = "t3.small"\nvpc_id        = "vpc-0abc{self.rng.randint(1000, 9999)}"\n')

    def shared_root(self, service: str) -> None:
        base = f"infra/shared/{service}"
        self.put(f"{base}/main.tf", 'locals {\n  name = "shared"\n  tags = {}\n  log_level = "info"\n}\n\n' + self.resources(10, 3))
        for env in ENVS:
            self.put(f"{base}/env/{env}.tfvars", f'environment = "{env}"\n')

    def terragrunt(self, env: str, region: str, service: str) -> None:
        self.put(
            f"live/{env}/{region}/{service}/terragrunt.hcl",
            f'include "root" {{\n  path = find_in_parent_folders()\n}}\n\nterraform {{\n  source = "../../../../infra/modules/{self.rng.choice(self.modules)}"\n}}\n\n'
            f'inputs = {{\n  environment   = "{env}"\n  instance_type = "t3.medium"\n  tags = {{\n    service = "{service}"\n    owner   = "team-{service}"\n  }}\n}}\n',
        )

    # --- services --------------------------------------------------------
    def service(self, svc: str, code_files: int) -> None:
        base = f"services/{svc}"
        self.put(f"{base}/docker-compose.yml", f'services:\n  {svc}:\n    build: .\n    image: registry.example.com/{svc}:1.4.2\n    env_file: .env\n    environment:\n      LOG_LEVEL: info\n      DATABASE_URL: postgres://app@db:5432/{svc}\n  db:\n    image: postgres:16.3\n    environment:\n      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}\n')
        self.put(f"{base}/docker-compose.staging.yml", f'services:\n  {svc}:\n    environment:\n      LOG_LEVEL: info\n      API_URL: https://api.staging.example.com\n')
        self.services_done = getattr(self, "services_done", 0) + 1
        image = f"registry.example.com/{svc}:latest" if self.services_done % 10 == 3 else f"registry.example.com/{svc}:1.4.2"
        self.put(f"{base}/docker-compose.prod.yml", f'services:\n  {svc}:\n    image: {image}\n    environment:\n      LOG_LEVEL: warn\n      API_URL: https://api.example.com\n')
        self.put(f"{base}/.env.example", "DATABASE_URL=\nLOG_LEVEL=\nSAFE_MODE=\nAPI_URL=\n")
        self.put(f"{base}/.env.staging", f"DATABASE_URL=postgres://app@db.staging.internal/{svc}\nLOG_LEVEL=info\nSAFE_MODE=true\nAPI_URL=https://api.staging.example.com\n")
        debug = "DEBUG=true\n" if self.services_done % 20 == 7 else ""
        self.put(f"{base}/.env.production", f"DATABASE_URL=postgres://app@db-replica.prod.internal/{svc}\nLOG_LEVEL=warn\nSAFE_MODE=false\nAPI_URL=https://api.example.com\n{debug}")
        lang = self.rng.choice(["py", "ts", "go"])
        for i in range(code_files):
            sub = self.rng.choice(["src", "src/handlers", "src/models", "tests"])
            self.put(f"{base}/{sub}/{self.rng.choice(WORDS)}_{i}.{lang}", self.code(lang, i))

    def code(self, lang: str, i: int) -> str:
        blocks = []
        for j in range(self.rng.randint(20, 90)):
            name = f"{self.rng.choice(WORDS)}_{j}"
            if lang == "py":
                blocks.append(f'def {name}(request, config):\n    """{self.words(12)}."""\n    token = config.get("API_TOKEN")\n    items = [x for x in request.items if x.get("{name}")]\n    return {{"count": len(items), "token_set": token is not None}}\n')
            elif lang == "ts":
                blocks.append(f'export function {name}(req: Request, env: Env): Result {{\n  // {self.words(10)}\n  const password = env.DB_PASSWORD ?? "";\n  return {{ ok: req.items.length > {j}, hasPassword: password.length > 0 }};\n}}\n')
            else:
                blocks.append(f'func {name.title().replace("_", "")}(ctx context.Context, cfg *Config) error {{\n\t// {self.words(10)}\n\tif cfg.Secret == "" {{\n\t\treturn errors.New("missing secret")\n\t}}\n\treturn nil\n}}\n')
        return "\n".join(blocks)

    def ci(self, services: list[str]) -> None:
        for svc in services[: max(5, len(services) // 4)]:
            jobs = "".join(
                f"  deploy-{env}:\n    runs-on: ubuntu-latest\n    environment: {'production' if env == 'prod' else env}\n    needs: test\n    env:\n      LOG_LEVEL: info\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./deploy.sh {svc} {env}\n"
                for env in ENVS
            )
            self.put(f".github/workflows/{svc}.yml", f"name: {svc}\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test SERVICE={svc}\n{jobs}")
        self.put(".gitlab-ci.yml", "stages: [test, deploy]\n\nvariables:\n  LOG_LEVEL: info\n\ninclude:\n  - local: ci/templates.yml\n  - local: ci/deploy.yml\n")
        self.put("ci/templates.yml", ".deploy:\n  stage: deploy\n  image: alpine:3.20\n  variables:\n    DEBUG: \"false\"\n  script:\n    - ./deploy.sh\n")
        jobs = "".join(
            f"deploy-{svc}-{env}:\n  extends: .deploy\n  environment: {'production' if env == 'prod' else env}\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n      when: manual\n\n"
            for svc in services[:20]
            for env in ENVS
        )
        self.put("ci/deploy.yml", jobs)

    def docs(self, n: int) -> None:
        for i in range(n):
            body = "\n\n".join(f"## {self.words(3).title()}\n\n{self.words(120)}." for _ in range(self.rng.randint(6, 30)))
            self.put(f"docs/{self.rng.choice(WORDS)}/{i}.md", f"# {self.words(4).title()}\n\n{body}\n")

    def extras(self) -> None:
        self.put("data/fixtures/large.json", "[" + ",".join(f'{{"id": {i}, "name": "{self.words(3)}"}}' for i in range(60000)) + "]\n")
        self.put("logs/sample.log", "".join(f"2026-11-30T10:00:{i % 60:02d}Z INFO {self.words(8)}\n" for i in range(40000)))
        for i in range(5):
            self.put(f"assets/img/logo{i}.png", bytes([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 13]) + bytes(self.rng.randrange(256) for _ in range(20000)))
        self.put(".gitignore", "build/\nnode_modules/\n.env\n.env.*\n!.env.example\n!.env.staging\n!.env.production\n*.log\n")
        for i in range(max(10, self.target // 50)):
            write(self.root, f"build/gen/{i}.js", "var a=" + str(i) + ";\n" * 50)

    def run(self) -> None:
        n = self.target
        self.modules = [f"m{i}" for i in range(max(3, n // 400))]
        for m in self.modules:
            self.module(m)
        services = [f"{self.rng.choice(WORDS)}-{i}" for i in range(max(5, n // 120))]
        # Terraform: about half the files
        tf_budget = n // 2
        i = 0
        while self.count < tf_budget:
            svc = f"{services[i % len(services)]}-{i // len(services)}"
            for env in ENVS:
                self.root_module(env, svc, self.rng.randint(8, 30))
            if i % 7 == 0:
                self.shared_root(svc)
            if i % 3 == 0:
                for env in ENVS:
                    self.terragrunt(env, "eu-west-1", svc)
            i += 1
        self.ci(services)
        self.extras()
        self.docs(max(5, n // 20))
        per_service = max(1, (n - self.count) // (len(services) * 1) - 6)
        for svc in services:
            if self.count >= n:
                break
            self.service(svc, min(per_service, max(1, n - self.count - 6)))


def git(root: str, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main", *args],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-git", action="store_true", help="skip the git history")
    a = ap.parse_args(argv)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    g = Gen(a.out, a.files, a.seed)
    g.run()
    if not a.no_git:
        git(a.out, "init", "-q")
        git(a.out, "add", "-A", "infra", "live")
        git(a.out, "commit", "-q", "-m", "infrastructure")
        git(a.out, "add", "-A")
        git(a.out, "commit", "-q", "-m", "services, CI, docs")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(a.out) if ".git" not in d for f in fs)
    print(f"{a.out}: {g.count} files (plus {a.files // 50} git-ignored), {size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
