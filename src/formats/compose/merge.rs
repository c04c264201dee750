//! How `docker compose -f base.yml -f override.yml` merges a service (the
//! compose specification's "Merge" section, as compose-go implements it):
//!
//! - maps merge key by key; a `null` in the override keeps the base's value;
//! - sequences are appended, except `command`, `entrypoint` and
//!   `healthcheck.test`, which the override replaces;
//! - "unique resources" are appended and then deduplicated by their key, the
//!   override's entry taking the base's place: `volumes` (container target),
//!   `ports` (host IP, published, target, protocol), `secrets` and `configs`
//!   (target), `devices`, `expose`, `cap_add`, `cap_drop`, `profiles`, `links`,
//!   `dns*`, `tmpfs`, `extra_hosts`;
//! - `environment`, `labels`, `annotations`, `sysctls`, `build.args`,
//!   `env_file`: merged by key (a map over a map, or lists of `KEY=value`);
//! - `build` as a string is `{context: ...}`; `depends_on` and `networks` as
//!   lists are maps of their names; `logging` merges only when the drivers agree;
//! - `!reset` removes the base's value, `!override` replaces it whole.
//!
//! The same rules apply to `extends:` (the service over the one it extends).

use std::borrow::Cow;

use crate::formats::located::{LEntry, Located};

use super::syntax::{Port, Volume, interpolate};

/// Paths (below a service) whose value the override replaces.
const REPLACED: [&[&str]; 3] = [&["command"], &["entrypoint"], &["healthcheck", "test"]];

/// Sequences deduplicated by key after appending.
const UNIQUE: [&[&str]; 17] = [
    &["volumes"],
    &["ports"],
    &["secrets"],
    &["configs"],
    &["devices"],
    &["expose"],
    &["cap_add"],
    &["cap_drop"],
    &["profiles"],
    &["links"],
    &["dns"],
    &["dns_opt"],
    &["dns_search"],
    &["tmpfs"],
    &["extra_hosts"],
    &["env_file"],
    &["label_file"],
];

/// Collections merged by `KEY` (a map, or a list of `KEY=value`).
const KEYED: [&[&str]; 7] = [
    &["environment"],
    &["labels"],
    &["annotations"],
    &["sysctls"],
    &["build", "args"],
    &["build", "labels"],
    &["deploy", "labels"],
];

/// A service's configuration with `over` merged into `base`.
pub fn merge_service<'a>(base: &Located<'a>, over: &Located<'a>) -> Located<'a> {
    merge(base, over, &mut Vec::new()).unwrap_or_else(|| over.clone())
}

/// `over` merged into `base` at `path`; `None` when `!reset` removes the value.
fn merge<'a>(base: &Located<'a>, over: &Located<'a>, path: &mut Vec<&'a str>) -> Option<Located<'a>> {
    match over.tag() {
        Some("!reset") => return None,
        Some("!override") => return Some(over.clone()),
        _ => {}
    }
    if over.is_null() {
        return Some(base.clone());
    }
    let at = |list: &[&[&str]]| list.contains(&path.as_slice());
    if at(&REPLACED) {
        return Some(over.clone());
    }
    match path.as_slice() {
        ["build"] => return Some(merge_maps(&as_map(base, "context"), &as_map(over, "context"), path)),
        ["depends_on" | "networks"] => return Some(merge_maps(&names_as_map(base), &names_as_map(over), path)),
        ["logging"] => {
            let driver = |l: &Located<'a>| l.get("driver").and_then(|d| d.scalar_text()).map(Cow::into_owned);
            let (b, o) = (driver(base), driver(over));
            if b.is_some() && o.is_some() && b != o {
                return Some(over.clone());
            }
        }
        _ => {}
    }
    if at(&KEYED) {
        return Some(merge_maps(&keyed(base), &keyed(over), path));
    }
    if at(&UNIQUE) && base.is_seq() && over.is_seq() {
        let key: &dyn Fn(&Located<'a>) -> Option<String> = match path.as_slice() {
            ["volumes"] => &|i: &Located<'a>| Volume::parse(i).map(|v| v.target),
            ["ports"] => &|i: &Located<'a>| {
                if i.is_map() {
                    Port::parse(i).map(|p| {
                        format!(
                            "{}:{}:{}",
                            p.host_ip.as_deref().unwrap_or("0.0.0.0"),
                            p.published.as_deref().unwrap_or(""),
                            p.target
                        )
                    })
                } else {
                    i.scalar_text().map(Cow::into_owned)
                }
            },
            ["secrets" | "configs"] => &|i: &Located<'a>| {
                i.scalar_text().map(Cow::into_owned).or_else(|| {
                    i.get("target").or_else(|| i.get("source")).and_then(|t| t.scalar_text()).map(Cow::into_owned)
                })
            },
            ["env_file" | "label_file"] => &|i: &Located<'a>| {
                i.scalar_text().or_else(|| i.get("path").and_then(|p| p.scalar_text())).map(Cow::into_owned)
            },
            _ => &key_of_assignment,
        };
        return Some(unique(base, over, key));
    }
    if base.is_map() && over.is_map() {
        return Some(merge_maps(base, over, path));
    }
    if base.is_seq() && over.is_seq() {
        let mut items = base.items();
        items.extend(over.items());
        return Some(Located::seq(over.file, over.node, items));
    }
    Some(over.clone())
}

