//! Walking and editing parsed PHP values: string-leaf rewriting, detection
//! of serialized-looking text, and setting keys inside arrays/objects.

use std::borrow::Cow;

use super::{Value, parse, to_bytes};
use crate::transform::error::TransformError;
use crate::transform::visit::{LeafVisitor, SkipReason};

/// Calls the visitor on every string leaf (not keys) and replaces the
/// leaves it returns. `C:` payloads are walked only if they parse; otherwise
/// the visitor is told via `skipped`. Returns whether anything changed.
pub fn walk_leaves(
    v: &mut Value<'_>,
    key: Option<&[u8]>,
    vis: &mut dyn LeafVisitor,
) -> Result<bool, TransformError> {
    match v {
        Value::Str(s) => match vis.leaf(key, s)? {
            Some(new) if new.as_slice() != s.as_ref() => {
                *s = Cow::Owned(new);
                Ok(true)
            }
            _ => Ok(false),
        },
        Value::Array(entries) | Value::Object { props: entries, .. } => {
            let mut changed = false;
            for (k, val) in entries.iter_mut() {
                let kb: &[u8] = match k {
                    Value::Str(s) | Value::Int(s) => s,
                    _ => b"",
                };
                changed |= walk_leaves(val, Some(kb), vis)?;
            }
            Ok(changed)
        }
        Value::Custom { payload, .. } => {
            let new = match parse(payload) {
                Ok(mut inner) => {
                    if walk_leaves(&mut inner, key, vis)? {
                        Some(to_bytes(&inner))
                    } else {
                        None
                    }
                }
                Err(_) => {
                    vis.skipped(SkipReason::OpaqueCustomObject, payload)?;
                    None
                }
            };
            match new {
                Some(bytes) => {
                    *payload = Cow::Owned(bytes);
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        _ => Ok(false),
    }
}

/// WordPress `is_serialized()`-style check on the (already trimmed) bytes:
/// a value that *claims* to be serialized. Such values are parsed; if
/// parsing fails they are corrupt and must not be edited as text.
pub fn looks_serialized(b: &[u8]) -> bool {
    if b == b"N;" {
        return true;
    }
    if b.len() < 4 || b[1] != b':' {
        return false;
    }
    let last = b[b.len() - 1];
    if last != b';' && last != b'}' {
        return false;
    }
    match b[0] {
        b's' | b'a' | b'O' | b'C' | b'E' => b[2].is_ascii_digit(),
        b'b' | b'i' | b'd' => true,
        _ => false,
    }
}

/// True when the text holds a serialized fragment (`a:N:{`, `s:N:"`,
/// `O:N:"`) somewhere: editing such text as plain text would corrupt it.
pub fn contains_serialized_fragment(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b':') {
        let colon = i + off;
        i = colon + 1;
        if colon == 0 || !matches!(b[colon - 1], b'a' | b's' | b'O' | b'C') {
            continue;
        }
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            continue;
        }
        let after = &b[i + digits..];
        let fragment = match b[colon - 1] {
            b'a' => after.starts_with(b":{"),
            _ => after.starts_with(b":\""),
        };
        if fragment {
            return true;
        }
    }
    false
}

/// Finds a key (string or int written as text) in array/object entries.
pub fn find_entry_mut<'v, 'a>(
    entries: &'v mut [(Value<'a>, Value<'a>)],
    key: &str,
) -> Option<&'v mut Value<'a>> {
    entries.iter_mut().find_map(|(k, v)| match k {
        Value::Str(s) | Value::Int(s) if s.as_ref() == key.as_bytes() => Some(v),
        _ => None,
    })
}

/// Sets `path` (keys from the top level down) to `new` inside an array or
/// object, creating missing intermediate arrays and keys.
pub fn set_path<'a>(v: &mut Value<'a>, path: &[&str], new: Value<'a>) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *v = new;
        return Ok(());
    };
    let entries = match v {
        Value::Array(e) | Value::Object { props: e, .. } => e,
        _ => {
            return Err(format!(
                "cannot set key {first:?}: the value is not an array or object"
            ));
        }
    };
    if let Some(slot) = find_entry_mut(entries, first) {
        return set_path(slot, rest, new);
    }
    let key = if !first.is_empty()
        && first.bytes().all(|c| c.is_ascii_digit())
        && (first.len() == 1 || !first.starts_with('0'))
    {
        Value::Int(Cow::Owned(first.as_bytes().to_vec()))
    } else {
        Value::Str(Cow::Owned(first.as_bytes().to_vec()))
    };
    let mut slot = if rest.is_empty() {
        Value::Null
    } else {
        Value::Array(Vec::new())
    };
    set_path(&mut slot, rest, new)?;
    entries.push((key, slot));
    Ok(())
}
