//! PostgreSQL text-format COPY rows: split, decode and encode.
//!
//! Decoding accepts every escape PostgreSQL accepts on input (`\\ \b \f \n
//! \r \t \v`, octal `\NNN`, hex `\xHH`, any other `\c` = `c`); encoding emits
//! only what `COPY TO` emits (`\\ \b \f \n \r \t \v`), so a decoded and
//! re-encoded `COPY TO` field comes back byte-exact.

use std::borrow::Cow;
use std::ops::Range;

/// A row that is not valid text COPY data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The wire spans of one row's fields (the trailing newline excluded).
/// Spans index into the row slice that was split.
pub fn split_row(row: &[u8], spans: &mut Vec<Range<usize>>) -> Result<(), CodecError> {
    spans.clear();
    let body = match row.split_last() {
        Some((b'\n', body)) => body,
        _ => return Err(CodecError("row does not end with a newline".into())),
    };
    let mut start = 0;
    let mut i = 0;
    // Jump from one special byte to the next: rows are mostly plain text.
    while let Some(off) = memchr::memchr3(b'\\', b'\t', b'\n', &body[i..]) {
        i += off;
        match body[i] {
            b'\\' => {
                if i + 1 >= body.len() {
                    return Err(CodecError("row ends with a lone backslash".into()));
                }
                i += 2;
            }
            b'\t' => {
                spans.push(start..i);
                i += 1;
                start = i;
            }
            _ => return Err(CodecError("unescaped newline inside a row".into())),
        }
        if i >= body.len() {
            break;
        }
    }
    spans.push(start..body.len());
    Ok(())
}

/// True when the wire field is the NULL marker `\N`.
pub fn is_null(wire: &[u8]) -> bool {
    wire == b"\\N"
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one wire field. `None` is SQL NULL.
pub fn decode_field(wire: &[u8]) -> Result<Option<Cow<'_, [u8]>>, CodecError> {
    if is_null(wire) {
        return Ok(None);
    }
    if memchr::memchr(b'\\', wire).is_none() {
        return Ok(Some(Cow::Borrowed(wire)));
    }
    let mut out = Vec::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        // Copy the plain run up to the next backslash in one go.
        let run = memchr::memchr(b'\\', &wire[i..]).unwrap_or(wire.len() - i);
        out.extend_from_slice(&wire[i..i + run]);
        i += run;
        if i >= wire.len() {
            break;
        }
        let Some(&c) = wire.get(i + 1) else {
            return Err(CodecError("field ends with a lone backslash".into()));
        };
        i += 2;
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut val: u32 = u32::from(c - b'0');
                for _ in 0..2 {
                    match wire.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            val = (val << 3) + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // PostgreSQL keeps the low byte of values above 0o377.
                out.push((val & 0xff) as u8);
            }
            b'x' => match wire.get(i).copied().and_then(hex_val) {
                Some(h) => {
                    i += 1;
                    let mut val = h;
                    if let Some(l) = wire.get(i).copied().and_then(hex_val) {
                        val = (val << 4) | l;
                        i += 1;
                    }
                    out.push(val);
                }
                None => out.push(b'x'),
            },
            other => out.push(other),
        }
    }
    Ok(Some(Cow::Owned(out)))
}

/// True for the bytes `COPY TO` writes escaped: the backslash and the control characters with a
/// letter escape (tab and newline among them, which would otherwise break the framing).
pub fn needs_escape(b: u8) -> bool {
    matches!(b, b'\\' | 0x08 | 0x0c | b'\n' | b'\r' | b'\t' | 0x0b)
}

/// Appends the wire form of one field (no separator).
pub fn encode_field(value: Option<&[u8]>, out: &mut Vec<u8>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    // Most values need no escape at all.
    if !value.iter().copied().any(needs_escape) {
        out.extend_from_slice(value);
        return;
    }
    let mut last = 0;
    for (i, &b) in value.iter().enumerate() {
        let esc = match b {
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x0b => b'v',
            _ => continue,
        };
        out.extend_from_slice(&value[last..i]);
        out.push(b'\\');
        out.push(esc);
        last = i + 1;
    }
    out.extend_from_slice(&value[last..]);
}

/// Decodes a whole row (convenience for tests and callers that need every field).
pub fn decode_row(row: &[u8]) -> Result<Vec<Option<Vec<u8>>>, CodecError> {
    let mut spans = Vec::new();
    split_row(row, &mut spans)?;
    spans
        .iter()
        .map(|s| decode_field(&row[s.clone()]).map(|f| f.map(Cow::into_owned)))
        .collect()
}

/// Encodes a whole row including the trailing newline.
pub fn encode_row<T: AsRef<[u8]>>(fields: &[Option<T>], out: &mut Vec<u8>) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        encode_field(f.as_ref().map(AsRef::as_ref), out);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &[u8]) -> Vec<Option<Vec<u8>>> {
        decode_row(s).expect("valid row")
    }

    #[test]
    fn decodes_every_input_escape() {
        let row = b"a\\\\b\\b\\f\\n\\r\\t\\v\t\\101\\x41\\x4\\xZ\\q\t\\N\t\n";
        let f = dec(row);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].as_deref(), Some(&b"a\\b\x08\x0c\n\r\t\x0b"[..]));
        assert_eq!(f[1].as_deref(), Some(&b"AA\x04xZq"[..]));
        assert_eq!(f[2], None);
        assert_eq!(f[3].as_deref(), Some(&b""[..]));
    }

    #[test]
    fn octal_overflow_keeps_low_byte_and_null_only_when_whole() {
        assert_eq!(dec(b"\\777\n")[0].as_deref(), Some(&[0xffu8][..]));
        assert_eq!(dec(b"a\\N\n")[0].as_deref(), Some(&b"aN"[..]));
    }

    #[test]
    fn escaped_tab_is_data_not_separator() {
        let f = dec(b"a\\\tb\tc\n");
        assert_eq!(f, vec![Some(b"a\tb".to_vec()), Some(b"c".to_vec())]);
    }

    #[test]
    fn multibyte_passes_through() {
        let row = "Zoë\tこんにちは\n".as_bytes();
        let f = dec(row);
        assert_eq!(f[1].as_deref(), Some("こんにちは".as_bytes()));
        let mut out = Vec::new();
        encode_row(&f, &mut out);
        assert_eq!(out, row);
    }

    #[test]
    fn rejects_malformed_rows() {
        assert!(decode_row(b"abc").is_err());
        assert!(decode_row(b"abc\\\n").is_err());
        assert!(decode_row(b"a\nb\n").is_err());
    }

    #[test]
    fn json_escaped_slash_travels_doubled() {
        let f = dec(b"https:\\\\/\\\\/host\n");
        assert_eq!(f[0].as_deref(), Some(&b"https:\\/\\/host"[..]));
    }

    fn field() -> impl Strategy<Value = Option<Vec<u8>>> {
        prop_oneof![
            1 => Just(None),
            8 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Some),
        ]
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(fields in proptest::collection::vec(field(), 1..8)) {
            let mut out = Vec::new();
            encode_row(&fields, &mut out);
            prop_assert_eq!(decode_row(&out).expect("own encoding decodes"), fields.clone());
            // COPY TO output re-encodes byte-exact.
            let mut again = Vec::new();
            encode_row(&decode_row(&out).expect("decodes"), &mut again);
            prop_assert_eq!(again, out);
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(fields) = decode_row(&bytes) {
                prop_assert!(!fields.is_empty());
            }
        }
    }
}