fn merge_maps<'a>(base: &Located<'a>, over: &Located<'a>, path: &mut Vec<&'a str>) -> Located<'a> {
    let mut entries = base.entries();
    for o in over.entries() {
        match entries.iter().position(|e| e.key == o.key) {
            Some(i) => {
                path.push(o.key);
                let merged = merge(&entries[i].value, &o.value, path);
                path.pop();
                match merged {
                    Some(value) => entries[i] = LEntry { key: o.key, key_loc: o.key_loc, value },
                    None => {
                        entries.remove(i);
                    }
                }
            }
            None if o.value.tag() == Some("!reset") => {}
            None => entries.push(o),
        }
    }
    Located::map(over.file, over.node, entries)
}

/// Both lists appended, then an item whose key was seen replaces the earlier one in place.
fn unique<'a>(base: &Located<'a>, over: &Located<'a>, key: &dyn Fn(&Located<'a>) -> Option<String>) -> Located<'a> {
    let mut out: Vec<Located<'a>> = Vec::new();
    let mut keys: Vec<Option<String>> = Vec::new();
    for item in base.items().into_iter().chain(over.items()) {
        let k = key(&item);
        if let Some(i) = k.as_ref().and_then(|k| keys.iter().position(|x| x.as_ref() == Some(k))) {
            out[i] = item;
        } else {
            keys.push(k);
            out.push(item);
        }
    }
    Located::seq(over.file, over.node, out)
}

/// A `KEY=value` list as a map keyed by `KEY` (each entry's value is the item
/// itself, its key location the item's: see [`is_list_item`]); a map as it is.
pub fn keyed<'a>(v: &Located<'a>) -> Located<'a> {
    if !v.is_seq() {
        return v.clone();
    }
    let entries = v
        .items()
        .into_iter()
        .filter_map(|i| {
            let text = i.as_str()?;
            let key = text.split_once('=').map_or(text, |(k, _)| k);
            Some(LEntry { key, key_loc: i.loc(), value: i })
        })
        .collect();
    Located::map(v.file, v.node, entries)
}

/// Whether an entry of a [`keyed`] map came from a `KEY=value` list item.
pub fn is_list_item(e: &LEntry<'_>) -> bool {
    e.key_loc == e.value.loc() && e.value.as_str().is_some_and(|t| t.starts_with(e.key))
}

/// `KEY=value` → `KEY` (interpolated when it can be).
fn key_of_assignment(item: &Located<'_>) -> Option<String> {
    let text = item.scalar_text()?;
    let key = text.split_once('=').map_or(&*text, |(k, _)| k);
    Some(interpolate(key).map_or_else(|| key.to_owned(), Cow::into_owned))
}

/// A string value as a one-key map (`build: ./dir` is `{context: ./dir}`).
fn as_map<'a>(v: &Located<'a>, key: &'a str) -> Located<'a> {
    if v.is_map() {
        return v.clone();
    }
    Located::map(v.file, v.node, vec![LEntry { key, key_loc: v.loc(), value: v.clone() }])
}

