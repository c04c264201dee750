//! The short and long syntax of compose values that rules judge: volumes,
//! ports, images, and `${VAR:-default}` interpolation (a default is a literal;
//! a variable without one is unknown, and so is what contains it).

use std::borrow::Cow;

use crate::formats::located::Located;

/// `text` with compose interpolation applied as far as it is known:
/// `${VAR:-default}` / `${VAR-default}` give their default (itself
/// interpolated), `$$` is a `$`; any other variable (`$VAR`, `${VAR}`,
/// `${VAR:?error}`, `${VAR:+alt}`) makes the whole value unknown (`None`).
pub fn interpolate(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains('$') {
        return Some(Cow::Borrowed(text));
    }
    interpolate_depth(text, 0).map(Cow::Owned)
}

/// The interpolated scalar of a long-syntax field: `Some(None)` when the field is
/// absent, `None` when it is there but not known (not a scalar, or an interpolation
/// without a default).
#[allow(clippy::option_option)] // absent, unknown and known read as the callers chain `?` on them
fn field(item: &Located<'_>, key: &str) -> Option<Option<String>> {
    match item.get(key) {
        None => Some(None),
        Some(v) => Some(Some(interpolate(&v.scalar_text()?)?.into_owned())),
    }
}

fn interpolate_depth(text: &str, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let ch = text[i..].chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                // the matching brace, nested `${...}` counted
                let mut level = 0usize;
                let mut end = None;
                for (k, &c) in b.iter().enumerate().skip(i + 1) {
                    match c {
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                end = Some(k);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end?;
                let inner = &text[i + 2..end];
                let name_len = inner.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
                let rest = &inner[name_len..];
                let default = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-'))?;
                if name_len == 0 {
                    return None;
                }
                out.push_str(&interpolate_depth(default, depth + 1)?);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => return None,
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Some(out)
}

/// A service volume: `[SOURCE:]TARGET[:MODE]` or the long syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// `bind`, `volume`, `tmpfs`, ... (short syntax: `bind` for a path, `volume` for a name).
    pub kind: String,
    /// The host path or volume name, interpolated; `None` when anonymous.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

impl Volume {
    /// Parses a volume item; `None` when it is not understood or not known
    /// (an interpolation without a default).
    pub fn parse(item: &Located<'_>) -> Option<Volume> {
        if let Some(text) = item.scalar_text() {
            return Self::short(&interpolate(&text)?);
        }
        if !item.is_map() {
            return None;
        }
        let text = |k: &str| field(item, k);
        let target = text("target")?.or(text("destination")?)?;
        let source = text("source")?;
        let kind = text("type")?.unwrap_or_else(|| "volume".to_owned());
        let read_only = item.get("read_only").and_then(|r| r.scalar_text()).is_some_and(|r| r == "true");
        Some(Volume { kind, source, target, read_only })
    }

    fn short(spec: &str) -> Option<Volume> {
        let parts = split_volume(spec);
        let (source, target, mode) = match parts.as_slice() {
            [t] => (None, *t, None),
            [s, t] => (Some(*s), *t, None),
            [s, t, m] => (Some(*s), *t, Some(*m)),
            _ => return None,
        };
        let is_path = |s: &str| {
            s.starts_with(['.', '/', '~', '\\'])
                || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
        };
        let kind = match source {
            Some(s) if is_path(s) => "bind",
            _ => "volume",
        };
        let read_only = mode.is_some_and(|m| m.split(',').any(|o| o == "ro"));
        Some(Volume { kind: kind.to_owned(), source: source.map(str::to_owned), target: target.to_owned(), read_only })
    }

    /// A bind mount of a path relative to the compose file (`.`, `./src`, `../app`).
    pub fn is_relative_bind(&self) -> bool {
        self.kind == "bind"
            && self
                .source
                .as_deref()
                .is_some_and(|s| s == "." || s == ".." || s.starts_with("./") || s.starts_with("../"))
    }
}

/// Splits `a:b:c` on colons, keeping a Windows drive letter (`C:\src`) whole.
fn split_volume(spec: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = spec.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' {
            let drive = i == start + 1 && b[start].is_ascii_alphabetic() && matches!(b.get(i + 1), Some(b'\\' | b'/'));
            if !drive {
                out.push(&spec[start..i]);
                start = i + 1;
            }
        }
        i += 1;
    }
    out.push(&spec[start..]);
    out
}

