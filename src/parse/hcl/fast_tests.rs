//! Differential tests of the fast HCL parser: for every input it either declines or
//! builds exactly the document of the hcl-edit path (same nodes, values, spans,
//! expression trees and source slices).

use super::{parse_fast, parse_hcl_edit};

/// Checks the fast parser against hcl-edit on `text`; whether the fast parser accepted it.
fn agree(text: &str) -> bool {
    let slow = parse_hcl_edit(text);
    let Some(fast) = parse_fast(text) else { return false };
    match slow {
        Ok(slow) => assert!(fast == slow, "documents differ for {text:?}\nfast: {fast:#?}\nhcl-edit: {slow:#?}"),
        Err(e) => panic!("the fast parser accepts what hcl-edit rejects: {text:?} ({e:?})"),
    }
    true
}

fn accepts(text: &str) {
    assert!(agree(text), "the fast parser declines {text:?}");
}

/// Valid HCL, each construct the fast parser must handle (and build as hcl-edit does).
const ACCEPTED: &[&str] = &[
    // structure, comments, line endings
    "",
    "\n\n",
    "# only\r\n// comments\n/* and\nblocks */\n",
    "a = 1",
    "a = 1\n// no newline at end",
    "a = 1 # c\nb = 2 // d\nc = 3 /* e */\n",
    "a = 1 /* multi\nline */\n",
    "a /* c */ = /* d */ 1\n",
    "\u{feff}a = \"é\"\n",
    "a = 1\r\nb = \"x\"\r\n",
    "resource \"aws_instance\" \"web\" {\n  ami = \"x\"\n}\n",
    "resource x y { }\n",
    "resource x \"y\" {}\n",
    "a { b = 1 }\n",
    "a {}\n",
    "a \"\\u00e9\\\"q\" {}\n",
    "a { # comment\n  b = 1\n}\n",
    "a { /* c */\n  b = 1\n}\n",
    "a {\n  b {\n    c {\n      d = 1\n    }\n  }\n}\n",
    "a {\n  b = 1\n}\na {\n  b = 2\n}\n",
    "a {\n  b = 1\n  c { d = 2 }\n  c { d = 3 }\n}\n",
    "a-b = 1\nc_d-e = 2\n",
    "in = 1\nif = 1\nfor_each = 1\nfor = 1\n",
    "a {\n  a = 1\n}\nb {\n  a = 2\n}\n",
    // literals
    "a = null\nb = true\nc = false\n",
    "a = 1\nb = 1.5\nc = 1e3\nd = 1.5E-3\ne = 0\nf = 007\ng = 18446744073709551616\n",
    "a = -1\nb = - 1\nc = -1.5e+2\nd = -/* c */1\n",
    "a = \"\"\nb = \"x\"\nc = \"\\n\\t\\r\\\\\\\"\"\nd = \"\\u00e9\\U0001F980\"\n",
    "a = \"$${x} %%{y} $$ %% $x %x $$$${z}\"\n",
    "a = \"é 🦀 请\"\n",
    // collections
    "a = []\nb = [1]\nc = [1, 2]\nd = [1, 2,]\ne = [\n  1,\n  2\n]\nf = [ ]\n",
    "a = [\n  1, # one\n  2  // two\n  /* three */\n]\n",
    "a = {}\nb = { x = 1 }\nc = { x = 1, y = 2 }\nd = { x: 1, y: 2 }\n",
    "a = {\n  b = 1,\n  c = 2,\n}\n",
    "a = {\n  b = 1 # c\n  c = 2 // d\n  d = 3 /* e */\n}\n",
    "a = {\r\n  b = 1\r\n  c = 2 # x\r\n}\r\n",
    "a = { x = 1, x = 2 }\n",
    "a = { k: 1, k: 2 }\n",
    "a = { (a) = 1, \"${x}\" = 2, a.b = 3, 1 = 4 }\n",
    "a = { ((a)) = 1, (\"q\") = 2, \"q\" = 3, (local.k) = 4 }\n",
    "a = { if = 1, in = 1, null = 1, true = 2 }\n",
    "a = { \"a.b\" = true, \"é\" = 1 }\n",
    "a = { b = { c = [1, { d = null }] } }\n",
    "a = [[[[1]]], {x = [{}]}]\n",
    // references and traversals
    "a = var.x\nb = local.a.b.c\nc = x[0]\nd = x[\"k\"]\ne = x[*].id\nf = x.*.id\ng = x.0.y\n",
    "a = x[*].y[0]\nb = x.*.y\nc = x [ 0 ]\nd = x. y\ne = x[ * ]\n",
    "a = x[\n  0\n]\nb = x[var.i + 1]\n",
    "a = aws_instance.web[count.index].id\n",
    "a = x.y /* c */ .z\n",
    "a = (x).y\nb = (x)[0]\nc = [1, 2][0]\nd = { a = 1 }.a\ne = \"s\".x\n",
    "a = 1.x\nb = -1.x\n",
    // calls
    "a = f()\nb = f(1)\nc = f(1, 2)\nd = f(1,)\ne = f(x...)\nf = f( )\n",
    "a = f(\n  x,\n  y...\n)\n",
    "a = f(\n  # comment\n  x\n)\n",
    "a = f (1)\n",
    "a = provider::aws::arn_parse(\"x\").region\n",
    "a = provider :: aws :: f (1)\n",
    "a = merge(local.tags, { Name = \"x\" })\n",
    "a = jsonencode({ a = 1 })\n",
    "a = f(g(h(1)))\n",
    "a = true(1)\n",
    "a = f(1).x[0]\n",
    "a = f(1...)\nb = f(x.y...)\nc = f(1, [2]...)\n",
    "a = true.x\nb = null[0]\nc = x.for.if.in\n",
    "a = [for]\nb = {for: 1}\n",
    "a = 1#c\nb = \"x\"//c\n",
    "a = \"100%\"\nb = \"$\"\nc = \"a\\u0000b\"\n",
    "a = <<EOF-X\nx\nEOF-X\n",
    // operators
    "a = 1 + 2\nb = 1 + 2 * 3\nc = (1 + 2) * 3\nd = a - b - c\ne = a / b % c\n",
    "a = x == 1 && y != 2 || !z\n",
    "a = a < b\nb = a <= b\nc = a > b\nd = a >= b\n",
    "a = 1 + 2 < 3 == true && x || y\n",
    "a = x || y && z == 1 + 2 * 3\n",
    "a = -x\nb = !x\nc = !!x\nd = --1\ne = -x.y\nf = - x\n",
    "a = 1 -1\nb = 1 - -1\nc = a-b\n",
    "a = x /* c */ + /* d */ y\n",
    "a = (x\n  + y)\n",
    "a = (x && !\n  y)\n",
    "a = [-\n  x]\n",
    "a = [1]\n  + [2]\n",
    "a = f(1)\n  .x\n",
    // conditionals
    "a = x ? 1 : 2\nb = x ? y ? 1 : 2 : 3\nc = x ? 1 : y ? 2 : 3\n",
    "a = x == 1 ? \"a\" : x == 2 ? \"b\" : \"c\"\n",
    "a = x + 1 ? y - 1 : z * 2\n",
    "a = (\n  x\n  ? 1\n  : 2\n)\n",
    "a = f(x\n  ? 1\n  : 2)\n",
    "a = [x\n  ? 1\n  : 2]\n",
    "a = x ? [\n  1\n] : [\n  2\n]\n",
    // for expressions
    "a = [for s in var.list : upper(s) if s != \"\"]\n",
    "a = { for k, v in var.map : k => v.id }\n",
    "a = { for k, v in var.m : k => v... if v != null }\n",
    "a = { for k, v in var.m :\n  k => v }\n",
    "a = { for k, v in var.m : k => v\n  if v != null }\n",
    "a = { for k, v in var.m : k => v...\n  if v != null }\n",
    "a = {\n  for k, v in y : k => v...\n}\n",
    "a = [for v in var.m\n  : v]\n",
    "a = [\n  for x in y : x\n]\n",
    "a = { for k, v in var.m : k => {\n  a = v\n  b = 2\n} }\n",
    "a = { for k in y : \"${k}\" => k }\n",
    "a = { for k, v in var.m : k => v\n  ? 1\n  : 2 }\n",
    "a = { for k, v in var.m : k => v ?\n  1 :\n  2 }\n",
    "a = [for v in var.x != null\n  ? var.x : [] : v]\n",
    "a = { for k, v in var.m : k\n  => v }\n",
    "a = [for x in y: x]\n",
    "a = [for\tx in y : x]\n",
    "a = [for # c\n x in y : x]\n",
    "a = [for x in [1, 2] : x * 2]\n",
    "a = [for x in y : x].0\n",
    "a = [format(\"x\"), for_each]\n",
    "a = { format = 1 }\n",
    // templates
    "a = \"web-${var.env}\"\nb = \"${a}${b}\"\nc = \"${ x }\"\n",
    "a = \"x ${f(\"y\")} z\"\n",
    "a = \"a  ${~ x ~}  b\"\n",
    "a = \"${~x}\"\nb = \"${x~}\"\nc = \" ${x~} \"\n",
    "a = \"%{ if x }y%{ endif }\"\n",
    "a = \"%{ if x ~}y%{~ else }z%{ endif }\"\n",
    "a = \"%{~ if x }y%{ else ~} z %{ endif ~}  w\"\n",
    "a = \"%{ for x in xs }${x},%{ endfor }\"\n",
    "a = \"%{ for k, v in m }${k}=${v}%{ endfor ~} \"\n",
    "a = \"%{if x}%{if y}a%{endif}%{endif}\"\n",
    "a = \"%{ if x }\\n\"%{ endif }\"\n",
    "a = \"${\n  x\n}\"\n",
    "a = \"${ x\n  ? 1\n  : 2 }\"\n",
    "a = \"${\"${\"x\"}\"}\"\n",
    "a = \"x$${y}${z}\"\n",
    // heredocs
    "a = <<EOT\n#!/bin/sh\necho \"hi\"\nEOT\n",
    "a = <<-EOT\n    {\n      \"Version\": \"2012\"\n    }\n    EOT\n",
    "a = <<-EOT\n    echo ${var.env}\n    EOT\n",
    "a = <<EOT\n%{ for x in var.xs }${x}%{ endfor }\nEOT\n",
    "a = <<EOT\n%{ for x in var.xs }\n${x}\n%{ endfor }\nEOT\n",
    "a = <<-EOT\n  %{ for x in var.xs }\n  ${x}\n  %{ endfor }\n  EOT\n",
    "a = <<EOF\nx\nEOF\"\nEOF\n",
    "a = <<EOF\nEOF)\nEOF\n",
    "a = <<EOF\ny\nEOF # no\nEOF\n",
    "a = <<-EOF\n  x\n  EOF;\n  EOF\n",
    "a = <<EOF\nx\nEOF \t\nb = 1\n",
    "a = <<EOF\nEOF\nb = <<EOF\nx\nEOF\n",
    "a = <<EOF\n\nEOF\n",
    "a = <<EOF\n\n\nx\n\nEOF\n",
    "a = jsonencode(<<EOF\n{}\nEOF\n)\n",
    "a = f(<<EOT\nx\nEOT\n, 2)\n",
    "a = <<-EOF\n  x\n  EOF  \nb = 1\n",
    "a = <<-EOT\n\ttab\n\tEOT\n",
    "a = <<EOT\n${x}EOT\nEOT\n",
    "a = <<EOT\n${x}\nEOT\n",
    "a = <<EOF\r\nx\r\nEOF\r\n",
    "a = <<-EOF\r\n  x\r\n   y ${z}\r\n  EOF\r\n",
    "a = <<-EOF\n  a\n\n    b\n  EOF\n",
    "a = <<-EOF\n  a ${x} b\n    c\n  EOF\n",
    "a = <<-EOF\n  ${x}\n  EOF\n",
    "a = <<-EOF\nx\n  y\nEOF\n",
    "a = <<EOF\n$${x} %%{y} $ %\nEOF\n",
    "a = <<EOF\n  EOF\n",
    "a = <<EOF\nx\n  EOF\n",
    "a = <<EOF\nEOFX\nEOF\n",
    "a = <<EOF\nx\nEOF",
    "a = <<-EOF\n\u{a0} x\n  y\n EOF\n",
    "a = [<<EOF\nx\nEOF\n, 1]\n",
    // non-ASCII outside identifiers
    "a = \"ключ\" # коммент\nb = { \"ключ\" = \"🦀\" }\n",
];

