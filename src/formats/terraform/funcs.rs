//! Terraform's built-in functions, as far as tag and settings code uses them.
//!
//! A function this module does not implement, and every function whose result
//! depends on the machine or the clock (`file`, `templatefile`, `timestamp`,
//! `uuid`, ...), is unknown. An argument that is wholly unknown makes the result
//! unknown; values inside collections may be unknown and are carried along.
//! `try` and `can` are evaluated by the evaluator (their arguments are lazy).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::rule::Loc;

use super::eval::{Fail, MAX_ITEMS, MAX_STRING, equal, to_number};
use super::value::{Kind, Val, number_text};

/// Calls function `name`; `at` is where the call is written (the origin of values
/// it builds from several inputs).
pub fn call(name: &str, args: Vec<Val>, at: Option<Loc>) -> Result<Val, Fail> {
    if args.iter().any(Val::is_unknown) {
        return Ok(Val::unknown());
    }
    let made = |kind: Kind| Ok(Val::new(kind, at));
    match name {
        "merge" => {
            let mut map = BTreeMap::new();
            for a in args {
                match a.kind {
                    Kind::Map(m) => map.extend(m),
                    Kind::Null => {}
                    _ => return Err(Fail::Error),
                }
            }
            made(Kind::Map(map))
        }
        "lookup" => {
            let mut it = args.into_iter();
            let (Some(map), Some(key)) = (it.next(), it.next()) else { return Err(Fail::Error) };
            let default = it.next();
            let Kind::Map(mut m) = map.kind else { return Err(Fail::Error) };
            let key = key.to_text().ok_or(Fail::Error)?;
            m.remove(&key).or(default).ok_or(Fail::Error)
        }
        "concat" => {
            let mut list = Vec::new();
            for a in args {
                match a.kind {
                    Kind::List(items) => list.extend(items),
                    _ => return Err(Fail::Error),
                }
            }
            items_ok(list.len())?;
            made(Kind::List(list))
        }
        "coalesce" => args.into_iter().find(|a| !a.is_null() && a.as_str() != Some("")).ok_or(Fail::Error),
        "coalescelist" => args.into_iter().find(|a| a.as_list().is_some_and(|l| !l.is_empty())).ok_or(Fail::Error),
        "format" => {
            let mut it = args.into_iter();
            let fmt = it.next().ok_or(Fail::Error)?;
            let rest: Vec<Val> = it.collect();
            let origin = match (fmt.as_str(), rest.as_slice()) {
                (Some("%s"), [only]) => only.origin,
                _ => at,
            };
            match format(fmt.as_str().ok_or(Fail::Error)?, &rest)? {
                Some(s) => Ok(Val::string(s, origin)),
                None => Ok(Val::unknown()),
            }
        }
        "lower" | "upper" | "title" | "trimspace" | "chomp" | "tostring" => {
            let [a] = one(args)?;
            let text = a.to_text().ok_or(Fail::Error)?;
            let out = match name {
                "lower" => text.to_lowercase(),
                "upper" => text.to_uppercase(),
                "title" => title(&text),
                "trimspace" => text.trim().to_owned(),
                "chomp" => text.trim_end_matches(['\n', '\r']).to_owned(),
                _ => text,
            };
            Ok(Val::string(out, a.origin))
        }
        "replace" => {
            let [s, sub, rep] = three(args)?;
            let (text, sub, rep) = (text(&s)?, text(&sub)?, text(&rep)?);
            let out = match sub.strip_prefix('/').and_then(|r| r.strip_suffix('/')).filter(|r| !r.is_empty()) {
                Some(pattern) => {
                    let re = regex::RegexBuilder::new(pattern).size_limit(1 << 20).build().map_err(|_| Fail::Error)?;
                    re.replace_all(&text, rep.as_str()).into_owned()
                }
                None if sub.is_empty() => return Err(Fail::Error),
                None => text.replace(&sub, &rep),
            };
            string_ok(&out)?;
            Ok(Val::string(out, s.origin))
        }
        "trim" | "trimprefix" | "trimsuffix" => {
            let [s, cut] = two(args)?;
            let (t, c) = (text(&s)?, text(&cut)?);
            let out = match name {
                "trim" => t.trim_matches(|ch| c.contains(ch)).to_owned(),
                "trimprefix" => t.strip_prefix(c.as_str()).unwrap_or(&t).to_owned(),
                _ => t.strip_suffix(c.as_str()).unwrap_or(&t).to_owned(),
            };
            Ok(Val::string(out, s.origin))
        }
        "substr" => {
            let [s, offset, length] = three(args)?;
            let chars: Vec<char> = text(&s)?.chars().collect();
            let off = to_number(&offset)?;
            let count = chars.len() as f64;
            let start = if off < 0.0 { (count + off).max(0.0) } else { off.min(count) } as usize;
            let len = to_number(&length)?;
            let end = if len < 0.0 { chars.len() } else { (start as f64 + len).min(count) as usize };
            Ok(Val::string(chars[start..end].iter().collect::<String>(), s.origin))
        }
        "startswith" | "endswith" => {
            let [s, p] = two(args)?;
            let (t, p) = (text(&s)?, text(&p)?);
            made(Kind::Bool(if name == "startswith" { t.starts_with(&p) } else { t.ends_with(&p) }))
        }
        "join" => {
            let [sep, list] = two(args)?;
            let sep = text(&sep)?;
            let items = list.as_list().ok_or(Fail::Error)?;
            if items.iter().any(Val::is_unknown) {
                return Ok(Val::unknown());
            }
            let parts: Vec<String> = items.iter().map(|i| i.to_text().ok_or(Fail::Error)).collect::<Result<_, _>>()?;
            let out = parts.join(&sep);
            string_ok(&out)?;
            made(Kind::String(out))
        }
        "split" => {
            let [sep, s] = two(args)?;
            let (sep, t) = (text(&sep)?, text(&s)?);
            if sep.is_empty() {
                return Err(Fail::Error);
            }
            let list: Vec<Val> = t.split(sep.as_str()).map(|p| Val::string(p, s.origin)).collect();
            items_ok(list.len())?;
            made(Kind::List(list))
        }
        "tonumber" => {
            let [a] = one(args)?;
            if a.is_null() {
                return Ok(a);
            }
            Ok(Val::new(Kind::Number(to_number(&a)?), a.origin))
        }
        "tobool" => {
            let [a] = one(args)?;
            if a.is_null() {
                return Ok(a);
            }
            Ok(Val::new(Kind::Bool(a.as_bool().ok_or(Fail::Error)?), a.origin))
        }
        "tomap" => {
            let [a] = one(args)?;
            match a.kind {
                Kind::Map(_) | Kind::Null => Ok(a),
                _ => Err(Fail::Error),
            }
        }
        "tolist" | "toset" => {
            let [a] = one(args)?;
            match a.kind {
                Kind::List(items) if name == "toset" => {
                    let mut out: Vec<Val> = Vec::new();
                    for i in items {
                        if !out.iter().any(|o| equal(o, &i) == Some(true)) {
                            out.push(i);
                        }
                    }
                    Ok(Val::new(Kind::List(out), a.origin))
                }
                Kind::List(_) | Kind::Null => Ok(a),
                _ => Err(Fail::Error),
            }
        }
        "length" => {
            let [a] = one(args)?;
            let n = match &a.kind {
                Kind::List(l) => l.len(),
                Kind::Map(m) => m.len(),
                Kind::String(s) => s.chars().count(),
                _ => return Err(Fail::Error),
            };
            made(Kind::Number(n as f64))
        }
        "keys" | "values" => {
            let [a] = one(args)?;
            let Kind::Map(m) = a.kind else { return Err(Fail::Error) };
            let list = if name == "keys" {
                m.into_keys().map(|k| Val::string(k, at)).collect()
            } else {
                m.into_values().collect()
            };
            made(Kind::List(list))
        }
        "contains" => {
            let [list, v] = two(args)?;
            let items = list.as_list().ok_or(Fail::Error)?;
            let mut unknown = false;
            for i in items {
                match equal(i, &v) {
                    Some(true) => return made(Kind::Bool(true)),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown { Ok(Val::unknown()) } else { made(Kind::Bool(false)) }
        }
        "element" => {
            let [list, i] = two(args)?;
            let Kind::List(items) = list.kind else { return Err(Fail::Error) };
            let n = to_number(&i)?;
            if items.is_empty() || n < 0.0 {
                return Err(Fail::Error);
            }
            let len = items.len();
            items.into_iter().nth(n as usize % len).ok_or(Fail::Error)
        }
        "compact" => {
            let [list] = one(args)?;
            let Kind::List(items) = list.kind else { return Err(Fail::Error) };
            let kept = items.into_iter().filter(|i| !i.is_null() && i.as_str() != Some("")).collect();
            made(Kind::List(kept))
        }
        "distinct" => call("toset", args, at),
        "flatten" => {
            let [list] = one(args)?;
            let mut out = Vec::new();
            flatten(list, &mut out, 0)?;
            made(Kind::List(out))
        }
        "zipmap" => {
            let [keys, values] = two(args)?;
            let (Kind::List(ks), Kind::List(vs)) = (keys.kind, values.kind) else { return Err(Fail::Error) };
            if ks.len() != vs.len() {
                return Err(Fail::Error);
            }
            let mut map = BTreeMap::new();
            for (k, v) in ks.iter().zip(vs) {
                if k.is_unknown() {
                    return Ok(Val::unknown());
                }
                map.insert(k.to_text().ok_or(Fail::Error)?, v);
            }
            made(Kind::Map(map))
        }
        "jsonencode" => {
            let [a] = one(args)?;
            match a.to_json() {
                Some(s) => {
                    string_ok(&s)?;
                    made(Kind::String(s))
                }
                None => Ok(Val::unknown()),
            }
        }
        "jsondecode" => {
            let [a] = one(args)?;
            let json: serde_json::Value = serde_json::from_str(&text(&a)?).map_err(|_| Fail::Error)?;
            Ok(Val::from_json(&json, a.origin))
        }
        _ => Ok(Val::unknown()),
    }
}

fn one(args: Vec<Val>) -> Result<[Val; 1], Fail> {
    <[Val; 1]>::try_from(args).map_err(|_| Fail::Error)
}

fn two(args: Vec<Val>) -> Result<[Val; 2], Fail> {
    <[Val; 2]>::try_from(args).map_err(|_| Fail::Error)
}

fn three(args: Vec<Val>) -> Result<[Val; 3], Fail> {
    <[Val; 3]>::try_from(args).map_err(|_| Fail::Error)
}

fn text(v: &Val) -> Result<String, Fail> {
    v.to_text().ok_or(Fail::Error)
}

fn string_ok(s: &str) -> Result<(), Fail> {
    if s.len() > MAX_STRING { Err(Fail::Limit) } else { Ok(()) }
}

fn items_ok(n: usize) -> Result<(), Fail> {
    if n > MAX_ITEMS { Err(Fail::Limit) } else { Ok(()) }
}

fn flatten(v: Val, out: &mut Vec<Val>, depth: u32) -> Result<(), Fail> {
    if depth > 32 {
        return Err(Fail::Limit);
    }
    match v.kind {
        Kind::List(items) => {
            for i in items {
                flatten(i, out, depth + 1)?;
            }
        }
        _ if depth == 0 => return Err(Fail::Error),
        _ => out.push(v),
    }
    items_ok(out.len())
}

/// Terraform's `title`: the first letter of every word upper case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// `format`'s verbs `%s %v %d %f %t %q %%` (with `%.Nf`); `None` for a verb it does not know.
fn format(fmt: &str, args: &[Val]) -> Result<Option<String>, Fail> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            precision = Some(digits.parse::<usize>().map_err(|_| Fail::Error)?);
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'v' | 'd' | 'f' | 't' | 'q')) => {
                let arg = next.next().ok_or(Fail::Error)?;
                if arg.is_unknown() {
                    return Ok(None);
                }
                match verb {
                    's' | 'v' => out.push_str(&arg.to_text().or_else(|| arg.to_json()).ok_or(Fail::Error)?),
                    'd' => out.push_str(&number_text(to_number(arg)?.trunc())),
                    'f' => {
                        let _ = write!(out, "{:.*}", precision.unwrap_or(6), to_number(arg)?);
                    }
                    't' => out.push_str(if arg.as_bool().ok_or(Fail::Error)? { "true" } else { "false" }),
                    _ => out.push_str(&serde_json::Value::String(text(arg)?).to_string()),
                }
            }
            _ => return Ok(None),
        }
        string_ok(&out)?;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::super::eval::tests::{eval_with, show};

    fn e(expr: &str) -> String {
        show(&eval_with(
            "tags = { Team = \"core\", Env = \"prod\" }\nlist = [\"a\", \"\", \"b\"]\nn = null\n",
            "",
            expr,
        ))
    }

    /// Every function: a table of calls and results (`?` unknown, `!` an error, which is unknown too).
    #[test]
    fn functions() {
        let cases: &[(&str, &str)] = &[
            ("merge(var.tags, { Env = \"dev\", Owner = \"me\" })", r#"{Env:"dev",Owner:"me",Team:"core"}"#),
            ("merge({ a = 1 }, null, {})", "{a:1}"),
            ("merge([1])", "?"),
            ("lookup(var.tags, \"Team\")", r#""core""#),
            ("lookup(var.tags, \"Nope\", \"x\")", r#""x""#),
            ("lookup(var.tags, \"Nope\")", "?"),
            ("concat([1], [2, 3], [])", "[1,2,3]"),
            ("concat([1], \"x\")", "?"),
            ("coalesce(null, \"\", \"a\", \"b\")", r#""a""#),
            ("coalesce(null, null)", "?"),
            ("coalescelist([], [1])", "[1]"),
            ("format(\"%s-%d-%.1f-%t-%v-%q-%%\", \"a\", 2.7, 1.25, true, 3, \"q\")", r#""a-2-1.2-true-3-\"q\"-%""#),
            ("format(\"%s\")", "?"),
            ("format(\"%x\", 1)", "?"),
            ("lower(\"ProD\")", r#""prod""#),
            ("upper(\"prod\")", r#""PROD""#),
            ("title(\"hello big-world\")", r#""Hello Big-World""#),
            ("trimspace(\"  x \")", r#""x""#),
            ("chomp(\"x\\n\")", r#""x""#),
            ("tostring(12)", r#""12""#),
            ("replace(\"a-b-c\", \"-\", \"_\")", r#""a_b_c""#),
            ("replace(\"prod-01\", \"/-[0-9]+$/\", \"\")", r#""prod""#),
            ("replace(\"ab\", \"/(a)(b)/\", \"$2$1\")", r#""ba""#),
            ("trim(\"--x--\", \"-\")", r#""x""#),
            ("trimprefix(\"env-prod\", \"env-\")", r#""prod""#),
            ("trimsuffix(\"prod.tfvars\", \".tfvars\")", r#""prod""#),
            ("substr(\"production\", 0, 4)", r#""prod""#),
            ("substr(\"production\", -3, -1)", r#""ion""#),
            ("startswith(\"prod-eu\", \"prod\")", "true"),
            ("endswith(\"prod-eu\", \"prod\")", "false"),
            ("join(\"-\", [\"a\", \"b\"])", r#""a-b""#),
            ("split(\",\", \"a,b\")", r#"["a","b"]"#),
            ("tonumber(\"3\")", "3"),
            ("tonumber(\"x\")", "?"),
            ("tobool(\"true\")", "true"),
            ("tomap(var.tags)", r#"{Env:"prod",Team:"core"}"#),
            ("tomap([1])", "?"),
            ("tolist([1, 2])", "[1,2]"),
            ("toset([\"a\", \"b\", \"a\"])", r#"["a","b"]"#),
            ("distinct([1, 1, 2])", "[1,2]"),
            ("length(var.tags)", "2"),
            ("length(\"héllo\")", "5"),
            ("keys(var.tags)", r#"["Env","Team"]"#),
            ("values(var.tags)", r#"["prod","core"]"#),
            ("contains(var.list, \"b\")", "true"),
            ("contains(var.list, \"z\")", "false"),
            ("element(var.list, 3)", r#""a""#),
            ("compact(var.list)", r#"["a","b"]"#),
            ("flatten([[1, [2]], 3])", "[1,2,3]"),
            ("zipmap([\"a\", \"b\"], [1, 2])", "{a:1,b:2}"),
            ("jsonencode({ b = [1, true, null], a = \"x\" })", r#""{\"a\":\"x\",\"b\":[1,true,null]}""#),
            ("jsondecode(\"{\\\"a\\\": [1, \\\"b\\\"]}\")", r#"{a:[1,"b"]}"#),
            ("jsondecode(\"{\")", "?"),
            ("try(var.tags.Nope, lookup(var.tags, \"Env\"))", r#""prod""#),
            ("can(tonumber(\"x\"))", "false"),
            ("file(\"x.json\")", "?"),
            ("templatefile(\"x.tpl\", {})", "?"),
            ("timestamp()", "?"),
        ];
        for &(expr, want) in cases {
            assert_eq!(e(expr), want, "{expr}");
        }
    }

    #[test]
    fn huge_results_are_unknown() {
        let big = format!("\"{}\"", "x".repeat((1 << 19) + 1));
        assert!(e(&format!("join(\"\", [{big}, {big}, {big}])")) == "?", "join");
        assert!(e(&format!("replace({big}, \"x\", \"xx\")")) == "?", "replace");
    }
}
