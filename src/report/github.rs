//! `--format github`: GitHub Actions workflow commands (`::error file=...::message`),
//! one per finding, then the plain summary line (GitHub shows at most 10 annotations
//! of each kind per step, so the counts must be visible in the log). Depends on
//! `engine` and `finding` only.
//!
//! Levels: error → `::error`, warning → `::warning`, note → `::notice`. Columns are
//! Unicode scalar values, `endColumn` exclusive; they are given only when the span
//! is on one line.

use std::io::{self, Write};

use crate::engine::ScanOutput;
use crate::finding::{Finding, Severity};

/// Writes one workflow command per finding, then the summary line.
pub fn render(out: &ScanOutput, w: &mut dyn Write) -> io::Result<()> {
    for f in out.shown() {
        writeln!(w, "{}", command(f))?;
    }
    writeln!(w, "{}", super::summary_line(out))
}

/// One finding as a workflow command.
pub fn command(f: &Finding) -> String {
    let kind = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let (line, end_line) = (f.start.line.max(1), f.end.line.max(f.start.line).max(1));
    let mut props = vec![("file", crate::snippet::escape(&f.path).into_owned()), ("line", line.to_string())];
    if line == end_line {
        props.push(("col", f.start.column.max(1).to_string()));
    }
    props.push(("endLine", end_line.to_string()));
    if line == end_line {
        props.push(("endColumn", f.end.column.max(f.start.column).max(1).to_string()));
    }
    props.push(("title", crate::snippet::escape(&f.rule).into_owned()));
    let props: Vec<String> = props.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
    let mut message = match &f.env {
        Some(env) => format!("{} (env: {env})", f.message),
        None => f.message.clone(),
    };
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{kind} {}::{}", props.join(","), escape_data(&crate::snippet::escape_keep_newlines(&message)))
}

/// Escapes a command's message (GitHub's `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property value (GitHub's `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_github() {
        let cases = [
            ("plain", "plain", "plain"),
            ("100%", "100%25", "100%25"),
            ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
            ("k: v, w", "k: v, w", "k%3A v%2C w"),
            ("%0A", "%250A", "%250A"),
            ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
        ];
        for (input, data, property) in cases {
            assert_eq!(escape_data(input), data, "{input:?}");
            assert_eq!(escape_property(input), property, "{input:?}");
        }
    }

    #[test]
    fn a_command_escapes_path_and_message() {
        let src = crate::source::SourceFile::new("a,b:c.env", "K=100%\n");
        let f = Finding {
            rule: "r".into(),
            severity: Severity::Note,
            path: "a,b:c.env".into(),
            env: Some("prod".into()),
            span: crate::span::Span::new(2, 6),
            start: src.line_col(2),
            end: src.line_col(6),
            message: "value is 100%".into(),
            help: Some("change it,\nnow".into()),
            fingerprint: String::new(),
            properties: std::collections::BTreeMap::new(),
            related: Vec::new(),
            snippet: None,
            suppressed: None,
        };
        assert_eq!(
            command(&f),
            "::notice file=a%2Cb%3Ac.env,line=1,col=3,endLine=1,endColumn=7,title=r::value is 100%25 (env: prod)%0Ahelp: change it,%0Anow"
        );
    }
}
