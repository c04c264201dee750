//! Size limits on the regorus builtins that can build a huge value in one
//! evaluation step: `numbers.range(1, 2000000000)` asked for 48 GB and aborted
//! the process, `concat` and `array.concat` double what they are given, a
//! `sprintf` width or a `bits.lsh` shift is a size. The step budget cannot see
//! inside one builtin call, so each of these is replaced, for every evaluation,
//! by an extension (regorus looks extensions up before builtins) that checks
//! the size of the result from its arguments, charges it to a budget shared by
//! the evaluation, and only then calls regorus's own builtin.
//!
//! Sizes are counted in characters and elements, never measured in memory, so
//! the same policy and input hit a limit on every machine or on none.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use regorus::unstable::{BUILTINS, Expr, Ref, Span};
use regorus::{Engine, Source, Value};

use super::limits::{MAX_BUILT_SIZE, MAX_BUILT_TOTAL, MAX_FORMAT_WIDTH, MAX_RANGE, MAX_SHIFT};

/// A number or a collection element, in the units of [`MAX_BUILT_TOTAL`].
const ELEMENT: u64 = 16;

/// The builtins replaced, with their argument counts and the size check.
const GUARDED: [(&str, u8, Check); 11] = [
    ("numbers.range", 2, range),
    ("numbers.range_step", 3, range_step),
    ("bits.lsh", 2, lsh),
    ("sprintf", 2, sprintf),
    ("concat", 2, concat),
    ("array.concat", 2, array_concat),
    ("json.marshal", 1, marshal),
    ("json.marshal_with_options", 2, marshal),
    ("replace", 3, replace),
    ("strings.replace_n", 2, replace_n),
    ("regex.replace", 3, regex_replace),
];

/// What a call will build (in [`MAX_BUILT_TOTAL`] units), or why it is refused.
type Check = fn(&[Value]) -> Result<u64, String>;

/// Installs the guarded builtins on an engine that is about to evaluate; the
/// budget they share lasts as long as this engine.
pub fn install(engine: &mut Engine) -> Result<(), String> {
    let used = Arc::new(AtomicU64::new(0));
    for (name, nargs, check) in GUARDED {
        let Some(&(builtin, _)) = BUILTINS.get(name) else { continue };
        let used = Arc::clone(&used);
        let guarded = move |args: Vec<Value>| -> anyhow::Result<Value> {
            let size = check(&args).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let before = used.fetch_add(size, Ordering::Relaxed);
            if before.saturating_add(size) > MAX_BUILT_TOTAL {
                anyhow::bail!(
                    "{name}: the builtins that build large values have built {} MiB in this evaluation; the \
                     limit is {} MiB",
                    before.saturating_add(size) >> 20,
                    MAX_BUILT_TOTAL >> 20
                );
            }
            call(name, builtin, &args)
        };
        engine.add_extension(name.to_owned(), nargs, Box::new(guarded)).map_err(|e| format!("{e}"))?;
    }
    Ok(())
}

type Builtin = fn(&Span, &[Ref<Expr>], &[Value], bool) -> anyhow::Result<Value>;

/// Calls regorus's builtin. It wants the call's source span and argument
/// expressions, for its messages only: they name the builtin instead.
fn call(name: &str, builtin: Builtin, args: &[Value]) -> anyhow::Result<Value> {
    let source = Source::from_contents(name.to_owned(), name.to_owned())?;
    let end = u32::try_from(name.len()).unwrap_or(0);
    let span = Span { source, line: 1, col: 1, start: 0, end };
    let params: Vec<Ref<Expr>> =
        args.iter().map(|_| Ref::new(Expr::Null { span: span.clone(), value: Value::Null, eidx: 0 })).collect();
    builtin(&span, &params, args, false)
}

fn int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) if n.is_integer() => n.as_i64().map(i128::from).or(Some(i128::MAX)),
        _ => None,
    }
}

fn limit(size: u64, max: u64, unit: &str) -> Result<u64, String> {
    if size > max { Err(format!("the result would have {size} {unit}; the limit is {max}")) } else { Ok(size) }
}

fn range(args: &[Value]) -> Result<u64, String> {
    let (Some(a), Some(b)) = (args.first().and_then(int), args.get(1).and_then(int)) else { return Ok(ELEMENT) };
    let n = u64::try_from(a.abs_diff(b)).unwrap_or(u64::MAX).saturating_add(1);
    limit(n, MAX_RANGE, "elements").map(|n| n * ELEMENT)
}

