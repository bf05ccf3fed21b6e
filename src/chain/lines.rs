//! Reading JSONL one line at a time, with a bound on the length of one line.
//!
//! Chains and seal inputs come from outside, and one "line" may be gigabytes long with no
//! newline in it. `BufRead::read_until` would hold all of it in memory; this reader keeps at
//! most `limit` bytes of a line and skips the rest (counting it), so a hostile line costs
//! bounded memory and the lines after it are still read.

use std::io::{self, BufRead, Read as _};

/// The longest record (one line, without its `\n`) that `chain verify` checks and `chain seal`
/// writes: 16 MiB. A longer line is reported as `malformed` with its length, and verification
/// goes on with the next line.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// What `LineReader::next_line` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A line ended by `\n`; the buffer holds it without the `\n`.
    Complete,
    /// The last line of the input, not ended by `\n`; the buffer holds it.
    Unterminated,
    /// A line longer than the limit; the buffer is empty. `len` is the line's full length in
    /// bytes (without its `\n`), `terminated` whether a `\n` ended it.
    TooLong { len: u64, terminated: bool },
}

/// Bounded line reader over any `BufRead`.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    limit: usize,
}

/// How much of an over-long line is read per step while skipping it.
const SKIP_CHUNK: u64 = 64 * 1024;

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        Self { inner, limit }
    }

    /// Read the next line into `buf` (replacing its content). `Ok(None)` at the end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let cap = u64::try_from(self.limit)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = (&mut self.inner).take(cap).read_until(b'\n', buf)?;
        if n == 0 {
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            return Ok(Some(Line::Complete));
        }
        if buf.len() <= self.limit {
            // `take` stopped short of its cap: the input ended.
            return Ok(Some(Line::Unterminated));
        }
        // Over the limit: skip to the end of the line without keeping it.
        let mut len = buf.len() as u64;
        loop {
            buf.clear();
            let m = (&mut self.inner).take(SKIP_CHUNK).read_until(b'\n', buf)?;
            if m == 0 {
                return Ok(Some(Line::TooLong {
                    len,
                    terminated: false,
                }));
            }
            if buf.last() == Some(&b'\n') {
                buf.clear();
                return Ok(Some(Line::TooLong {
                    len: len + m as u64 - 1,
                    terminated: true,
                }));
            }
            len += m as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], limit: usize) -> Vec<(Line, Vec<u8>)> {
        let mut r = LineReader::new(input, limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(l) = r.next_line(&mut buf).unwrap() {
            out.push((l, buf.clone()));
        }
        out
    }

    #[test]
    fn lines_at_under_and_over_the_limit() {
        let got = all(b"abcd\nabcde\n\nab", 4);
        assert_eq!(
            got,
            vec![
                (Line::Complete, b"abcd".to_vec()),
                (
                    Line::TooLong {
                        len: 5,
                        terminated: true
                    },
                    vec![]
                ),
                (Line::Complete, vec![]),
                (Line::Unterminated, b"ab".to_vec()),
            ]
        );
        assert_eq!(
            all(b"abcdefgh", 4),
            vec![(
                Line::TooLong {
                    len: 8,
                    terminated: false
                },
                vec![]
            )]
        );
        assert!(all(b"", 4).is_empty());
    }

    #[test]
    fn long_lines_are_skipped_in_chunks_and_counted_exactly() {
        let long = vec![b'x'; 200_000];
        let mut input = long.clone();
        input.push(b'\n');
        input.extend_from_slice(b"ok\n");
        let got = all(&input, 1000);
        assert_eq!(
            got[0].0,
            Line::TooLong {
                len: 200_000,
                terminated: true
            }
        );
        assert_eq!(got[1], (Line::Complete, b"ok".to_vec()));
    }
}
