#!/usr/bin/env bash
# End to end: the real pre-commit (from PyPI, pinned) drives this repository's hooks
# (.pre-commit-hooks.yaml) with `pre-commit try-repo`, in a throwaway git repository,
# on staged files, as a developer's commit would.
#
#   scripts/pre-commit-e2e.sh          the `envlint-system` hook, with target/release/envlint
#                                      on PATH (built if missing); what .ci/run runs
#   scripts/pre-commit-e2e.sh --rust   also the default `envlint` hook (language: rust), at
#                                      this repository's HEAD: pre-commit builds envlint with
#                                      `cargo install` once (minutes), then runs the same cases
#
# Needs python3 (venv, pip) and git. pre-commit goes into target/pre-commit-venv, its
# clones and environments into a temporary folder: nothing is installed system-wide.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PRE_COMMIT_VERSION=4.7.0
with_rust=false
[ "${1:-}" = "--rust" ] && with_rust=true

venv="$repo/target/pre-commit-venv"
if ! "$venv/bin/pre-commit" --version 2>/dev/null | grep -qx "pre-commit $PRE_COMMIT_VERSION"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
fi
bin="$repo/target/release/envlint"
[ -x "$bin" ] || cargo build --release --manifest-path "$repo/Cargo.toml"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/envlint"
export PATH="$work/bin:$venv/bin:$PATH"
export PRE_COMMIT_HOME="$work/pre-commit-home"
# try-repo commits this repository's uncommitted changes into a shadow clone: it needs an identity
export GIT_AUTHOR_NAME=envlint GIT_AUTHOR_EMAIL=envlint@example.invalid
export GIT_COMMITTER_NAME=envlint GIT_COMMITTER_EMAIL=envlint@example.invalid
unset NO_COLOR FORCE_COLOR

r="$work/project"
mkdir -p "$r"
git -C "$r" init -q -b main
printf '.env\n.env.*\n!.env.example\n' > "$r/.gitignore"
printf 'vendor/\n' > "$r/.envlintignore"
printf '# project\n' > "$r/README.md"
mkdir -p "$r/infra/payments"
printf 'region = "eu-west-1"\n' > "$r/infra/payments/prod.tfvars"
git -C "$r" add -A
git -C "$r" commit -q -m initial

# A GitHub token (valid checksum, not a real one), split so that this script holds none.
token="ghp_U8JZpDE0iGXlD6gN""CFbaEPFjbD0kH814Un4I"
failures=0

# How a case runs its hook: `try-repo` (this repository as it is, uncommitted changes
# included; a new shadow clone each time, so only for hooks that build nothing), or
# `run` with the project's .pre-commit-config.yaml (one environment, built once).
mode=try-repo

# case NAME HOOK WANT(pass|fail) EXPECTED-TEXT FILE...: stage FILE..., run the hook, check.
case_() {
  local name=$1 hook=$2 want=$3 expect=$4
  shift 4
  git -C "$r" add -f -- "$@"
  local out code start=$SECONDS
  set +e
  if [ "$mode" = try-repo ]; then
    out=$(cd "$r" && pre-commit try-repo "$repo" "$hook" 2>&1)
  else
    out=$(cd "$r" && pre-commit run "$hook" 2>&1)
  fi
  code=$?
  set -e
  local ok=true
  if [ "$want" = pass ]; then
    [ "$code" -eq 0 ] || ok=false
    # the hook must have run on the files, not been skipped for want of a match
    grep -q 'Passed' <<<"$out" || ok=false
  else
    [ "$code" -eq 1 ] || ok=false
    grep -q 'Failed' <<<"$out" || ok=false
  fi
  grep -q -- "$expect" <<<"$out" || ok=false
  if grep -q "$token" <<<"$out"; then
    echo "  the secret appeared in the output" >&2
    ok=false
  fi
  if $ok; then
    echo "ok    $hook: $name ($((SECONDS - start)) s)"
  else
    echo "FAIL  $hook: $name: expected $want with \`$expect\`, got exit $code:" >&2
    sed 's/^/    /' <<<"$out" >&2
    failures=$((failures + 1))
  fi
  git -C "$r" reset -q
  git -C "$r" clean -qfdx -e .gitignore -e .envlintignore -e .pre-commit-config.yaml
}

run_cases() {
  local hook=$1
  mkdir -p "$r/services/api"
  printf 'GITHUB_TOKEN=%s\n' "$token" > "$r/services/api/.env.production"
  case_ "a staged prod .env with a secret fails" "$hook" fail committed-secret services/api/.env.production

  printf 'import os\n\nTOKEN = "%s"\n' "$token" > "$r/app.py"
  case_ "a token in app.py fails" "$hook" fail committed-secret app.py

  printf '# project\n\nRun `make`.\n' > "$r/README.md"
  mkdir -p "$r/services/api"
  printf 'GITHUB_TOKEN=\nDEBUG=false\n' > "$r/services/api/.env.example"
  case_ "a clean change passes" "$hook" pass envlint README.md services/api/.env.example
  git -C "$r" checkout -q -- README.md

  mkdir -p "$r/vendor"
  printf 'TOKEN = "%s"\n' "$token" > "$r/vendor/lib.py"
  printf 'print("hi")\n' > "$r/main.py"
  case_ ".envlintignore applies to staged files" "$hook" pass envlint vendor/lib.py main.py

  # the environment comes from the committed tfvars beside the staged file
  printf 'resource "aws_lambda_function" "api" {\n  environment {\n    variables = {\n      DEBUG = "true"\n    }\n  }\n}\n' \
    > "$r/infra/payments/main.tf"
  case_ "a staged file is judged with its repository context" "$hook" fail prod-debug-enabled infra/payments/main.tf
}

start=$SECONDS
echo "pre-commit $PRE_COMMIT_VERSION, try-repo $repo"
run_cases envlint-system
if $with_rust; then
  # language: rust: pre-commit runs `cargo install --bins --root <env> --path .` in its
  # clone of this repository at HEAD, with no envlint on PATH.
  rm "$work/bin/envlint"
  printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: envlint\n' \
    "$repo" "$(git -C "$repo" rev-parse HEAD)" > "$r/.pre-commit-config.yaml"
  git -C "$r" add .pre-commit-config.yaml
  git -C "$r" commit -q -m "pre-commit config"
  build_start=$SECONDS
  (cd "$r" && pre-commit install-hooks)
  echo "the language: rust hook built in $((SECONDS - build_start)) s"
  mode=run
  run_cases envlint
fi
echo "pre-commit end-to-end: $((SECONDS - start)) s, $failures failed"
[ "$failures" -eq 0 ]
