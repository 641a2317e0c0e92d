//! Content-based scrubbing: finds email addresses, IP addresses (single or in lists) and phone
//! numbers inside text no rule names, and replaces each with its keyed pseudonym.
//!
//! Scanning is one pass over the bytes; values holding no `@`, no `:` and fewer than four
//! digits are rejected before any token is looked at (most values of a site).

use std::net::IpAddr;

use super::ApplyCtx;
use super::kinds::{Kind, PiiKind};
use crate::transform::leak::looks_like_pii;

/// What a scrub looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Email addresses only (`emails_inside`).
    Emails,
    /// Emails, IPv4/IPv6 addresses and phone numbers (`pii_inside`).
    All,
}

/// Can `bytes` hold anything [`scrub`] would replace? Cheap: memchr for `@` and `:`, a digit
/// count for IPv4 and phones.
pub fn might_hold_pii(bytes: &[u8], targets: Targets) -> bool {
    if memchr::memchr(b'@', bytes).is_some() {
        return true;
    }
    if targets == Targets::Emails {
        return false;
    }
    memchr::memchr(b':', bytes).is_some()
        || bytes.iter().filter(|b| b.is_ascii_digit()).nth(3).is_some()
}

/// Bytes that may be part of an email token.
const fn email_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'@')
}

/// Bytes that may be part of an IP token (IPv6 holds `:`, IPv4-mapped ones `.` too).
const fn ip_char(c: u8) -> bool {
    c.is_ascii_hexdigit() || matches!(c, b'.' | b':')
}

/// Bytes a phone number may be written with.
fn phone_char(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'(' | b')' | b'/' | b'+' | b'.')
}

fn word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// What one value holds anywhere, known before its tokens are looked at: an email needs an
/// `@`, an IPv6 address a `:`, and an IPv4 address or a phone number starts with a digit, `+`
/// or `(`. Text is mostly words that can start none of them, so the scan jumps over those.
#[derive(Debug, Clone, Copy)]
struct Hints {
    at: bool,
    colon: bool,
}

impl Hints {
    fn of(bytes: &[u8], targets: Targets) -> Self {
        Self {
            at: memchr::memchr(b'@', bytes).is_some(),
            colon: targets == Targets::All && has_address_colon(bytes),
        }
    }

    /// Can a token start with `c` in this value?
    fn can_start(self, c: u8) -> bool {
        START_TABLES[usize::from(self.at) * 2 + usize::from(self.colon)][usize::from(c)]
    }
}

/// Does `bytes` hold a `:` between two address bytes? Every IPv6 address does (`fe80::1`,
/// `::1`, `a::`); a URL's `https://` and most of a serialized value's `s:5:"` do not.
fn has_address_colon(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b':', bytes)
        .any(|i| i > 0 && ip_char(bytes[i - 1]) && bytes.get(i + 1).is_some_and(|&c| ip_char(c)))
}

/// Which bytes can start a token, for each `(at, colon)` of [`Hints`] (index `at * 2 + colon`).
static START_TABLES: [[bool; 256]; 4] = [
    start_table(false, false),
    start_table(false, true),
    start_table(true, false),
    start_table(true, true),
];

const fn start_table(at: bool, colon: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_digit()
            || b == b'+'
            || b == b'('
            || (colon && (b == b':' || b.is_ascii_hexdigit()))
            || (at && email_char(b));
        c += 1;
    }
    table
}

/// A token found at the start of `tail`: its length and kind. `prev` is the byte before it.
fn token_at(
    tail: &[u8],
    prev: Option<u8>,
    targets: Targets,
    hints: Hints,
) -> Option<(usize, PiiKind)> {
    let first = *tail.first()?;
    let boundary = !prev.is_some_and(|p| word_char(p) || matches!(p, b'.' | b'@' | b'-' | b'+'));
    if !boundary {
        return None;
    }
    if hints.at && email_char(first) {
        let end = tail
            .iter()
            .position(|&c| !email_char(c))
            .unwrap_or(tail.len());
        let run = &tail[..end];
        if memchr::memchr(b'@', run).is_some() {
            let t = trim_end(run, b".-");
            if looks_like_pii(as_str(t)) == Some(PiiKind::Email) {
                return Some((t.len(), PiiKind::Email));
            }
            return None;
        }
    }
    if targets == Targets::Emails {
        return None;
    }
    // A token starting with a hex letter can only be an IPv6 address, which holds a `:`.
    if ip_char(first) && (first.is_ascii_digit() || hints.colon) {
        let end = tail.iter().position(|&c| !ip_char(c)).unwrap_or(tail.len());
        let followed_by_word = tail.get(end).is_some_and(|&c| word_char(c));
        if !followed_by_word && let Some(len) = ip_len(trim_end(&tail[..end], b".")) {
            return Some((len, PiiKind::Ip));
        }
    }
    if first.is_ascii_digit() || first == b'+' || first == b'(' {
        return phone_at(tail);
    }
    None
}

