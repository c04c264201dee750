//! Dotenv families: the dotenv files of one folder, templates and overlays.

/// Words of a dotenv file name that mark a template (committed, documented,
/// no real values): `.env.example`, `.env.sample`, `app.env.template`,
/// `.env.dist`, `.env.defaults`, `example.env`.
const TEMPLATE_WORDS: [&str; 7] = ["example", "sample", "template", "tmpl", "tpl", "dist", "defaults"];

fn words(path: &str) -> impl Iterator<Item = String> + '_ {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase)
}

/// Whether a dotenv file is a template.
pub fn is_template(path: &str) -> bool {
    words(path).any(|w| TEMPLATE_WORDS.contains(&w.as_str()))
}

/// What a template is a template of: its file name without the template words
/// (`.env.example` → `.env`, `api.env.sample` → `api.env`, `example.env` → `.env`).
pub fn template_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let kept: Vec<&str> =
        name.split('.').filter(|p| !TEMPLATE_WORDS.contains(&p.to_ascii_lowercase().as_str())).collect();
    let stem = kept.join(".");
    if stem.starts_with('.') || stem.contains('.') { stem } else { format!(".{stem}") }
}

/// Whether the dotenv file `path` is an instance of the template with `stem`:
/// its name is the stem, or the stem followed by `.something` (`.env.production`).
pub fn instance_of(path: &str, stem: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == stem || name.strip_prefix(stem).is_some_and(|rest| rest.starts_with('.'))
}

/// Whether a dotenv file is a local overlay (`.env.local`, `.env.production.local`):
/// it overrides a few keys on one machine, so it need not hold every key.
pub fn is_overlay(path: &str) -> bool {
    words(path).last().is_some_and(|w| w == "local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_overlays() {
        // (path, template, overlay)
        let cases: &[(&str, bool, bool)] = &[
            (".env", false, false),
            (".env.example", true, false),
            ("app/.env.sample", true, false),
            ("api.env.template", true, false),
            (".env.dist", true, false),
            (".env.defaults", true, false),
            ("example.env", true, false),
            (".env.production", false, false),
            (".env.local", false, true),
            (".env.production.local", false, true),
            ("substitutions-default.env", false, false),
            (".envs/.production/.django", false, false),
        ];
        for &(path, template, overlay) in cases {
            assert_eq!((is_template(path), is_overlay(path)), (template, overlay), "{path}");
        }
        // (template, its stem, an instance, not an instance)
        let families: &[(&str, &str, &str, &str)] = &[
            (".env.example", ".env", ".env.production", "equals.env"),
            ("api.env.sample", "api.env", "api.env", "web.env"),
            ("example.env", ".env", ".env", "app.env"),
            ("config/.env.dist", ".env", ".env.local", ".envrc"),
        ];
        for &(template, stem, yes, no) in families {
            assert_eq!(template_stem(template), stem, "{template}");
            assert!(instance_of(yes, stem) && !instance_of(no, stem), "{template}");
        }
    }
}