/// A published port: the host address it binds, when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// The host IP (`127.0.0.1`); `None`: every interface.
    pub host_ip: Option<String>,
    /// The host port (or range); `None`: a random one.
    pub published: Option<String>,
    pub target: String,
}

impl Port {
    /// Parses a `ports:` item (`"5432:5432"`, `"127.0.0.1:5432:5432/tcp"`,
    /// `5432`, `{target, published, host_ip}`); `None` when not known.
    pub fn parse(item: &Located<'_>) -> Option<Port> {
        if let Some(text) = item.scalar_text() {
            return Self::short(&interpolate(&text)?);
        }
        if !item.is_map() {
            return None;
        }
        let text = |k: &str| field(item, k);
        let target = text("target")??;
        Some(Port { host_ip: text("host_ip")?, published: text("published")?, target })
    }

    fn short(spec: &str) -> Option<Port> {
        let spec = spec.split('/').next().unwrap_or(spec);
        // IPv6 host addresses are bracketed: `[::1]:5432:5432`
        if let Some(rest) = spec.strip_prefix('[') {
            let (ip, rest) = rest.split_once(']')?;
            let rest = rest.strip_prefix(':')?;
            let (published, target) = rest.split_once(':')?;
            return Some(Port {
                host_ip: Some(ip.to_owned()),
                published: Some(published.to_owned()).filter(|p| !p.is_empty()),
                target: target.to_owned(),
            });
        }
        let parts: Vec<&str> = spec.split(':').collect();
        match parts.as_slice() {
            [t] => Some(Port { host_ip: None, published: None, target: (*t).to_owned() }),
            [p, t] => Some(Port { host_ip: None, published: Some((*p).to_owned()), target: (*t).to_owned() }),
            [ip, p, t] => Some(Port {
                host_ip: Some((*ip).to_owned()).filter(|i| !i.is_empty()),
                published: Some((*p).to_owned()).filter(|p| !p.is_empty()),
                target: (*t).to_owned(),
            }),
            _ => None,
        }
    }

    /// Whether it binds only the loopback interface.
    pub fn loopback_only(&self) -> bool {
        self.host_ip.as_deref().is_some_and(|ip| {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            ip == "localhost" || ip == "::1" || ip.starts_with("127.")
        })
    }
}

