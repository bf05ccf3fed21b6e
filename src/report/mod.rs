//! Output formats. Every format implements [`Render`] over the same [`ScanReport`]; the
//! registry [`FORMATS`] is the one table that lists them (adding a format = one module + one row).
//!
//! Renderers never see the policy engine or the parsers. They are also where secrets are
//! kept out of output: [`mask`] hides the value of a finding marked sensitive in any snippet.

mod human;
mod json;

use std::io::{self, Write};

use crate::scan::ScanReport;

/// One output format.
pub trait Render: Sync {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()>;
}

/// Options shared by renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
}

type MakeRenderer = fn(RenderOptions) -> Box<dyn Render>;

/// The format registry: name → renderer constructor.
pub static FORMATS: &[(&str, MakeRenderer)] = &[
    ("human", |o| Box::new(human::Human { options: o })),
    ("json", |_| Box::new(json::Json)),
];

/// Look up a format by name.
pub fn renderer(name: &str, options: RenderOptions) -> Option<Box<dyn Render>> {
    FORMATS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, make)| make(options))
}

pub use json::SCHEMA_VERSION;

/// Mask `text` (a secret as it appears in source, possibly quoted) keeping only a short prefix.
/// The result has the same byte length, so spans stay valid in a masked copy of the source.
pub fn mask(text: &str) -> String {
    let quote = |c: char| matches!(c, '"' | '\'' | '`');
    let chars: Vec<char> = text.chars().collect();
    let lead = chars.first().is_some_and(|c| quote(*c));
    let trail = chars.len() > 1 && chars.last().is_some_and(|c| quote(*c));
    let inner_len = chars.len() - usize::from(lead) - usize::from(trail);
    let keep = (inner_len / 4).min(4);
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let is_quote = (i == 0 && lead) || (i == chars.len() - 1 && trail);
        let inner_i = i.wrapping_sub(usize::from(lead));
        if is_quote || inner_i < keep {
            out.push(*c);
        } else {
            out.extend(std::iter::repeat_n('*', c.len_utf8()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_length_and_a_short_prefix_only() {
        let m = mask("\"AKIAABCDEFGHIJKLMNOP\"");
        assert_eq!(m.len(), 22);
        assert_eq!(m, "\"AKIA****************\"");
        assert_eq!(mask("hunter2"), "h******");
        assert_eq!(mask("ab"), "**");
        let u = mask("pässwörd");
        assert_eq!(u.len(), "pässwörd".len());
        assert!(!u.contains("sswö"));
    }

    #[test]
    fn format_registry_is_complete_and_unique() {
        let mut names: Vec<&str> = FORMATS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
        for n in names {
            assert!(renderer(n, RenderOptions::default()).is_some());
        }
    }
}