#[test]
fn constructs_parse_as_with_hcl_edit() {
    for text in ACCEPTED {
        accepts(text);
    }
}

/// What the fast parser leaves to hcl-edit: invalid text, and valid text it does not
/// handle (whatever hcl-edit makes of it).
#[test]
fn declines_errors_and_rare_constructs() {
    let cases: &[&str] = &[
        // errors (hcl-edit rejects these)
        "a = ",
        "a =\nb = 1\n",
        "a = \"x",
        "a = 1\nb = \"x\n",
        "a = {b = 1",
        "a = [1, 2",
        "a = f(1",
        "a = \"${x\"",
        "a = x ? 1",
        "a = [for x in y x]",
        "a = 1 b",
        "a = 1\na = 2",
        "a {\n  b = 1\n  b = 2\n}\n",
        "a = <<EOF\nx\nEOF\"\n",
        "a = <<EOF\nEOF # c\n",
        "a = \"x\" /* c */ b = 1",
        "a { b = 1, c = 2 }",
        "a = { b = x\n ? 1 : 2 }",
        "{",
        "@@@",
        "a = \"x\"\n}",
        "\"a\" = 1",
        "a { ",
        "a b c",
        "a = <<EOT\nfoo\n",
        "a = <<EOT",
        "a = 1\r\nb = [\r\n",
        "a = 1e",
        "a = 1.5e+",
        "a = 1e999",
        "a = \"\\q\"",
        "a = \"\\u12\"",
        "a = \"\\uD800\"",
        "a = [,]",
        "a = f(,)",
        "a = f(1,,)",
        "a = f(...)",
        "a = f(x...,)",
        "a = x.",
        "a = x.\"y\"",
        "a = x[*",
        "a = !",
        "a = x & y",
        "a = x !y",
        "a = { a = 1 b = 2 }",
        "a = { for = 1 }",
        "a {\n  b = 1 }\n",
        "a { b }\n",
        "a \"${x}\" {}\n",
        "a = \"%{ foo }\"",
        "a = \"%{ if x }y\"",
        "a = \"%{ if x }y%{ endfor }\"",
        "a = <<EOF\n%{ endif }\nEOF\n",
        "a = 1 /* unterminated",
        "a = x.01",
        "a = <<-EOF x\nEOF\n",
        "a = <<-EOF\n\u{a0} x\n\u{a0} EOF\n",
        "a = x ? 1 : 2 ? 3",
        "a = 1\rb = 2",
        // valid for hcl-edit, left to it
        "é = 1\n",
        "a = résumé\n",
        "résumé = 1\n",
        "a = \"x\ny\"\n",
        "a = [for x inz : x]\n",
        "a = [for x in y : x ifz]\n",
        "a = \"%{ iffy }%{ endif }\"",
        format!("a = {}1{}", "[".repeat(60), "]".repeat(60)).leak(),
        format!("a = 1{}", " + 1".repeat(100)).leak(),
    ];
    for text in cases {
        assert!(!agree(text), "the fast parser accepts {text:?}");
    }
}