/// An image reference: `[registry/]repository[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The repository path without registry port confusion (`library/postgres`, `ghcr.io/org/app`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Image {
    pub fn parse(text: &str) -> Option<Image> {
        let text = text.trim();
        if text.is_empty() || text.contains(char::is_whitespace) {
            return None;
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (text, None),
        };
        // a tag is a `:` after the last `/` (a `:` before it is a registry port)
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match rest[last_slash..].rfind(':') {
            Some(c) => (&rest[..last_slash + c], Some(rest[last_slash + c + 1..].to_owned())),
            None => (rest, None),
        };
        Some(Image { repository: repository.to_owned(), tag, digest })
    }

    /// The last path component, lowercase (`postgres`, `redis-stack`).
    pub fn name(&self) -> String {
        self.repository.rsplit('/').next().unwrap_or(&self.repository).to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation() {
        let cases: &[(&str, Option<&str>)] = &[
            ("plain", Some("plain")),
            ("${TAG:-latest}", Some("latest")),
            ("app:${TAG-1.2}", Some("app:1.2")),
            ("${IMAGE:-${REGISTRY:-ghcr.io}/app:latest}", Some("ghcr.io/app:latest")),
            ("${IMAGE}", None),
            ("$IMAGE", None),
            ("app:${TAG:?set TAG}", None),
            ("cost $$5", Some("cost $5")),
            ("a $ b", Some("a $ b")),
            ("${:-x}", None),
            ("${UNCLOSED", None),
        ];
        for (text, want) in cases {
            assert_eq!(interpolate(text).as_deref(), *want, "{text}");
        }
    }

    fn volume(text: &str) -> Option<Volume> {
        let doc = crate::parse::yaml::parse(&format!("v: {text}\n")).expect("yaml");
        Volume::parse(&Located::new(0, doc.root().and_then(|r| r.get("v")).expect("v")))
    }

    #[test]
    fn volumes_short_and_long() {
        let v = |kind: &str, source: Option<&str>, target: &str, ro: bool| {
            Some(Volume { kind: kind.into(), source: source.map(Into::into), target: target.into(), read_only: ro })
        };
        let cases: &[(&str, Option<Volume>)] = &[
            (".:/app", v("bind", Some("."), "/app", false)),
            ("./src:/app/src:ro", v("bind", Some("./src"), "/app/src", true)),
            ("./nginx.conf:/etc/nginx/nginx.conf:ro,z", v("bind", Some("./nginx.conf"), "/etc/nginx/nginx.conf", true)),
            ("data:/var/lib/postgresql/data", v("volume", Some("data"), "/var/lib/postgresql/data", false)),
            (
                "/var/run/docker.sock:/var/run/docker.sock",
                v("bind", Some("/var/run/docker.sock"), "/var/run/docker.sock", false),
            ),
            ("/anonymous", v("volume", None, "/anonymous", false)),
            ("C:\\src:/app", v("bind", Some("C:\\src"), "/app", false)),
            ("${SRC:-.}:/app", v("bind", Some("."), "/app", false)),
            ("${SRC}:/app", None),
            ("{type: bind, source: ./app, target: /app, read_only: true}", v("bind", Some("./app"), "/app", true)),
            ("{type: volume, source: data, target: /data}", v("volume", Some("data"), "/data", false)),
            ("{type: tmpfs, target: /tmp}", v("tmpfs", None, "/tmp", false)),
        ];
        for (text, want) in cases {
            assert_eq!(volume(text), *want, "{text}");
        }
        assert!(volume(".:/app").is_some_and(|v| v.is_relative_bind()));
        assert!(volume("../:/app").is_some_and(|v| v.is_relative_bind()));
        assert!(!volume("/srv:/app").is_some_and(|v| v.is_relative_bind()));
        assert!(!volume("data:/app").is_some_and(|v| v.is_relative_bind()));
    }

    fn port(text: &str) -> Option<Port> {
        let doc = crate::parse::yaml::parse(&format!("p: {text}\n")).expect("yaml");
        Port::parse(&Located::new(0, doc.root().and_then(|r| r.get("p")).expect("p")))
    }

    #[test]
    fn ports_short_and_long() {
        let p = |ip: Option<&str>, published: Option<&str>, target: &str| {
            Some(Port { host_ip: ip.map(Into::into), published: published.map(Into::into), target: target.into() })
        };
        let cases: &[(&str, Option<Port>)] = &[
            ("\"5432:5432\"", p(None, Some("5432"), "5432")),
            ("5432", p(None, None, "5432")),
            ("\"127.0.0.1:5432:5432/tcp\"", p(Some("127.0.0.1"), Some("5432"), "5432")),
            ("\"127.0.0.1::5432\"", p(Some("127.0.0.1"), None, "5432")),
            ("\"[::1]:6379:6379\"", p(Some("::1"), Some("6379"), "6379")),
            ("\"${DB_PORT:-5432}:5432\"", p(None, Some("5432"), "5432")),
            ("\"${BIND}:5432:5432\"", None),
            ("{target: 5432, published: 5432, host_ip: 127.0.0.1}", p(Some("127.0.0.1"), Some("5432"), "5432")),
            ("{target: 6379, published: \"6379\"}", p(None, Some("6379"), "6379")),
        ];
        for (text, want) in cases {
            assert_eq!(port(text), *want, "{text}");
        }
        assert!(port("\"127.0.0.1:5432:5432\"").is_some_and(|p| p.loopback_only()));
        assert!(port("\"[::1]:5432:5432\"").is_some_and(|p| p.loopback_only()));
        assert!(!port("\"0.0.0.0:5432:5432\"").is_some_and(|p| p.loopback_only()));
        assert!(!port("5432").is_some_and(|p| p.loopback_only()));
    }

    #[test]
    fn images() {
        let i = |repo: &str, tag: Option<&str>, digest: Option<&str>| {
            Some(Image { repository: repo.into(), tag: tag.map(Into::into), digest: digest.map(Into::into) })
        };
        let cases: &[(&str, Option<Image>)] = &[
            ("postgres", i("postgres", None, None)),
            ("postgres:16.2", i("postgres", Some("16.2"), None)),
            ("registry:5000/team/app", i("registry:5000/team/app", None, None)),
            ("registry:5000/team/app:latest", i("registry:5000/team/app", Some("latest"), None)),
            ("app@sha256:abc", i("app", None, Some("sha256:abc"))),
            ("app:1.0@sha256:abc", i("app", Some("1.0"), Some("sha256:abc"))),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Image::parse(text), *want, "{text}");
        }
        assert_eq!(
            Image::parse("docker.elastic.co/elasticsearch/elasticsearch:8").map(|i| i.name()).as_deref(),
            Some("elasticsearch")
        );
    }
}
