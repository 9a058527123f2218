//! The bits of HTTP/1.1 the test proxies share (`proxy`, `balancer`): reading a request or
//! response head within a bound, and splitting header lines.

use std::io::{self, BufRead};

/// The largest request or response head a proxy reads.
pub const MAX_HEAD: usize = 64 * 1024;

/// Reads an HTTP head (up to and including the empty line).
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Vec<String>>> {
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            return if lines.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated head",
                ))
            };
        }
        size += n;
        if size > MAX_HEAD {
            return Err(io::Error::other("head too large"));
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // stray CRLF between requests
            }
            return Ok(Some(lines));
        }
        lines.push(line);
    }
}

/// A header line's name, lowercased.
pub fn header_name(line: &str) -> String {
    line.split(':')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A header line's value, trimmed.
pub fn header_value(line: &str) -> &str {
    line.split_once(':').map_or("", |(_, v)| v.trim())
}