/// Valid text that hcl-edit reads in its own way: whether or not the fast parser
/// accepts it, it must not read it differently.
#[test]
fn quirks_agree_when_accepted() {
    let cases: &[&str] = &[
        "a = [1]\n+ 2\n",
        "a = f(x)\n[0]\n",
        "a = {for k, v in m : k => v}\n? 1 : 2\n",
        "a = x\n? 1 : 2\n",
        "a = -[1]\n[0]\n",
        "a = (f\n(1))\n",
        "a = 1.e5\n",
        "a = <<EOF\n%{ if x }\nEOF\n%{ endif }\nEOF\n",
        "a = \"%{ if x }\\n\"%{ endif }\"\n",
        "a = \"%{if x}a%{ else }b%{endif}\"\n",
        "a = x[\"${y}\"]\n",
        "a = <<EOF\n\tEOF\n",
        "a { b = <<EOF\nx\nEOF\n}\n",
        "a { b = <<EOF\nx\nEOF\n }\n",
    ];
    for text in cases {
        agree(text);
    }
}

fn fixture_files(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            fixture_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "tf" || x == "tfvars" || x == "hcl")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            out.push((path, text));
        }
    }
}

/// Every `.tf`, `.tfvars` and `.hcl` file under `fixtures/`.
#[test]
fn fixtures_parse_as_with_hcl_edit() {
    let mut files = Vec::new();
    fixture_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut files);
    assert!(files.len() > 50, "fixtures found: {}", files.len());
    let mut declined = Vec::new();
    for (path, text) in &files {
        if !agree(text) && parse_hcl_edit(text).is_ok() {
            declined.push(path.display().to_string());
        }
    }
    assert!(declined.is_empty(), "valid fixtures the fast parser declines: {declined:?}");
}