fn range_step(args: &[Value]) -> Result<u64, String> {
    let (Some(a), Some(b)) = (args.first().and_then(int), args.get(1).and_then(int)) else { return Ok(ELEMENT) };
    // regorus divides by the step even where it is not a positive integer
    let step = args.get(2).and_then(int).filter(|s| *s > 0).ok_or("step must be a positive integer")?;
    let n = u64::try_from(a.abs_diff(b) / step.unsigned_abs()).unwrap_or(u64::MAX).saturating_add(1);
    limit(n, MAX_RANGE, "elements").map(|n| n * ELEMENT)
}

fn lsh(args: &[Value]) -> Result<u64, String> {
    let shift = u64::try_from(args.get(1).and_then(int).unwrap_or(0)).unwrap_or(0);
    if shift > MAX_SHIFT {
        return Err(format!("a shift by {shift} bits; the limit is {MAX_SHIFT}"));
    }
    Ok(shift / 8 + ELEMENT)
}

fn string(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::String(s)) => s.len() as u64,
        _ => 0,
    }
}

/// Characters and elements in a value, counted up to `cap`: values share
/// parts, so a small value in memory can be huge written out.
pub(super) fn written_size(v: &Value, cap: u64) -> u64 {
    let mut size = 0u64;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        size = size.saturating_add(match v {
            Value::String(s) => s.len() as u64 + 2,
            Value::Array(a) => {
                stack.extend(a.iter());
                2
            }
            Value::Set(s) => {
                stack.extend(s.iter());
                2
            }
            Value::Object(o) => {
                for (k, v) in o.iter() {
                    stack.push(k);
                    stack.push(v);
                }
                2
            }
            _ => ELEMENT,
        });
        if size > cap {
            break;
        }
    }
    size
}

fn sprintf(args: &[Value]) -> Result<u64, String> {
    let format = match args.first() {
        Some(Value::String(s)) => s.as_ref(),
        _ => return Ok(ELEMENT),
    };
    let mut size = format.len() as u64;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut width = 0u64;
        while let Some(&d) = chars.peek() {
            if d == '.' || d.is_ascii_digit() {
                width = if d == '.' { 0 } else { width.saturating_mul(10).saturating_add(u64::from(d as u8 - b'0')) };
                chars.next();
                if width > MAX_FORMAT_WIDTH {
                    return Err(format!("format width over {MAX_FORMAT_WIDTH}"));
                }
            } else if d.is_numeric() {
                // regorus panics on a digit it cannot read as 0-9
                return Err(format!("`{d}` is not a digit for a format width"));
            } else {
                break;
            }
        }
        size = size.saturating_add(width);
    }
    let written = args.get(1).map_or(0, |a| written_size(a, MAX_BUILT_SIZE));
    limit(size.saturating_add(written), MAX_BUILT_SIZE, "characters")
}

fn concat(args: &[Value]) -> Result<u64, String> {
    let delimiter = string(args.first());
    let (n, total) = match args.get(1) {
        Some(Value::Array(a)) => (a.len() as u64, a.iter().map(|v| string(Some(v))).sum::<u64>()),
        Some(Value::Set(s)) => (s.len() as u64, s.iter().map(|v| string(Some(v))).sum::<u64>()),
        _ => (0, 0),
    };
    limit(total.saturating_add(delimiter.saturating_mul(n)), MAX_BUILT_SIZE, "characters")
}

fn array_concat(args: &[Value]) -> Result<u64, String> {
    let len = |v: Option<&Value>| match v {
        Some(Value::Array(a)) => a.len() as u64,
        _ => 0,
    };
    let n = len(args.first()).saturating_add(len(args.get(1)));
    limit(n, MAX_BUILT_SIZE / ELEMENT, "elements").map(|n| n * ELEMENT)
}

fn marshal(args: &[Value]) -> Result<u64, String> {
    let written = args.first().map_or(0, |v| written_size(v, MAX_BUILT_SIZE));
    limit(written, MAX_BUILT_SIZE, "characters")
}

/// At most one replacement per character and one at each end.
fn replaced(text: u64, pattern: u64, replacement: u64) -> u64 {
    let count = text / pattern.max(1) + 1;
    text.saturating_add(count.saturating_mul(replacement))
}

fn replace(args: &[Value]) -> Result<u64, String> {
    let size = replaced(string(args.first()), string(args.get(1)), string(args.get(2)));
    limit(size, MAX_BUILT_SIZE, "characters")
}

fn replace_n(args: &[Value]) -> Result<u64, String> {
    let mut size = string(args.get(1));
    if let Some(Value::Object(patterns)) = args.first() {
        for (old, new) in patterns.iter() {
            size = replaced(size, string(Some(old)), string(Some(new)));
            if size > MAX_BUILT_SIZE {
                break;
            }
        }
    }
    limit(size, MAX_BUILT_SIZE, "characters")
}

