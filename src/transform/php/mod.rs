//! PHP `serialize()` grammar: parser, writer and string-leaf rewriter.
//!
//! Grammar handled: `N;` `b:0;` `i:n;` `d:x;` `s:N:"bytes";` (N counts
//! bytes) `a:N:{k v ...}` `O:len:"Class":N:{k v ...}` (any class)
//! `C:len:"Class":N:{payload}` `r:n;` `R:n;` `E:len:"Enum:Case";`.
//! Unchanged parts are re-emitted from their original bytes; string lengths
//! are recomputed from the new content. Keys are never rewritten (they are
//! identifiers: rewriting them would change lookups).

use std::borrow::Cow;

/// Deepest array/object nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// One parsed PHP value borrowing from the input where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// Raw integer text (`-12`).
    Int(Cow<'a, [u8]>),
    /// Raw float text (`0.5`, `INF`).
    Float(Cow<'a, [u8]>),
    Str(Cow<'a, [u8]>),
    Array(Vec<(Value<'a>, Value<'a>)>),
    Object {
        class: Cow<'a, [u8]>,
        props: Vec<(Value<'a>, Value<'a>)>,
    },
    /// `C:` object; payload is opaque unless it parses.
    Custom {
        class: Cow<'a, [u8]>,
        payload: Cow<'a, [u8]>,
    },
    /// `r:n;` (upper = false) or `R:n;` (upper = true).
    Ref {
        upper: bool,
        index: Cow<'a, [u8]>,
    },
    /// `E:len:"Enum:Case";`
    Enum(Cow<'a, [u8]>),
}

/// Where and why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub msg: &'static str,
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn err<T>(&self, msg: &'static str) -> PResult<T> {
        Err(ParseError { pos: self.pos, msg })
    }

    fn expect(&mut self, byte: u8) -> PResult<()> {
        if self.b.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.err("unexpected byte")
        }
    }

    fn uint(&mut self) -> PResult<usize> {
        let start = self.pos;
        let mut n: usize = 0;
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.pos) {
            n = match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(c - b'0')))
            {
                Some(n) => n,
                None => return self.err("number too large"),
            };
            self.pos += 1;
        }
        if self.pos == start {
            return self.err("expected digits");
        }
        Ok(n)
    }

    /// Bytes up to (not including) `;`, consuming the `;`.
    fn until_semicolon(&mut self) -> PResult<&'a [u8]> {
        let start = self.pos;
        let Some(off) = self.b[start..].iter().position(|&c| c == b';') else {
            return self.err("missing ;");
        };
        self.pos = start + off + 1;
        Ok(&self.b[start..start + off])
    }

    /// `N:"bytes"` (length-prefixed quoted bytes).
    fn quoted(&mut self) -> PResult<&'a [u8]> {
        let len = self.uint()?;
        self.expect(b':')?;
        self.expect(b'"')?;
        let s = self.take(len, "length runs past the end")?;
        self.expect(b'"')?;
        Ok(s)
    }

    /// The next `len` bytes as they are; `short` when fewer are left.
    fn take(&mut self, len: usize, short: &'static str) -> PResult<&'a [u8]> {
        let start = self.pos;
        let end = match start.checked_add(len) {
            Some(e) if e <= self.b.len() => e,
            _ => return self.err(short),
        };
        self.pos = end;
        Ok(&self.b[start..end])
    }

    /// `N:"Class":M:` of an object: the class name (never empty) and the count `M`.
    fn class_and_count(&mut self) -> PResult<(&'a [u8], usize)> {
        let class = self.quoted()?;
        if class.is_empty() {
            return self.err("empty class name");
        }
        self.expect(b':')?;
        let n = self.uint()?;
        self.expect(b':')?;
        Ok((class, n))
    }

    fn value(&mut self, depth: usize) -> PResult<Value<'a>> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let Some(&tag) = self.b.get(self.pos) else {
            return self.err("unexpected end");
        };
        self.pos += 1;
        if tag == b'N' {
            self.expect(b';')?;
            return Ok(Value::Null);
        }
        self.expect(b':')?;
        match tag {
            b'b' => self.boolean(),
            b'i' => self.integer(),
            b'd' => self.float(),
            b's' => {
                let s = self.quoted()?;
                self.expect(b';')?;
                Ok(Value::Str(Cow::Borrowed(s)))
            }
            b'r' | b'R' => self.reference(tag == b'R'),
            b'E' => {
                let s = self.quoted()?;
                self.expect(b';')?;
                if !s.contains(&b':') {
                    return self.err("bad enum");
                }
                Ok(Value::Enum(Cow::Borrowed(s)))
            }
            b'a' => {
                let n = self.uint()?;
                self.expect(b':')?;
                let entries = self.entries(n, depth)?;
                Ok(Value::Array(entries))
            }
            b'O' => self.object(depth),
            b'C' => self.custom(),
            _ => {
                self.pos -= 2;
                self.err("unknown type tag")
            }
        }
    }

    /// `b:0;` or `b:1;`, after the tag.
    fn boolean(&mut self) -> PResult<Value<'a>> {
        match self.until_semicolon()? {
            b"0" => Ok(Value::Bool(false)),
            b"1" => Ok(Value::Bool(true)),
            _ => self.err("bad boolean"),
        }
    }

    /// `i:-12;`, after the tag: the digits are kept as written.
    fn integer(&mut self) -> PResult<Value<'a>> {
        let raw = self.until_semicolon()?;
        let digits = raw
            .strip_prefix(b"-")
            .or_else(|| raw.strip_prefix(b"+"))
            .unwrap_or(raw);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return self.err("bad integer");
        }
        Ok(Value::Int(Cow::Borrowed(raw)))
    }

    /// `d:1.5E+3;`, `d:INF;`, `d:NAN;`, after the tag: kept as written.
    fn float(&mut self) -> PResult<Value<'a>> {
        let raw = self.until_semicolon()?;
        let ok = matches!(raw, b"INF" | b"-INF" | b"NAN")
            || (!raw.is_empty()
                && raw.iter().any(u8::is_ascii_digit)
                && raw
                    .iter()
                    .all(|c| c.is_ascii_digit() || b".eE+-".contains(c)));
        if !ok {
            return self.err("bad float");
        }
        Ok(Value::Float(Cow::Borrowed(raw)))
    }

    /// `r:3;` or `R:3;` (`upper`), after the tag.
    fn reference(&mut self, upper: bool) -> PResult<Value<'a>> {
        let raw = self.until_semicolon()?;
        if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
            return self.err("bad reference");
        }
        Ok(Value::Ref {
            upper,
            index: Cow::Borrowed(raw),
        })
    }

    /// `O:5:"Class":N:{props}`, after the tag.
    fn object(&mut self, depth: usize) -> PResult<Value<'a>> {
        let (class, n) = self.class_and_count()?;
        let props = self.entries(n, depth)?;
        Ok(Value::Object {
            class: Cow::Borrowed(class),
            props,
        })
    }

    /// `C:5:"Class":N:{payload}` (a `Serializable` object's own bytes), after the tag.
    fn custom(&mut self) -> PResult<Value<'a>> {
        let (class, n) = self.class_and_count()?;
        self.expect(b'{')?;
        let payload = self.take(n, "payload runs past the end")?;
        self.expect(b'}')?;
        Ok(Value::Custom {
            class: Cow::Borrowed(class),
            payload: Cow::Borrowed(payload),
        })
    }

    fn entries(&mut self, n: usize, depth: usize) -> PResult<Vec<(Value<'a>, Value<'a>)>> {
        self.expect(b'{')?;
        // Each entry needs at least 8 bytes (`i:0;N;` is 6); cap the allocation.
        let mut out = Vec::with_capacity(n.min(self.b.len() / 6 + 1));
        for _ in 0..n {
            let key = self.value(depth + 1)?;
            if !matches!(key, Value::Int(_) | Value::Str(_)) {
                return self.err("array key must be int or string");
            }
            let val = self.value(depth + 1)?;
            out.push((key, val));
        }
        self.expect(b'}')?;
        Ok(out)
    }
}