/// Random edits of valid HCL (the fuzz harness's mutator, and HCL token insertions):
/// the fast parser declines or agrees.
#[test]
fn mutated_inputs_agree() {
    const TOKENS: &[&str] = &[
        "\n",
        "\r\n",
        " ",
        "\t",
        "#",
        "//",
        "/*",
        "*/",
        "\"",
        "${",
        "%{",
        "}",
        "{",
        "[",
        "]",
        "(",
        ")",
        "~",
        "$${",
        "%%{",
        "\\",
        "\\n",
        "\\u00e9",
        "<<EOF\n",
        "<<-EOF\n",
        "\nEOF\n",
        "\n  EOF\n",
        "EOF",
        "for",
        " for ",
        " in ",
        " if ",
        ":",
        "=>",
        "...",
        "?",
        "=",
        "==",
        "!",
        "-",
        "+",
        "*",
        "/",
        "%",
        "&&",
        "||",
        "<",
        ">=",
        ",",
        ".",
        ".*",
        "[*]",
        ".0",
        "::",
        "x",
        "var.x",
        "f(",
        "1",
        "1.5e3",
        "null",
        "true",
        "é",
        "%{ if x }",
        "%{ else }",
        "%{ endif }",
        "%{ for v in x }",
        "%{ endfor }",
        "a = ",
        "b {\n",
        "\"l\"",
    ];
    let mut seeds: Vec<Vec<u8>> = ACCEPTED.iter().map(|s| s.as_bytes().to_vec()).collect();
    let mut files = Vec::new();
    fixture_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut files);
    // `ENVLINT_HCL_SEED_DIRS=/a:/b` adds every HCL file under those directories.
    for dir in std::env::var("ENVLINT_HCL_SEED_DIRS").unwrap_or_default().split(':').filter(|d| !d.is_empty()) {
        fixture_files(std::path::Path::new(dir), &mut files);
    }
    seeds.extend(files.into_iter().map(|(_, text)| text.into_bytes()));
    let mut rng = crate::fuzz::Rng::new(0x5eed_4c1f);
    let (mut accepted, mut total) = (0, 0);
    // `ENVLINT_HCL_MUTANTS=1000000` for a longer run.
    let iterations = std::env::var("ENVLINT_HCL_MUTANTS").ok().and_then(|n| n.parse().ok()).unwrap_or(6000);
    for i in 0..iterations {
        let mut input = seeds[rng.below(seeds.len())].clone();
        if i % 2 == 0 {
            crate::fuzz::mutate(&mut rng, &mut input, &seeds);
        } else {
            for _ in 0..=rng.below(3) {
                let at = rng.below(input.len() + 1);
                if rng.below(3) == 0 && !input.is_empty() {
                    let end = (at + 1 + rng.below(8)).min(input.len());
                    input.drain(at.min(end)..end);
                } else {
                    let token = TOKENS[rng.below(TOKENS.len())];
                    input.splice(at..at, token.bytes());
                }
            }
        }
        let Ok(text) = String::from_utf8(input) else { continue };
        total += 1;
        if agree(&text) {
            accepted += 1;
        }
    }
    // Most mutants are invalid; enough must be valid for the comparison to mean something.
    assert!(accepted > total / 20, "{accepted} of {total} mutants accepted");
}