fn regex_replace(args: &[Value]) -> Result<u64, String> {
    // every position can match (an empty match), and each `$0` in the
    // replacement repeats a match (matches do not overlap)
    let (text, replacement) = (string(args.first()), string(args.get(2)));
    let size = text.saturating_add(text.saturating_mul(2).saturating_add(1).saturating_mul(replacement));
    limit(size, MAX_BUILT_SIZE, "characters")
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn eval(expr: &str) -> Result<Value, String> {
        let mut engine = Engine::new();
        engine.add_policy("p.rego".into(), format!("package p\nx := {expr}\n")).map_err(|e| e.to_string())?;
        install(&mut engine)?;
        engine.eval_rule("data.p.x".into()).map_err(|e| e.to_string())
    }

    fn fails(expr: &str, message: &str) {
        let e = eval(expr).expect_err(expr);
        assert!(e.contains(message), "{expr}: {e}");
    }

    #[test]
    fn huge_results_are_errors_not_aborts() {
        // asked regorus for 48 GB
        fails(
            "numbers.range(1, 2000000000)",
            "numbers.range: the result would have 2000000000 elements; the limit is 1000000",
        );
        fails("numbers.range_step(1, 2000000000, 1)", "the limit is 1000000");
        fails("numbers.range_step(1, 10, 0)", "step must be a positive integer");
        fails("bits.lsh(1, 4294967295)", "bits.lsh: a shift by 4294967295 bits; the limit is 4096");
        fails("sprintf(\"%99999999999d\", [1])", "format width over 10000");
        fails("sprintf(\"%½d\", [1])", "is not a digit");
        fails(
            "replace(concat(\"\", [\"x\" | some _ in numbers.range(1, 10000)]), \"\", concat(\"\", [\"y\" | some _ in numbers.range(1, 10000)]))",
            "replace: the result would have",
        );
    }

    #[test]
    fn doubling_stops_at_the_size_limit() {
        // each step doubles a string: 2^30 bytes after 30 steps
        let mut body = String::from("s0 := \"xxxxxxxxxxxxxxxx\"\n");
        for i in 1..=30 {
            writeln!(body, "s{i} := concat(\"\", [s{}, s{}])", i - 1, i - 1).expect("write");
        }
        let mut engine = Engine::new();
        engine.add_policy("p.rego".into(), format!("package p\n{body}")).expect("parse");
        install(&mut engine).expect("install");
        let e = engine.eval_rule("data.p.s30".into()).expect_err("too big");
        assert!(e.to_string().contains("concat: the result would have"), "{e}");
        // values shared many times over are counted as written out
        let mut body = String::from("a0 := [1]\n");
        for i in 1..=40 {
            writeln!(body, "a{i} := [a{}, a{}]", i - 1, i - 1).expect("write");
        }
        body.push_str("j := json.marshal(a40)\n");
        let mut engine = Engine::new();
        engine.add_policy("p.rego".into(), format!("package p\n{body}")).expect("parse");
        install(&mut engine).expect("install");
        let e = engine.eval_rule("data.p.j".into()).expect_err("too big");
        assert!(e.to_string().contains("json.marshal: the result would have"), "{e}");
    }

    #[test]
    fn ordinary_calls_behave_as_before() {
        let ok = |expr: &str, json: &str| {
            let v = eval(expr).expect(expr);
            assert_eq!(serde_json::to_string(&v).expect("json"), json, "{expr}");
        };
        ok("numbers.range(3, 1)", "[3,2,1]");
        ok("numbers.range_step(0, 10, 5)", "[0,5,10]");
        ok("count(numbers.range(1, 65536))", "65536");
        ok("numbers.range(1.5, 3)", "\"<undefined>\"");
        ok("bits.lsh(1, 10)", "1024");
        ok("sprintf(\"%05d|%s|%v\", [42, \"a\", [1]])", "\"00042|a|[1]\"");
        ok("concat(\"-\", [\"a\", \"b\"])", "\"a-b\"");
        ok("array.concat([1], [2])", "[1,2]");
        ok("json.marshal({\"a\": [1]})", "\"{\\\"a\\\":[1]}\"");
        ok("replace(\"a.b\", \".\", \"/\")", "\"a/b\"");
        ok("strings.replace_n({\"a\": \"b\"}, \"aa\")", "\"bb\"");
        ok("regex.replace(\"a1\", \"[0-9]\", \"#\")", "\"a#\"");
        fails("numbers.range(\"a\", 2)", "numbers.range");
    }

    #[test]
    fn the_budget_is_shared_by_one_evaluation() {
        // 40 ranges of 1,000,000 numbers: each allowed, together over the budget
        let e = eval("[count(numbers.range(1, 1000000)) | some _ in numbers.range(1, 40)]").expect_err("budget");
        assert!(e.contains("the limit is 256 MiB"), "{e}");
    }
}