/// Parses a complete serialized value; trailing bytes are an error.
pub fn parse(input: &[u8]) -> Result<Value<'_>, ParseError> {
    let mut p = Parser { b: input, pos: 0 };
    let v = p.value(0)?;
    if p.pos != input.len() {
        return p.err("trailing bytes after the value");
    }
    Ok(v)
}

fn write_quoted(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    out.extend_from_slice(b":\"");
    out.extend_from_slice(bytes);
    out.push(b'"');
}

fn write_entries(entries: &[(Value<'_>, Value<'_>)], out: &mut Vec<u8>) {
    out.extend_from_slice(entries.len().to_string().as_bytes());
    out.extend_from_slice(b":{");
    for (k, v) in entries {
        write(k, out);
        write(v, out);
    }
    out.push(b'}');
}

/// Serializes a value the way PHP does.
pub fn write(v: &Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"N;"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"b:1;" } else { b"b:0;" }),
        Value::Int(raw) | Value::Float(raw) => {
            out.extend_from_slice(if matches!(v, Value::Int(_)) {
                b"i:"
            } else {
                b"d:"
            });
            out.extend_from_slice(raw);
            out.push(b';');
        }
        Value::Str(s) => {
            out.extend_from_slice(b"s:");
            write_quoted(s, out);
            out.push(b';');
        }
        Value::Array(entries) => {
            out.extend_from_slice(b"a:");
            write_entries(entries, out);
        }
        Value::Object { class, props } => {
            out.extend_from_slice(b"O:");
            write_quoted(class, out);
            out.push(b':');
            write_entries(props, out);
        }
        Value::Custom { class, payload } => {
            out.extend_from_slice(b"C:");
            write_quoted(class, out);
            out.push(b':');
            out.extend_from_slice(payload.len().to_string().as_bytes());
            out.extend_from_slice(b":{");
            out.extend_from_slice(payload);
            out.push(b'}');
        }
        Value::Ref { upper, index } => {
            out.extend_from_slice(if *upper { b"R:" } else { b"r:" });
            out.extend_from_slice(index);
            out.push(b';');
        }
        Value::Enum(s) => {
            out.extend_from_slice(b"E:");
            write_quoted(s, out);
            out.push(b';');
        }
    }
}

/// Serializes to a new buffer.
pub fn to_bytes(v: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    write(v, &mut out);
    out
}

mod walk;

pub use walk::{
    contains_serialized_fragment, find_entry_mut, looks_serialized, set_path, walk_leaves,
};

#[cfg(test)]
#[path = "../tests/php.rs"]
mod tests;
