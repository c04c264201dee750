//! Evaluated Terraform values: what an expression is worth when everything it
//! reads is known, *unknown* otherwise, and where each value was written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::rule::Loc;

/// A value and where it was written (the literal, the tfvars entry, the
/// template that built it); `None` for values no file holds (a function's result
/// made of several inputs).
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub kind: Kind,
    pub origin: Option<Loc>,
}

/// What a value is. Lists stand for Terraform's lists, tuples and sets; maps for
/// its maps and objects (keys sorted, as Terraform sorts them).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Not known statically: a data source, a module output, `terraform.workspace`,
    /// a variable without a value, an unknown function, or anything built from one.
    Unknown,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Val>),
    Map(BTreeMap<String, Val>),
}

impl Val {
    pub fn new(kind: Kind, origin: Option<Loc>) -> Self {
        Self { kind, origin }
    }

    pub fn unknown() -> Self {
        Self::new(Kind::Unknown, None)
    }

    pub fn null() -> Self {
        Self::new(Kind::Null, None)
    }

    pub fn string(s: impl Into<String>, origin: Option<Loc>) -> Self {
        Self::new(Kind::String(s.into()), origin)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// Whether this value or anything inside it is unknown.
    pub fn has_unknown(&self) -> bool {
        match &self.kind {
            Kind::Unknown => true,
            Kind::List(items) => items.iter().any(Val::has_unknown),
            Kind::Map(map) => map.values().any(Val::has_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            // Terraform converts "true"/"false" strings where a bool is expected.
            Kind::String(s) if s == "true" => Some(true),
            Kind::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Val>> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Val]> {
        match &self.kind {
            Kind::List(l) => Some(l),
            _ => None,
        }
    }

    /// The value as a string the way Terraform converts primitives (`tostring`):
    /// strings, numbers and booleans; `None` for anything else.
    pub fn to_text(&self) -> Option<String> {
        match &self.kind {
            Kind::String(s) => Some(s.clone()),
            Kind::Number(n) => Some(number_text(*n)),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// How many values this one holds (itself included): what copying it costs.
    pub fn size(&self) -> u64 {
        1 + match &self.kind {
            Kind::List(items) => items.iter().map(Val::size).sum(),
            Kind::Map(map) => map.values().map(Val::size).sum(),
            _ => 0,
        }
    }

    /// The value as JSON text (`jsonencode`); `None` if anything in it is unknown.
    pub fn to_json(&self) -> Option<String> {
        let mut out = String::new();
        self.write_json(&mut out).then_some(out)
    }

    fn write_json(&self, out: &mut String) -> bool {
        match &self.kind {
            Kind::Unknown => return false,
            Kind::Null => out.push_str("null"),
            Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Kind::Number(n) => out.push_str(&number_text(*n)),
            Kind::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            Kind::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.write_json(out) {
                        return false;
                    }
                }
                out.push(']');
            }
            Kind::Map(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    if !v.write_json(out) {
                        return false;
                    }
                }
                out.push('}');
            }
        }
        true
    }

    /// A short description for messages: `"prod"`, `true`, `a map`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Unknown => "an unknown value".into(),
            Kind::Null => "null".into(),
            Kind::Bool(b) => b.to_string(),
            Kind::Number(n) => number_text(*n),
            Kind::String(s) => format!("{s:?}"),
            Kind::List(_) => "a list".into(),
            Kind::Map(_) => "a map".into(),
        }
    }

    /// A value from JSON (`jsondecode`), every part given `origin`.
    pub fn from_json(json: &serde_json::Value, origin: Option<Loc>) -> Val {
        let kind = match json {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Kind::Unknown, Kind::Number),
            serde_json::Value::String(s) => Kind::String(s.clone()),
            serde_json::Value::Array(items) => Kind::List(items.iter().map(|i| Val::from_json(i, origin)).collect()),
            serde_json::Value::Object(map) => {
                Kind::Map(map.iter().map(|(k, v)| (k.clone(), Val::from_json(v, origin))).collect())
            }
        };
        Val::new(kind, origin)
    }
}

/// A number as Terraform prints it: integers without a fraction.
pub fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        let mut s = String::new();
        let _ = write!(s, "{}", n as i64);
        s
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val {
        Val::string(v, None)
    }

    #[test]
    fn text_json_and_unknowns() {
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(Val::new(Kind::Bool(true), None).to_text().as_deref(), Some("true"));
        assert_eq!(Val::null().to_text(), None);
        let map = Val::new(
            Kind::Map([("b".to_owned(), s("x\"y")), ("a".to_owned(), Val::new(Kind::Number(2.0), None))].into()),
            None,
        );
        assert_eq!(map.to_json().as_deref(), Some(r#"{"a":2,"b":"x\"y"}"#));
        let with_unknown = Val::new(Kind::List(vec![s("a"), Val::unknown()]), None);
        assert!(with_unknown.has_unknown() && !with_unknown.is_unknown());
        assert_eq!(with_unknown.to_json(), None);
        assert_eq!(with_unknown.size(), 3);
        assert_eq!(s("true").as_bool(), Some(true));
        assert_eq!(s("yes").as_bool(), None);
        let json: serde_json::Value = serde_json::from_str(r#"{"k":[1,"two",null,true]}"#).expect("json");
        assert_eq!(Val::from_json(&json, None).to_json().as_deref(), Some(r#"{"k":[1,"two",null,true]}"#));
    }
}