/// The comparison over whole trees of real files (not run by default: the trees are
/// not in the repository). `ENVLINT_HCL_DIFF_DIRS=/a:/b cargo test --release
/// all_files_of -- --ignored --nocapture`; `examples/hcl_bench.rs --compare` does the same.
#[test]
#[ignore = "needs ENVLINT_HCL_DIFF_DIRS"]
fn all_files_of_real_trees_agree() {
    let dirs = std::env::var("ENVLINT_HCL_DIFF_DIRS").unwrap_or_default();
    let mut files = Vec::new();
    for dir in dirs.split(':').filter(|d| !d.is_empty()) {
        fixture_files(std::path::Path::new(dir), &mut files);
    }
    let mut declined = 0;
    for (_, text) in &files {
        if !agree(text) && parse_hcl_edit(text).is_ok() {
            declined += 1;
        }
    }
    let accepted = files.len() - declined;
    assert!(accepted * 100 > files.len() * 99, "{accepted} of {} files accepted", files.len());
}

/// Random HCL from a small grammar, with random blanks, newlines and comments between
/// tokens (so that newline rules, which differ by context, are exercised; many outputs
/// are invalid).
struct Generator {
    rng: crate::fuzz::Rng,
    out: String,
}

impl Generator {
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.below(options.len())]
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Space between tokens: usually nothing or a blank, sometimes a newline or comment.
    fn gap(&mut self) {
        let gap = self.pick(&["", "", "", " ", " ", " ", "\n", "\n  ", " /* c */ ", " # c\n", " // c\n", "\r\n", "\t"]);
        self.push(gap);
    }

    fn literal(&mut self) {
        let lit = self.pick(&[
            "1",
            "0",
            "42",
            "1.5",
            "1e3",
            "2.5E-2",
            "-1",
            "- 2",
            "null",
            "true",
            "false",
            "\"\"",
            "\"x\"",
            "\"a b\"",
            "\"\\n\\\"\\u00e9\"",
            "\"$${x}\"",
            "\"%%{y}\"",
            "\"é\"",
            "x",
            "var.x",
            "local.a.b",
            "each.key",
            "count.index",
        ]);
        self.push(lit);
    }

    fn expr(&mut self, depth: u32) {
        if depth > 4 {
            self.literal();
            return;
        }
        let d = depth + 1;
        match self.rng.below(16) {
            0..=2 => self.literal(),
            3 => {
                self.expr(d);
                let op = self.pick(&[".y", "[0]", "[*]", ".*", ".0", "[\"k\"]", ".*.z", "[*].id", "[var.i]"]);
                self.gap();
                self.push(op);
            }
            4 => {
                let name = self.pick(&["f", "merge", "provider::p::f", "jsonencode", "lookup"]);
                self.push(name);
                self.push("(");
                let n = self.rng.below(4);
                for i in 0..n {
                    self.gap();
                    self.expr(d);
                    self.gap();
                    if i + 1 < n {
                        self.push(",");
                    }
                }
                let tail = self.pick(&["", "", ",", "..."]);
                self.push(if n == 0 { "" } else { tail });
                self.push(")");
            }
            5 => {
                self.push("[");
                let n = self.rng.below(4);
                for i in 0..n {
                    self.gap();
                    self.expr(d);
                    self.gap();
                    if i + 1 < n || self.rng.below(3) == 0 {
                        self.push(",");
                    }
                }
                self.gap();
                self.push("]");
            }
            6 => {
                self.push("{");
                let n = self.rng.below(4);
                for _ in 0..n {
                    self.gap();
                    let key = self.pick(&["a", "b", "\"k\"", "(var.k)", "a.b", "1", "\"${x}\"", "for_each", "a"]);
                    self.push(key);
                    let assign = self.pick(&[" = ", "=", ": ", " : "]);
                    self.push(assign);
                    self.expr(d);
                    let sep = self.pick(&["\n", ",", ", ", " # c\n", "\r\n", " "]);
                    self.push(sep);
                }
                self.gap();
                self.push("}");
            }
            7 => {
                self.expr(d);
                self.gap();
                let op = self.pick(&["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"]);
                self.push(op);
                self.gap();
                self.expr(d);
            }
            8 => {
                let op = self.pick(&["-", "!", "!", "-"]);
                self.push(op);
                self.gap();
                self.expr(d);
            }
            9 => {
                self.expr(d);
                self.gap();
                self.push("?");
                self.gap();
                self.expr(d);
                self.gap();
                self.push(":");
                self.gap();
                self.expr(d);
            }
            10 => {
                self.push("(");
                self.gap();
                self.expr(d);
                self.gap();
                self.push(")");
            }
            11 => self.template(d),
            12 => {
                let start = self.pick(&["<<EOF\n", "<<-EOF\n", "<<EOT\r\n", "<<-EOT\n"]);
                self.push(start);
                let delim = if start.contains("EOF") { "EOF" } else { "EOT" };
                for _ in 0..self.rng.below(4) {
                    let indent = self.pick(&["", "  ", "    ", "\t"]);
                    self.push(indent);
                    match self.rng.below(6) {
                        0 => {
                            self.push("${");
                            self.expr(d);
                            self.push("}");
                        }
                        1 => self.push("%{ if x }y%{ endif }"),
                        2 => self.push("%{ for v in xs }\n${v}\n%{ endfor ~}"),
                        3 => self.push("$${not} %%{this}"),
                        _ => {
                            let text = self.pick(&["text", "", "{ \"json\": 1 }", "EOFX", "EOF\"", "é"]);
                            self.push(text);
                        }
                    }
                    let le = self.pick(&["\n", "\n", "\r\n"]);
                    self.push(le);
                }
                let indent = self.pick(&["", "  ", ""]);
                self.push(indent);
                self.push(delim);
                let after = self.pick(&["\n", "", " \n"]);
                self.push(after);
            }
            13 => {
                let open = self.pick(&["[for ", "{for ", "[ for ", "{\n  for "]);
                self.push(open);
                let vars = self.pick(&["x", "k, v", "k,v", "i , x"]);
                self.push(vars);
                self.push(" in ");
                self.expr(d);
                self.gap();
                self.push(":");
                self.gap();
                if open.starts_with('{') {
                    self.expr(d);
                    self.gap();
                    self.push("=>");
                    self.gap();
                    self.expr(d);
                    if self.rng.below(3) == 0 {
                        self.push("...");
                    }
                } else {
                    self.expr(d);
                }
                if self.rng.below(3) == 0 {
                    self.gap();
                    self.push(" if ");
                    self.expr(d);
                }
                self.gap();
                self.push(if open.starts_with('{') { "}" } else { "]" });
            }
            _ => {
                let s = self.pick(&["var.x", "x", "f(1)", "[1, 2]", "{ a = 1 }"]);
                self.push(s);
            }
        }
    }

    fn template(&mut self, d: u32) {
        self.push("\"");
        for _ in 0..self.rng.below(4) {
            match self.rng.below(7) {
                0 | 1 => {
                    let strip = self.pick(&["${", "${~", "${ "]);
                    self.push(strip);
                    self.expr(d);
                    let end = self.pick(&["}", "~}", " }"]);
                    self.push(end);
                }
                2 => {
                    let open = self.pick(&["%{ if ", "%{~ if ", "%{if "]);
                    self.push(open);
                    self.expr(d);
                    let body = self.pick(&[" }a%{ endif }", " ~} a %{ else }b%{ endif ~}", "}%{ endif }"]);
                    self.push(body);
                }
                3 => {
                    self.push("%{ for v in ");
                    self.expr(d);
                    self.push(" }${v}, %{ endfor }");
                }
                _ => {
                    let text = self.pick(&["text", " ", "$${x}", "\\n", "\\\"", "é", "$", "%"]);
                    self.push(text);
                }
            }
        }
        self.push("\"");
    }

    fn body(&mut self, depth: u32) {
        for _ in 0..=self.rng.below(4) {
            match self.rng.below(5) {
                0 if depth < 3 => {
                    let head = self.pick(&["resource \"t\" \"n\" ", "locals ", "b x ", "dynamic \"d\" "]);
                    self.push(head);
                    if self.rng.below(4) == 0 {
                        self.push("{ a = ");
                        self.expr(0);
                        self.push(" }\n");
                    } else {
                        self.push("{\n");
                        self.body(depth + 1);
                        self.push("}\n");
                    }
                }
                _ => {
                    let name = self.pick(&["a", "b", "c-d", "e_f", "tags", "a"]);
                    self.push(name);
                    let assign = self.pick(&[" = ", "=", " =  "]);
                    self.push(assign);
                    self.expr(0);
                    let end = self.pick(&["\n", "\n", " # c\n", " /* c */\n", "\r\n", "\n\n"]);
                    self.push(end);
                }
            }
        }
    }
}