/// A list of names as a map of them (`depends_on: [db]` is `{db: ~}`).
fn names_as_map<'a>(v: &Located<'a>) -> Located<'a> {
    if !v.is_seq() {
        return v.clone();
    }
    let entries = v
        .items()
        .into_iter()
        .filter_map(|i| i.as_str().map(|name| LEntry { key: name, key_loc: i.loc(), value: i.clone() }))
        .collect();
    Located::map(v.file, v.node, entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(l: &Located<'_>) -> String {
        if l.is_map() {
            let parts: Vec<String> = l.entries().iter().map(|e| format!("{}: {}", e.key, show(&e.value))).collect();
            format!("{{{}}}", parts.join(", "))
        } else if l.is_seq() {
            let parts: Vec<String> = l.items().iter().map(show).collect();
            format!("[{}]", parts.join(", "))
        } else {
            format!("{}@{}", l.scalar_text().unwrap_or(std::borrow::Cow::Borrowed("~")), l.file)
        }
    }

    /// Merges service `s` of `over` into service `s` of `base`.
    fn merged(base: &str, over: &str) -> String {
        let b = crate::parse::yaml::parse(base).expect("base");
        let o = crate::parse::yaml::parse(over).expect("over");
        let bs = Located::new(0, b.root().and_then(|r| r.get("s")).expect("s"));
        let os = Located::new(1, o.root().and_then(|r| r.get("s")).expect("s"));
        show(&merge_service(&bs, &os))
    }

    #[test]
    fn merge_cases() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("map merge", "s: {image: a, restart: always}", "s: {image: b}", "{image: b@1, restart: always@0}"),
            ("null keeps the base", "s: {image: a}", "s: {image: }", "{image: a@0}"),
            ("sequences append", "s: {dns: [1.1.1.1]}", "s: {dns: [8.8.8.8]}", "{dns: [1.1.1.1@0, 8.8.8.8@1]}"),
            ("command replaced", "s: {command: [echo, a]}", "s: {command: [echo, b]}", "{command: [echo@1, b@1]}"),
            (
                "healthcheck test replaced, rest merged",
                "s: {healthcheck: {test: [a], interval: 5s}}",
                "s: {healthcheck: {test: [b]}}",
                "{healthcheck: {test: [b@1], interval: 5s@0}}",
            ),
            (
                "volumes unique by target",
                "s: {volumes: [\".:/app\", \"data:/data\"]}",
                "s: {volumes: [\"code:/app\", \"./logs:/logs\"]}",
                "{volumes: [code:/app@1, data:/data@0, ./logs:/logs@1]}",
            ),
            (
                "volumes long over short",
                "s: {volumes: [\".:/app\"]}",
                "s: {volumes: [{type: volume, source: code, target: /app}]}",
                "{volumes: [{type: volume@1, source: code@1, target: /app@1}]}",
            ),
            (
                "ports appended, equal ones once",
                "s: {ports: [\"5432:5432\"]}",
                "s: {ports: [\"5432:5432\", \"127.0.0.1:8080:80\"]}",
                "{ports: [5432:5432@1, 127.0.0.1:8080:80@1]}",
            ),
            ("ports reset", "s: {ports: [\"5432:5432\"], image: x}", "s: {ports: !reset []}", "{image: x@0}"),
            (
                "ports override",
                "s: {ports: [\"5432:5432\"]}",
                "s: {ports: !override [\"6543:5432\"]}",
                "{ports: [6543:5432@1]}",
            ),
            (
                "environment maps by key",
                "s: {environment: {A: '1', B: '2'}}",
                "s: {environment: {B: '3', C: !reset null}}",
                "{environment: {A: 1@0, B: 3@1}}",
            ),
            (
                "environment lists by key",
                "s: {environment: [A=1, B=2]}",
                "s: {environment: [B=3]}",
                "{environment: {A: A=1@0, B: B=3@1}}",
            ),
            (
                "environment key reset",
                "s: {environment: {A: '1', B: '2'}}",
                "s: {environment: {A: !reset null}}",
                "{environment: {B: 2@0}}",
            ),
            (
                "environment list over map",
                "s: {environment: {A: '1', B: '2'}}",
                "s: {environment: [B=3, C]}",
                "{environment: {A: 1@0, B: B=3@1, C: C@1}}",
            ),
            (
                "build string to map",
                "s: {build: ./app}",
                "s: {build: {target: prod}}",
                "{build: {context: ./app@0, target: prod@1}}",
            ),
            (
                "depends_on list to map",
                "s: {depends_on: [db]}",
                "s: {depends_on: {cache: {condition: service_started}}}",
                "{depends_on: {db: db@0, cache: {condition: service_started@1}}}",
            ),
            (
                "logging with another driver replaced",
                "s: {logging: {driver: json-file, options: {max-size: 1m}}}",
                "s: {logging: {driver: syslog}}",
                "{logging: {driver: syslog@1}}",
            ),
            (
                "logging with the same driver merged",
                "s: {logging: {driver: json-file, options: {max-size: 1m}}}",
                "s: {logging: {options: {max-file: '3'}}}",
                "{logging: {driver: json-file@0, options: {max-size: 1m@0, max-file: 3@1}}}",
            ),
            ("image reset", "s: {image: a, build: .}", "s: {image: !reset null}", "{build: .@0}"),
            ("profiles unique", "s: {profiles: [a, b]}", "s: {profiles: [b, c]}", "{profiles: [a@0, b@1, c@1]}"),
        ];
        for (name, base, over, want) in cases {
            assert_eq!(merged(base, over), *want, "{name}");
        }
    }
}
