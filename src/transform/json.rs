//! JSON string-leaf rewriting that keeps everything else byte-exact.
//!
//! The document is validated by a small scanner that records where each
//! string *value* sits (member names are keys and stay untouched). Only the
//! strings the visitor changes are re-encoded, in the document's own style:
//! `\/` for slashes when the document uses it (WordPress `json_encode`
//! default), `\uXXXX` for non-ASCII when the document escapes Unicode.

use std::ops::Range;

use super::error::TransformError;
use super::visit::LeafVisitor;

const MAX_DEPTH: usize = 128;

struct StrTok {
    span: Range<usize>,
    key: Option<Range<usize>>,
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    toks: Vec<StrTok>,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        if self.b.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        loop {
            let c = *self.b.get(self.pos)?;
            self.pos += 1;
            match c {
                b'"' => return Some(start..self.pos),
                b'\\' => {
                    let e = *self.b.get(self.pos)?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let unit = hex4(self.b.get(self.pos..self.pos + 4)?)?;
                            self.pos += 4;
                            if (0xdc00..0xe000).contains(&unit) {
                                return None;
                            }
                            if (0xd800..0xdc00).contains(&unit) {
                                if self.b.get(self.pos..self.pos + 2)? != b"\\u" {
                                    return None;
                                }
                                let lo = hex4(self.b.get(self.pos + 2..self.pos + 6)?)?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return None;
                                }
                                self.pos += 6;
                            }
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {}
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.b.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<()> {
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return None,
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn value(&mut self, depth: usize, key: Option<Range<usize>>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.b.get(self.pos)? {
            b'"' => {
                let span = self.string()?;
                self.toks.push(StrTok { span, key });
            }
            b'{' => {
                self.pos += 1;
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.pos) != Some(&b':') {
                        return None;
                    }
                    self.pos += 1;
                    self.value(depth + 1, Some(k))?;
                    self.ws();
                    match self.b.get(self.pos)? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.value(depth + 1, None)?;
                    self.ws();
                    match self.b.get(self.pos)? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => self.number()?,
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }
}

/// True when the trimmed text starts like a JSON object or array.
pub fn looks_like_json(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// Decodes the content of a JSON string token (quotes included in `tok`),
/// borrowing when it has no escapes.
pub fn decode_str(tok: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = tok.get(1..tok.len().checked_sub(1)?)?;
    if !inner.contains('\\') {
        return Some(std::borrow::Cow::Borrowed(inner));
    }
    decode_string(tok.as_bytes()).map(std::borrow::Cow::Owned)
}

/// Decodes the content of a JSON string token (quotes included in `tok`).
pub fn decode_string(tok: &[u8]) -> Option<String> {
    let inner = tok.get(1..tok.len().checked_sub(1)?)?;
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let start = i;
        while i < inner.len() && inner[i] != b'\\' {
            i += 1;
        }
        out.push_str(std::str::from_utf8(&inner[start..i]).ok()?);
        if i >= inner.len() {
            break;
        }
        let e = *inner.get(i + 1)?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(inner.get(i..i + 4)?)?;
                i += 4;
                if (0xd800..0xdc00).contains(&hi) {
                    if inner.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let lo = hex4(inner.get(i + 2..i + 6)?)?;
                    if !(0xdc00..0xe000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))?
                } else {
                    char::from_u32(hi)?
                }
            }
            _ => return None,
        };
        out.push(ch);
    }
    Some(out)
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() != 4 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok()
}

/// How a document escapes things.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonStyle {
    pub escape_slash: bool,
    pub escape_unicode: bool,
}

impl JsonStyle {
    pub fn detect(doc: &str) -> Self {
        JsonStyle {
            escape_slash: doc.contains("\\/"),
            escape_unicode: doc.is_ascii() && doc.contains("\\u"),
        }
    }
}

/// Encodes a string as a JSON string token in the given style.
pub fn encode_string(s: &str, style: JsonStyle, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (style.escape_unicode && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Result of [`walk_strings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonWalk {
    /// Not a valid JSON document.
    Invalid,
    Unchanged,
    Changed(String),
}

/// Walks every string value of a JSON document. Member names are passed as
/// keys and never rewritten.
pub fn walk_strings(doc: &str, vis: &mut dyn LeafVisitor) -> Result<JsonWalk, TransformError> {
    let mut sc = Scanner {
        b: doc.as_bytes(),
        pos: 0,
        toks: Vec::new(),
    };
    if sc.value(0, None).is_none() {
        return Ok(JsonWalk::Invalid);
    }
    sc.ws();
    if sc.pos != doc.len() {
        return Ok(JsonWalk::Invalid);
    }
    let style = JsonStyle::detect(doc);
    let mut out = String::new();
    let mut last = 0;
    for tok in &sc.toks {
        // The scanner validated every escape, so decoding cannot fail.
        let Some(text) = decode_str(&doc[tok.span.clone()]) else {
            return Ok(JsonWalk::Invalid);
        };
        let key = tok.key.as_ref().and_then(|k| decode_str(&doc[k.clone()]));
        let Some(new) = vis.leaf(key.as_deref().map(str::as_bytes), text.as_bytes())? else {
            continue;
        };
        let Ok(new) = String::from_utf8(new) else {
            continue;
        };
        if new == text {
            continue;
        }
        if out.is_empty() {
            out.reserve(doc.len() + 64);
        }
        out.push_str(&doc[last..tok.span.start]);
        encode_string(&new, style, &mut out);
        last = tok.span.end;
    }
    if last == 0 {
        return Ok(JsonWalk::Unchanged);
    }
    out.push_str(&doc[last..]);
    Ok(JsonWalk::Changed(out))
}

#[cfg(test)]
#[path = "tests/json.rs"]
mod tests;