/// Random HCL from a small grammar: the fast parser declines or agrees.
#[test]
fn generated_inputs_agree() {
    // `ENVLINT_HCL_GENERATED=1000000` for a longer run.
    let iterations = std::env::var("ENVLINT_HCL_GENERATED").ok().and_then(|n| n.parse().ok()).unwrap_or(4000);
    let mut g = Generator { rng: crate::fuzz::Rng::new(0x00c0_ffee), out: String::new() };
    let (mut accepted, mut valid) = (0, 0);
    for _ in 0..iterations {
        g.out.clear();
        g.body(0);
        let text = std::mem::take(&mut g.out);
        if agree(&text) {
            accepted += 1;
        }
        if parse_hcl_edit(&text).is_ok() {
            valid += 1;
        }
        g.out = text;
    }
    assert!(accepted * 10 > valid * 9, "{accepted} of {valid} valid inputs accepted");
}

#[test]
fn many_attributes_and_repeats() {
    let many: String =
        (0..40).flat_map(|i| ["a", &i.to_string(), " = ", &i.to_string(), "\n"].map(str::to_owned)).collect();
    accepts(&many);
    for repeated in [3, 15, 16, 17, 39] {
        let text = format!("{many}a{repeated} = 0\n");
        assert!(!agree(&text), "a repeated attribute is an error: a{repeated}");
        let block = format!("b {{\n{text}}}\n");
        assert!(!agree(&block), "a repeated attribute in a block is an error: a{repeated}");
    }
    // The same name in different bodies, and as a block type, is fine.
    accepts(&format!("{many}b {{\n{many}}}\na0 {{}}\n"));
}

