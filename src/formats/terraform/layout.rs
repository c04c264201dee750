//! What one Terraform folder cannot tell about itself, gathered by the context
//! pass before units run (`engine/context.rs`): which folders other modules call
//! (local module `source`s: those are shared modules), which folders terragrunt
//! files drive (`terraform { source = "../modules//app" }`), and which folders
//! of tfvars belong to the root above them (`env/prod.tfvars`).
//!
//! Only paths and small facts: module sources are found by a line scan of each
//! `.tf` file's text, terragrunt files are parsed (they are few and small).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::model::Node;
use crate::model::expr::{ExprKind, Part};
use crate::rule::UnitFile;

/// Cross-folder Terraform facts.
#[derive(Debug, Default, Clone)]
pub struct Layout {
    /// A folder → the `.tf` files that call it as a module (local `source`).
    pub called_by: BTreeMap<String, Vec<String>>,
    /// A folder → the terragrunt files whose `terraform { source }` it is.
    pub driven_by: BTreeMap<String, Vec<String>>,
}

/// `source = "./x"` / `"../x"` on a line of its own (module blocks; other
/// `source` attributes with local paths, such as a file provisioner's, only
/// count when they name a folder of `.tf` files).
static MODULE_SOURCE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^[ \t]*source[ \t]*=[ \t]*"(\.\.?/[^"$]*)""#).ok());

/// The local module sources a `.tf` file's text names, as written.
pub fn module_sources(text: &str) -> Vec<&str> {
    let Some(re) = MODULE_SOURCE.as_ref() else { return Vec::new() };
    re.captures_iter(text).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect()
}

/// The folder a local source names, relative to the repository root, from the
/// folder `dir` that names it: `../modules//app?ref=x` → `modules/app`. `None`
/// for remote sources (registry, git, http, s3, ...) and paths leaving the root.
pub fn resolve_source(dir: &str, source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../") || source == "." || source == "..") {
        return None;
    }
    let path = source.split(['?', '#']).next().unwrap_or(source).replace("//", "/");
    let joined = if dir.is_empty() { path } else { format!("{dir}/{path}") };
    crate::repo::normalize(&joined)
}

/// The `terraform { source }` of a terragrunt document, as a path relative to its
/// folder: a string, or a template whose only interpolation is
/// `get_terragrunt_dir()` (the folder itself). `None` when absent or not static.
pub fn terragrunt_source(root: &Node) -> Option<String> {
    let node = root.get_all("terraform").find_map(|t| t.get("source"))?;
    if let Some(s) = node.as_str() {
        return Some(s.to_owned());
    }
    let ExprKind::Template(t) = &node.as_expr()?.ast.kind else { return None };
    let mut out = String::new();
    for part in &t.parts {
        match part {
            Part::Literal(l) => out.push_str(&l.value),
            Part::Interpolation(e)
                if e.call().is_some_and(|(name, args)| name == "get_terragrunt_dir" && args.is_empty()) =>
            {
                out.push('.');
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The terragrunt source of a unit file, if it is a parsed terragrunt file that has one.
pub fn tg_source(f: &UnitFile) -> Option<String> {
    terragrunt_source(f.doc.as_ref()?.root()?)
}

/// Tfvars files that belong to the root in the folder above them: those in a
/// sub-folder that holds tfvars and no `.tf` file, one level below a folder of
/// `.tf` files (`env/prod.tfvars`, `config/production.tfvars.json`). Given every
/// path with its kind, returns (root folder, tfvars path) pairs.
pub fn var_file_folders<'p>(paths: &[(&'p str, crate::discover::FileKind)]) -> Vec<(String, &'p str)> {
    use crate::discover::FileKind;
    let dir = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    let tf_dirs: BTreeSet<String> =
        paths.iter().filter(|(_, k)| *k == FileKind::Terraform).map(|(p, _)| dir(p)).collect();
    let mut out = Vec::new();
    for &(p, k) in paths {
        if k != FileKind::Tfvars {
            continue;
        }
        let d = dir(p);
        if d.is_empty() || tf_dirs.contains(&d) {
            continue;
        }
        let parent = dir(&d);
        if tf_dirs.contains(&parent) {
            out.push((parent, p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;

    #[test]
    fn local_sources() {
        let text = "module \"vpc\" {\n  source = \"../modules/vpc\"\n}\nmodule \"r\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n}\nmodule \"x\" {\n  source = \"./x\"\n}\n  # source = \"../commented\"\n";
        assert_eq!(module_sources(text), ["../modules/vpc", "./x"]);
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("envs/prod", "../../modules/app", Some("modules/app")),
            ("live/prod/app", "../../../modules//app?ref=v1", Some("modules/app")),
            ("", "./modules/x", Some("modules/x")),
            ("a", "../../x", None),
            ("a", "git::https://example.com/x.git//app", None),
            ("a", "terraform-aws-modules/vpc/aws", None),
            ("a", "tfr:///org/x/aws", None),
        ];
        for &(dir, source, want) in cases {
            assert_eq!(resolve_source(dir, source).as_deref(), want, "{dir} {source}");
        }
    }

    #[test]
    fn terragrunt_sources() {
        let cases: &[(&str, Option<&str>)] = &[
            ("terraform {\n  source = \"../../modules//app\"\n}\n", Some("../../modules//app")),
            ("terraform {\n  source = \"${get_terragrunt_dir()}/../../modules/app\"\n}\n", Some("./../../modules/app")),
            ("terraform {\n  source = \"${local.base}/app\"\n}\n", None),
            ("terraform {}\n", None),
            ("inputs = {}\n", None),
        ];
        for &(text, want) in cases {
            let doc = crate::parse::hcl::parse(text).expect("parses");
            assert_eq!(terragrunt_source(&doc.roots[0]).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn var_file_sub_folders() {
        let paths = [
            ("infra/main.tf", FileKind::Terraform),
            ("infra/prod.tfvars", FileKind::Tfvars),
            ("infra/env/prod.tfvars", FileKind::Tfvars),
            ("infra/config/dev.tfvars.json", FileKind::Tfvars),
            ("infra/modules/x/main.tf", FileKind::Terraform),
            ("infra/modules/x/terraform.tfvars", FileKind::Tfvars),
            ("infra/deep/er/prod.tfvars", FileKind::Tfvars),
            ("vars/prod.tfvars", FileKind::Tfvars),
        ];
        let got = var_file_folders(&paths);
        assert_eq!(
            got,
            [("infra".to_owned(), "infra/env/prod.tfvars"), ("infra".to_owned(), "infra/config/dev.tfvars.json")]
        );
    }
}
