//! Minimal PHP `serialize()` writer. Lengths are byte counts (`str::len`),
//! which is exactly what PHP writes for multibyte UTF-8 strings.

use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub(crate) enum Key {
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone)]
pub(crate) enum Php {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<(Key, Php)>),
    /// Object of any class, public properties only: protected/private ones
    /// would need NUL bytes, which PostgreSQL text cannot store.
    Obj(String, Vec<(String, Php)>),
    /// `R:n;` — PHP reference to value slot `n` (1-based, keys not counted).
    Ref(u32),
    /// `r:n;` — object handle reference to value slot `n`.
    ObjRef(u32),
}

impl Php {
    pub(crate) fn s(v: impl Into<String>) -> Php {
        Php::Str(v.into())
    }

    /// Associative array with string keys. Keys must not be decimal
    /// integers: PHP turns those into int keys (use `Php::Arr` + `Key::Int`).
    pub(crate) fn map<K: Into<String>>(items: Vec<(K, Php)>) -> Php {
        Php::Arr(
            items
                .into_iter()
                .map(|(k, v)| (Key::Str(k.into()), v))
                .collect(),
        )
    }

    /// List with keys 0..n.
    pub(crate) fn list(items: Vec<Php>) -> Php {
        Php::Arr(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Key::Int(i as i64), v))
                .collect(),
        )
    }

    pub(crate) fn obj<K: Into<String>>(class: &str, props: Vec<(K, Php)>) -> Php {
        Php::Obj(
            class.to_string(),
            props.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }

    pub(crate) fn to_php(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Php::Null => out.push_str("N;"),
            Php::Bool(b) => out.push_str(if *b { "b:1;" } else { "b:0;" }),
            Php::Int(i) => {
                // fmt::Write on String never fails; nothing to handle.
                write!(out, "i:{i};").ok();
            }
            Php::Float(f) => {
                // Rust's shortest round-trip Display matches PHP's
                // serialize_precision=-1 for the moderate values we emit.
                write!(out, "d:{f};").ok();
            }
            Php::Str(s) => write_str(out, s),
            Php::Arr(items) => {
                write!(out, "a:{}:{{", items.len()).ok();
                for (k, v) in items {
                    match k {
                        Key::Int(i) => {
                            write!(out, "i:{i};").ok();
                        }
                        Key::Str(s) => write_str(out, s),
                    }
                    v.write(out);
                }
                out.push('}');
            }
            Php::Obj(class, props) => {
                write!(out, "O:{}:\"{}\":{}:{{", class.len(), class, props.len()).ok();
                for (k, v) in props {
                    write_str(out, k);
                    v.write(out);
                }
                out.push('}');
            }
            Php::Ref(n) => {
                write!(out, "R:{n};").ok();
            }
            Php::ObjRef(n) => {
                write!(out, "r:{n};").ok();
            }
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    write!(out, "s:{}:\"", s.len()).ok();
    out.push_str(s);
    out.push_str("\";");
}

/// Strict checker for serialized values used by the tests: verifies every
/// `s:N` byte length and that references point at an existing value slot.
#[cfg(test)]
pub(crate) fn check(input: &[u8]) -> Result<(), String> {
    struct P<'a> {
        b: &'a [u8],
        i: usize,
        slots: u32,
    }
    impl P<'_> {
        fn expect(&mut self, c: u8) -> Result<(), String> {
            if self.b.get(self.i) == Some(&c) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected '{}' at {}", c as char, self.i))
            }
        }
        fn until(&mut self, c: u8) -> Result<&[u8], String> {
            let start = self.i;
            while self.i < self.b.len() && self.b[self.i] != c {
                self.i += 1;
            }
            let s = &self.b[start..self.i];
            self.expect(c)?;
            Ok(s)
        }
        fn num(&mut self, end: u8) -> Result<i64, String> {
            let at = self.i;
            let s = self.until(end)?;
            std::str::from_utf8(s)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("bad number at {at}"))
        }
        fn string(&mut self) -> Result<(), String> {
            let n = self.num(b':')? as usize;
            self.expect(b'"')?;
            if self.i + n > self.b.len() {
                return Err(format!("string length {n} overruns at {}", self.i));
            }
            self.i += n;
            self.expect(b'"')?;
            self.expect(b';')
        }
        fn key(&mut self) -> Result<(), String> {
            let t = self.b.get(self.i).copied();
            self.i += 1;
            self.expect(b':')?;
            match t {
                Some(b'i') => self.num(b';').map(|_| ()),
                Some(b's') => self.string(),
                _ => Err(format!("bad key at {}", self.i)),
            }
        }
        fn value(&mut self) -> Result<(), String> {
            self.slots += 1;
            let t = self.b.get(self.i).copied();
            self.i += 1;
            if t == Some(b'N') {
                return self.expect(b';');
            }
            self.expect(b':')?;
            match t {
                Some(b'b') | Some(b'i') => self.num(b';').map(|_| ()),
                Some(b'd') => self.until(b';').map(|_| ()),
                Some(b's') => self.string(),
                Some(b'r') | Some(b'R') => {
                    // PHP gives `r:` a slot of its own, but not `R:`.
                    if t == Some(b'R') {
                        self.slots -= 1;
                    }
                    let n = self.num(b';')?;
                    if n < 1 || n as u32 > self.slots {
                        return Err(format!("reference {n} out of range"));
                    }
                    Ok(())
                }
                Some(b'a') => {
                    let n = self.num(b':')?;
                    self.expect(b'{')?;
                    for _ in 0..n {
                        self.key()?;
                        self.value()?;
                    }
                    self.expect(b'}')
                }
                Some(b'O') => {
                    let n = self.num(b':')? as usize;
                    self.expect(b'"')?;
                    self.i += n;
                    self.expect(b'"')?;
                    self.expect(b':')?;
                    let props = self.num(b':')?;
                    self.expect(b'{')?;
                    for _ in 0..props {
                        self.key()?;
                        self.value()?;
                    }
                    self.expect(b'}')
                }
                _ => Err(format!("unknown type at {}", self.i - 1)),
            }
        }
    }
    let mut p = P {
        b: input,
        i: 0,
        slots: 0,
    };
    p.value()?;
    if p.i != input.len() {
        return Err(format!("trailing bytes at {}", p.i));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_lengths_for_multibyte() {
        let v = Php::map(vec![("name", Php::s("Jürgen 日本 🎉"))]);
        assert_eq!(v.to_php(), "a:1:{s:4:\"name\";s:19:\"Jürgen 日本 🎉\";}");
        assert!(check(v.to_php().as_bytes()).is_ok());
    }

    #[test]
    fn scalars_and_objects() {
        let v = Php::list(vec![
            Php::Null,
            Php::Bool(true),
            Php::Float(0.5),
            Php::Float(1.0),
            Php::obj("stdClass", vec![("a", Php::Int(-3))]),
            Php::ObjRef(6),
            Php::Ref(2),
        ]);
        assert_eq!(
            v.to_php(),
            "a:7:{i:0;N;i:1;b:1;i:2;d:0.5;i:3;d:1;i:4;O:8:\"stdClass\":1:{s:1:\"a\";i:-3;}i:5;r:6;i:6;R:2;}"
        );
        assert!(check(v.to_php().as_bytes()).is_ok());
        assert!(check(b"a:1:{s:5:\"abc\";b:1;}").is_err());
    }
}
