//! Writer for PostgreSQL COPY text format rows (see "COPY Text Format" in
//! the PostgreSQL manual): tab between fields, `\N` for NULL, newline at the
//! end of the row, and backslash escapes for bytes that would break framing. The escaping is
//! the transform codec's ([`copy_codec`]), so generated and re-encoded rows agree byte for byte.

use crate::transform::copy_codec;

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
        copy_codec::encode_field(Some(value.as_bytes()), self.buf);
        self
    }

    /// A value known to contain no byte that needs escaping (numbers,
    /// timestamps, fixed identifiers). Skips the scan for speed.
    pub(crate) fn raw(&mut self, value: &str) -> &mut Self {
        self.sep();
        debug_assert!(
            !value.bytes().any(copy_codec::needs_escape),
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
        copy_codec::encode_field(None, self.buf);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::copy_codec::decode_row;

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
        let fields = decode_row(&buf).expect("valid row");
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
        let fields = decode_row(b"\\\\N\n").expect("valid row");
        assert_eq!(fields[0].as_deref(), Some(&b"\\N"[..]));
    }
}
