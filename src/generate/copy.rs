//! Writer for PostgreSQL COPY text format rows (see "COPY Text Format" in
//! the PostgreSQL manual): tab between fields, `\N` for NULL, newline at the
//! end of the row, and backslash escapes for bytes that would break framing.

pub(crate) struct Row<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Row<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        Row { buf, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }

    /// A text value, escaped.
    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        escape_into(self.buf, value.as_bytes());
        self
    }

    /// A value known to contain no byte that needs escaping (numbers,
    /// timestamps, fixed identifiers). Skips the scan for speed.
    pub(crate) fn raw(&mut self, value: &str) -> &mut Self {
        self.sep();
        debug_assert!(
            !value.bytes().any(needs_escape),
            "raw field needs escaping: {value:?}"
        );
        self.buf.extend_from_slice(value.as_bytes());
        self
    }

    pub(crate) fn int(&mut self, value: u64) -> &mut Self {
        self.sep();
        push_u64(self.buf, value);
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub(crate) fn opt_int(&mut self, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(crate) fn end(&mut self) {
        self.buf.push(b'\n');
    }
}

fn needs_escape(b: u8) -> bool {
    matches!(b, b'\\' | b'\t' | b'\n' | b'\r' | 0x08 | 0x0b | 0x0c)
}

/// Escapes one field value. Bulk-copies the runs that need no escaping,
/// which keeps HTML bodies at memcpy speed.
pub(crate) fn escape_into(buf: &mut Vec<u8>, value: &[u8]) {
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        if needs_escape(b) {
            buf.extend_from_slice(&value[start..i]);
            buf.push(b'\\');
            buf.push(match b {
                b'\t' => b't',
                b'\n' => b'n',
                b'\r' => b'r',
                0x08 => b'b',
                0x0b => b'v',
                0x0c => b'f',
                other => other, // the backslash itself
            });
            start = i + 1;
        }
    }
    buf.extend_from_slice(&value[start..]);
}

pub(crate) fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Decodes one COPY text row into fields (`None` = NULL). Test helper that
/// mirrors what PostgreSQL does on load.
#[cfg(test)]
pub(crate) fn decode_row(line: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut out = Vec::new();
    for field in line.split(|&b| b == b'\t') {
        if field == b"\\N" {
            out.push(None);
            continue;
        }
        let mut v = Vec::with_capacity(field.len());
        let mut it = field.iter();
        while let Some(&b) = it.next() {
            if b == b'\\' {
                match it.next() {
                    Some(b't') => v.push(b'\t'),
                    Some(b'n') => v.push(b'\n'),
                    Some(b'r') => v.push(b'\r'),
                    Some(b'b') => v.push(0x08),
                    Some(b'v') => v.push(0x0b),
                    Some(b'f') => v.push(0x0c),
                    Some(&o) => v.push(o),
                    None => panic!("dangling backslash in {line:?}"),
                }
            } else {
                v.push(b);
            }
        }
        out.push(Some(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_bytes_and_backslash() {
        let mut buf = Vec::new();
        Row::new(&mut buf)
            .text("a\tb\nc\\d\re\x08\x0b\x0c")
            .null()
            .int(1234567890)
            .text("")
            .text("ü \";")
            .end();
        assert_eq!(
            buf,
            b"a\\tb\\nc\\\\d\\re\\b\\v\\f\t\\N\t1234567890\t\t\xc3\xbc \";\n".to_vec()
        );
        let fields = decode_row(&buf[..buf.len() - 1]);
        assert_eq!(
            fields[0].as_deref(),
            Some(&b"a\tb\nc\\d\re\x08\x0b\x0c"[..])
        );
        assert_eq!(fields[1], None);
        assert_eq!(fields[3].as_deref(), Some(&b""[..]));
    }

    #[test]
    fn literal_backslash_n_is_not_null() {
        let mut buf = Vec::new();
        Row::new(&mut buf).text("\\N").end();
        assert_eq!(buf, b"\\\\N\n".to_vec());
        assert_eq!(decode_row(b"\\\\N")[0].as_deref(), Some(&b"\\N"[..]));
    }
}