/// Length of the IP address `run` holds (an IPv4 address may carry a `:port`).
fn ip_len(run: &[u8]) -> Option<usize> {
    let personal = |t: &[u8]| {
        t.iter().any(u8::is_ascii_digit)
            && as_str(t)
                .parse::<IpAddr>()
                .is_ok_and(|ip| !ip.is_loopback() && !ip.is_unspecified())
    };
    if personal(run) {
        return Some(run.len());
    }
    let colon = memchr::memrchr(b':', run)?;
    let (host, port) = (&run[..colon], &run[colon + 1..]);
    (memchr::memchr(b':', host).is_none() && port.iter().all(u8::is_ascii_digit) && personal(host))
        .then_some(host.len())
}

/// A phone number at the start of `tail`: single spaces may separate digit groups when the
/// number is written internationally (`+49 171 …`) or with a trunk prefix (`030 …`, `(030) …`).
fn phone_at(tail: &[u8]) -> Option<(usize, PiiKind)> {
    let mut end = 0;
    while end < tail.len() && phone_char(tail[end]) {
        // Two spaces in a row end a number.
        if tail[end] == b' ' && tail.get(end + 1) == Some(&b' ') {
            break;
        }
        end += 1;
    }
    let mut t = trim_end(&tail[..end], b" -/.(+");
    // A number ends at its last digit (or a closing parenthesis of an area code).
    while t.last().is_some_and(|&c| c == b')') && !t.contains(&b'(') {
        t = &t[..t.len() - 1];
    }
    // A word glued to the last digit makes it no number ("2345678abc"); a word after the
    // separators that end it ("+49 171 2345678 oder") does not.
    if tail.get(t.len()).is_some_and(|&c| word_char(c)) {
        return None;
    }
    let s = as_str(t);
    let spaced = s.contains(' ');
    let prefixed = s.starts_with('+') || s.starts_with('0') || s.starts_with('(');
    if (!spaced || prefixed) && looks_like_pii(s) == Some(PiiKind::Phone) {
        return Some((t.len(), PiiKind::Phone));
    }
    None
}

fn trim_end<'a>(mut t: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while t.last().is_some_and(|c| chars.contains(c)) {
        t = &t[..t.len() - 1];
    }
    t
}

fn as_str(b: &[u8]) -> &str {
    // Tokens are ASCII runs cut at ASCII bytes of a `str`, so this never fails.
    std::str::from_utf8(b).unwrap_or("")
}

fn kind_of(p: PiiKind) -> Kind {
    match p {
        PiiKind::Email => Kind::Email,
        PiiKind::Ip => Kind::Ip,
        PiiKind::Phone => Kind::Phone,
    }
}

/// Replaces every email (and, for [`Targets::All`], IP and phone) token of `text` with its
/// pseudonym; everything around the tokens stays byte for byte.
pub fn scrub(text: &str, targets: Targets, ctx: &mut ApplyCtx<'_>) -> String {
    let bytes = text.as_bytes();
    if !might_hold_pii(bytes, targets) {
        return text.to_string();
    }
    let hints = Hints::of(bytes, targets);
    let in_word = |c: u8| word_char(c) || c >= 0x80;
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        // Bytes that cannot start a token are passed over; a word is skipped whole once its
        // first byte starts none (the same positions are tried as a byte-by-byte scan would).
        let Some(skip) = bytes[i..].iter().position(|&c| hints.can_start(c)) else {
            break;
        };
        i += skip;
        let prev = i.checked_sub(1).map(|p| bytes[p]);
        let inside_word = prev.is_some_and(in_word) && in_word(bytes[i]);
        let found = if inside_word {
            None
        } else {
            token_at(&bytes[i..], prev, targets, hints)
        };
        match found {
            Some((len, kind)) => {
                out.push_str(&text[copied..i]);
                out.push_str(&ctx.scalar(&kind_of(kind), &text[i..i + len]));
                i += len;
                copied = i;
            }
            None if in_word(bytes[i]) => {
                // No token starts inside a word: skip the rest of it (UTF-8 bytes included).
                i += 1;
                while i < bytes.len() && in_word(bytes[i]) {
                    i += 1;
                }
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Keys of request headers that carry client addresses (Akismet's `SERVER_REMOTE_ADDR`,
/// `SERVER_HTTP_X_FORWARDED_FOR`, `HTTP_CLIENT_IP`, …).
pub fn is_address_header(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("_addr") || k.contains("forwarded") || k.contains("client_ip")
}

/// A header value of addresses: each comma-separated part becomes an IP pseudonym.
pub fn scrub_address_list(value: &str, ctx: &mut ApplyCtx<'_>) -> String {
    value
        .split(',')
        .map(|part| {
            let t = part.trim();
            if t.is_empty() {
                return part.to_string();
            }
            let start = part.len() - part.trim_start().len();
            let end = start + t.len();
            format!(
                "{}{}{}",
                &part[..start],
                ctx.scalar(&Kind::Ip, t),
                &part[end..]
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
#[path = "../tests/scrub.rs"]
mod tests;

#[cfg(test)]
#[path = "../tests/scrub_scan.rs"]
mod scan_tests;
