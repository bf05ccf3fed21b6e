//! Reading JSONL one line at a time, with a bound on the length of one line.
//!
//! Chains and seal inputs come from outside, and one "line" may be gigabytes long with no
//! newline in it. `BufRead::read_until` would hold all of it in memory; this reader keeps at
//! most `limit` bytes of a line and skips the rest (counting it), so a hostile line costs
//! bounded memory and the lines after it are still read.

use std::io::{self, BufRead};

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

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        Self { inner, limit }
    }

    /// Read the next line into `buf` (replacing its content). `Ok(None)` at the end of input.
    ///
    /// Searches the reader's buffer for the newline directly (`memchr`) and copies only the
    /// line, up to the limit; the rest of an over-long line is skipped, buffer by buffer.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let limit = u64::try_from(self.limit).unwrap_or(u64::MAX);
        // Bytes of the line seen so far, kept or skipped.
        let mut len: u64 = 0;
        let mut started = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(avail) => avail,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                // End of input.
                let end = if len > limit {
                    Line::TooLong {
                        len,
                        terminated: false,
                    }
                } else {
                    Line::Unterminated
                };
                return Ok(started.then_some(end));
            }
            started = true;
            let newline = memchr::memchr(b'\n', avail);
            let chunk = newline.unwrap_or(avail.len());
            let seen = len + chunk as u64;
            if seen <= limit {
                buf.extend_from_slice(&avail[..chunk]);
            } else if len <= limit {
                // The line just went over the limit: drop what was kept of it.
                buf.clear();
            }
            len = seen;
            self.inner.consume(chunk + usize::from(newline.is_some()));
            if newline.is_some() {
                return Ok(Some(if len > limit {
                    Line::TooLong {
                        len,
                        terminated: true,
                    }
                } else {
                    Line::Complete
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all<R: BufRead>(input: R, limit: usize) -> Vec<(Line, Vec<u8>)> {
        let mut r = LineReader::new(input, limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(l) = r.next_line(&mut buf).unwrap() {
            out.push((l, buf.clone()));
        }
        out
    }

    /// The lines of `input`, read whole and through buffers of 1 to 7 bytes (so lines and
    /// the limit fall across buffer ends), which must agree.
    fn all(input: &[u8], limit: usize) -> Vec<(Line, Vec<u8>)> {
        let whole = read_all(input, limit);
        for cap in 1..8 {
            let small = read_all(io::BufReader::with_capacity(cap, input), limit);
            assert_eq!(small, whole, "buffer of {cap} bytes");
        }
        whole
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