#[test]
fn nesting_within_and_past_the_limit() {
    for depth in [1, 10, 30] {
        accepts(&format!("a = {}1{}\n", "[".repeat(depth), "]".repeat(depth)));
        accepts(&format!("a = {}1{}\n", "f(".repeat(depth), ")".repeat(depth)));
        accepts(&format!("a = {}1{}\n", "{ k = ".repeat(depth), " }".repeat(depth)));
        accepts(&format!("{}a = 1\n{}", "b {\n".repeat(depth), "}\n".repeat(depth)));
    }
    // Past the fast parser's limit but within hcl-edit's: hcl-edit parses it.
    let deep = format!("a = {}1{}\n", "[".repeat(50), "]".repeat(50));
    assert!(parse_fast(&deep).is_none());
    assert!(super::parse(&deep).is_ok());
    accepts(&format!("a = 1{}\n", " + 1".repeat(60)));
}

#[test]
fn parse_falls_back_to_hcl_edit() {
    // Declined by the fast parser, valid for hcl-edit: `parse` gives hcl-edit's document.
    for text in ["résumé = 1\n", "a = \"x\ny\"\n", "a = [for x inz : x]\n"] {
        assert!(parse_fast(text).is_none(), "{text:?}");
        assert_eq!(super::parse(text), parse_hcl_edit(text), "{text:?}");
        assert!(super::parse(text).is_ok(), "{text:?}");
    }
    // Errors come from hcl-edit, with its positions and messages.
    for text in ["a = ", "a = [1, 2", "a = 1\na = 2", "@@@"] {
        assert_eq!(super::parse(text), parse_hcl_edit(text), "{text:?}");
    }
}
