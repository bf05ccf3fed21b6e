//! A bound on what parsing one Rego file may cost, checked before `regorus` sees the file.
//!
//! regorus 0.14's parser tries a comprehension first at every `[` and `{` and, when that fails
//! (the literal has no `|`), parses the same first element again as a literal; the `{` forms
//! try a set and an object comprehension before the literal. The first element of nested
//! literals is therefore parsed about 2^depth times: `x := [[[[…1…]]]]` 20 deep took 2.4 s on
//! this machine, 22 deep 11 s, 22 nested objects 30 s, and 81 unclosed `{` never ended. The
//! parser's own limit (expression nesting 32) is far too deep to bound that, and it runs
//! before any per-policy time limit can. Elements after the first, comprehensions' bodies,
//! parentheses and calls are not re-parsed (measured: `[0, [0, …]]` 50,000 deep is linear).
//!
//! [`check`] estimates the parser's work with one linear scan: every byte of code costs the
//! product of a factor 2 for each enclosing `[` or `{` whose first element it is in (measured
//! growth per level: 1.7 for arrays and sets, 1.95 for objects; a `{` outside any bracket
//! opens a rule body, which is not an expression, and costs 1). Strings and comments are skipped. A file
//! whose estimate passes [`BUDGET`] is refused as a compile error with the line and column
//! where the budget ran out, so a hostile or generated policy ends the run with a clear
//! message instead of hanging it; real policies stay far below the bound (a test keeps every
//! bundled file under a twentieth of it). Written by hand: it is a model of one parser's
//! behaviour, not a Rego parser.

/// The most parse work (in the estimate's units) one file may cost. Calibrated on this
/// machine's release build: a file at the bound loads in about 0.5 s (docs/policy-bounds.md);
/// the bundled policies and 500 files of public policy packs peak below 25,000.
pub(crate) const BUDGET: f64 = 500_000.0;

struct Frame {
    /// The multiplier outside this bracket, restored when the first element ends.
    outer: f64,
    /// Still inside the first element (no `,` or `|` seen at this level yet).
    first: bool,
}

/// Why a file is refused: where the budget ran out and how deep the first-element chain was.
#[derive(Debug, PartialEq)]
pub(crate) struct TooCostly {
    pub line: usize,
    pub column: usize,
    pub depth: usize,
}

impl std::fmt::Display for TooCostly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: error: brackets nested {} deep in first position: the Rego parser reads the \
             first element of every `[`/`{{` literal again after trying a comprehension, so this \
             would take exponential time (custos refuses files above {BUDGET:.0} units of that \
             work); name the inner values (`inner := [...]`) or put deeply nested elements \
             after the first",
            self.line, self.column, self.depth
        )
    }
}

/// The parse-work estimate of `src`, or where it passes [`BUDGET`].
pub(crate) fn check(src: &str) -> Result<f64, TooCostly> {
    let bytes = src.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut mult = 1.0_f64;
    let mut cost = 0.0_f64;
    let (mut line, mut line_start) = (1_usize, 0_usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                cost += mult;
                continue;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    if bytes[i] == b'\n' {
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                i += 1;
                cost += mult;
                continue;
            }
            _ => {}
        }
        cost += mult;
        match b {
            b'(' => stack.push(Frame {
                outer: mult,
                first: false,
            }),
            b'[' | b'{' => {
                let outer = mult;
                if b == b'[' || !stack.is_empty() {
                    mult *= 2.0;
                }
                stack.push(Frame { outer, first: true });
            }
            b',' | b'|' => {
                if let Some(top) = stack.last_mut() {
                    if top.first {
                        top.first = false;
                        mult = top.outer;
                    }
                }
            }
            b')' | b']' | b'}' => {
                if let Some(top) = stack.pop() {
                    mult = top.outer;
                }
            }
            _ => {}
        }
        if cost > BUDGET {
            return Err(TooCostly {
                line,
                column: src[line_start..i].chars().count() + 1,
                depth: stack.iter().filter(|f| f.first).count(),
            });
        }
        i += 1;
    }
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(s: &str) -> f64 {
        f64::from(u32::try_from(s.len()).expect("small test input"))
    }

    fn nested(depth: usize, open: &str, close: &str) -> String {
        format!(
            "package p\n\nx := {}1{}\n",
            open.repeat(depth),
            close.repeat(depth)
        )
    }

    #[test]
    fn first_position_nesting_grows_exponentially_and_is_refused() {
        let shallow = check(&nested(8, "[", "]")).expect("8 deep is cheap");
        let deeper = check(&nested(12, "[", "]")).expect("12 deep is still cheap");
        assert!(deeper > 10.0 * shallow, "{shallow} -> {deeper}");
        let err = check(&nested(40, "[", "]")).expect_err("40 deep is refused");
        assert_eq!(err.line, 3);
        assert!(err.depth >= 16, "{err:?}");
        let err = check(&nested(30, "{\"a\": ", "}")).expect_err("30 nested objects");
        assert!(err.to_string().contains("3:"), "{err}");
        // Unclosed, as a mutated file may be: refused before the parser spins.
        let unclosed = format!("package p\n\ndeny contains{}.name)\n", "{".repeat(81));
        assert!(check(&unclosed).is_err());
    }

    #[test]
    fn later_elements_comprehensions_calls_and_parentheses_stay_linear() {
        for (open, close) in [
            ("[0, ", "]"),
            ("{\"a\": 0, \"b\": ", "}"),
            ("[y | y := ", "]"),
            ("count(", ")"),
            ("(", ")"),
        ] {
            let src = nested(5000, open, close);
            let cost = check(&src).unwrap_or_else(|e| panic!("{open}: {e}"));
            assert!(cost < 20.0 * len(&src), "{open}: {cost}");
        }
    }

    #[test]
    fn strings_and_comments_do_not_count_as_brackets() {
        let src = format!(
            "package p\n# {}\nx := \"{}\"\ny := `{}`\n",
            "[".repeat(100),
            "{".repeat(100),
            "[\n".repeat(100)
        );
        assert!(check(&src).expect("no brackets") < 100.0);
    }

    #[test]
    fn rule_bodies_are_not_expressions() {
        let body = "  input.a == 1\n".repeat(1000);
        let src = format!("package p\n\ndeny contains \"m\" if {{\n{body}}}\n");
        assert!(check(&src).expect("a long body") < 2.0 * len(&src));
    }

    #[test]
    fn the_bundled_policies_stay_far_below_the_budget() {
        let mut worst = (0.0_f64, String::new());
        for (path, src) in crate::policy::BUNDLED {
            let cost = check(src).unwrap_or_else(|e| panic!("{path}: {e}"));
            if cost > worst.0 {
                worst = (cost, (*path).to_owned());
            }
        }
        assert!(worst.0 < BUDGET / 20.0, "{worst:?}");
    }
}
