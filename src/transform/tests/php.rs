use super::*;
use crate::transform::error::TransformError;
use crate::transform::visit::{LeafVisitor, SkipReason};
use proptest::prelude::*;

struct Upper;
impl LeafVisitor for Upper {
    fn leaf(&mut self, _k: Option<&[u8]>, v: &[u8]) -> Result<Option<Vec<u8>>, TransformError> {
        if v.windows(3).any(|w| w == b"old") {
            let s = String::from_utf8_lossy(v).replace("old", "newer");
            return Ok(Some(s.into_bytes()));
        }
        Ok(None)
    }
    fn skipped(&mut self, _r: SkipReason, _b: &[u8]) -> Result<(), TransformError> {
        Ok(())
    }
}

fn rewrite(input: &str) -> Option<String> {
    let mut v = parse(input.as_bytes()).ok()?;
    let changed = walk_leaves(&mut v, None, &mut Upper).ok()?;
    changed.then(|| String::from_utf8(to_bytes(&v)).expect("utf8"))
}

#[test]
fn round_trips_every_type() {
    let cases = [
        "N;",
        "b:0;",
        "b:1;",
        "i:-42;",
        "d:0.5;",
        "d:-INF;",
        "d:1.0E+25;",
        "s:5:\"héé\";",
        "a:0:{}",
        "a:2:{i:0;s:1:\"x\";s:1:\"k\";a:1:{i:0;N;}}",
        "O:8:\"stdClass\":1:{s:1:\"a\";i:1;}",
        "O:11:\"WPML_Config\":1:{s:3:\"url\";r:1;}",
        "a:2:{i:0;a:0:{}i:1;R:2;}",
        "C:11:\"ArrayObject\":21:{x:i:0;a:0:{};m:a:0:{}}",
        "E:11:\"Suit:Hearts\";",
    ];
    for c in cases {
        let v = parse(c.as_bytes()).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        assert_eq!(to_bytes(&v), c.as_bytes(), "{c}");
    }
}

#[test]
fn rejects_corrupt() {
    for c in [
        "s:5:\"abc\";",
        "a:2:{i:0;s:1:\"x\";}",
        "a:1:{i:0;s:1:\"x\";",
        "s:3:\"abc\"",
        "i:;",
        "b:2;",
        "a:1:{a:0:{}i:1;}",
        "x:1;",
        "s:3:\"abc\";trailing",
        "s:99999999999999999999999:\"a\";",
    ] {
        assert!(parse(c.as_bytes()).is_err(), "{c}");
    }
}

#[test]
fn byte_lengths_recomputed_including_multibyte() {
    let out = rewrite("a:1:{s:3:\"url\";s:9:\"old/ünï\";}").expect("changed");
    assert_eq!(out, "a:1:{s:3:\"url\";s:11:\"newer/ünï\";}");
    assert!(parse(out.as_bytes()).is_ok());
}

#[test]
fn keys_untouched_and_any_class_walked() {
    let out = rewrite("O:15:\"Vendor\\Settings\":2:{s:3:\"old\";s:3:\"old\";s:1:\"n\";i:1;}")
        .expect("changed");
    assert_eq!(
        out,
        "O:15:\"Vendor\\Settings\":2:{s:3:\"old\";s:5:\"newer\";s:1:\"n\";i:1;}"
    );
}

#[test]
fn custom_payload_rewritten_only_if_it_parses() {
    let ok = rewrite("C:3:\"Foo\":10:{s:3:\"old\";}").expect("changed");
    assert_eq!(ok, "C:3:\"Foo\":12:{s:5:\"newer\";}");
    let payload = "x:i:0;s:3:\"old\";;m:a";
    let opaque = format!("C:11:\"ArrayObject\":{}:{{{payload}}}", payload.len());
    let opaque = opaque.as_str();
    assert!(parse(opaque.as_bytes()).is_ok());
    assert_eq!(rewrite(opaque), None);
}

#[test]
fn serialized_detection() {
    assert!(looks_serialized(b"a:1:{i:0;i:1;}"));
    assert!(looks_serialized(b"s:1:\"a\";"));
    assert!(looks_serialized(b"N;"));
    assert!(!looks_serialized(b"hello world;"));
    assert!(!looks_serialized(b"a:b;"));
    assert!(contains_serialized_fragment(
        b"text then a:1:{i:0;s:1:\"x\";}"
    ));
    assert!(contains_serialized_fragment(b"note s:3:\"abc\";"));
    assert!(!contains_serialized_fragment(
        b"visit https://x.example/a:1 now"
    ));
}

#[test]
fn set_path_creates_and_replaces() {
    let mut v =
        parse(b"a:2:{s:8:\"testmode\";s:2:\"no\";s:7:\"enabled\";s:3:\"yes\";}").expect("parses");
    set_path(&mut v, &["testmode"], Value::Str(Cow::Borrowed(b"yes"))).expect("set");
    set_path(
        &mut v,
        &["smtp", "host"],
        Value::Str(Cow::Borrowed(b"localhost")),
    )
    .expect("set");
    let out = String::from_utf8(to_bytes(&v)).expect("utf8");
    assert_eq!(
        out,
        "a:3:{s:8:\"testmode\";s:3:\"yes\";s:7:\"enabled\";s:3:\"yes\";s:4:\"smtp\";a:1:{s:4:\"host\";s:9:\"localhost\";}}"
    );
    let mut scalar = parse(b"i:1;").expect("parses");
    assert!(set_path(&mut scalar, &["x"], Value::Null).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut s = String::new();
    for _ in 0..10_000 {
        s.push_str("a:1:{i:0;");
    }
    assert!(parse(s.as_bytes()).is_err());
}

fn leaf() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Int(Cow::Owned(i.to_string().into_bytes()))),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(|b| Value::Str(Cow::Owned(b))),
        "[a-z ]{0,6}(old)?[\"';{}:]{0,3}".prop_map(|s| Value::Str(Cow::Owned(s.into_bytes()))),
    ]
}

fn tree() -> impl Strategy<Value = Value<'static>> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(("[a-z]{1,4}", inner.clone()), 0..5).prop_map(|kv| {
                Value::Array(
                    kv.into_iter()
                        .map(|(k, v)| (Value::Str(Cow::Owned(k.into_bytes())), v))
                        .collect(),
                )
            }),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..4).prop_map(|kv| Value::Object {
                class: Cow::Borrowed(b"My\\Cls"),
                props: kv
                    .into_iter()
                    .map(|(k, v)| (Value::Str(Cow::Owned(k.into_bytes())), v))
                    .collect(),
            }),
        ]
    })
}

/// `bytes` either does not parse or writes back as the same bytes; only a number written with
/// leading zeros (PHP reads `a:00:` as `a:0:`) may be spelled differently, as the same value.
fn refused_or_kept(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(parsed) = parse(bytes) {
        let out = to_bytes(&parsed);
        let again = parse(&out).expect("own output parses");
        prop_assert_eq!(to_bytes(&again), out.clone(), "not the same value");
        if out != bytes {
            let zero_led = bytes
                .windows(3)
                .any(|w| w[0] == b':' && w[1] == b'0' && w[2].is_ascii_digit());
            prop_assert!(
                zero_led,
                "{:?} became {:?}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&out)
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn write_then_parse_round_trips(v in tree()) {
        let bytes = to_bytes(&v);
        let parsed = parse(&bytes).expect("own output parses");
        prop_assert_eq!(to_bytes(&parsed), bytes);
    }

    #[test]
    fn rewritten_output_reparses_and_is_clean(v in tree()) {
        let bytes = to_bytes(&v);
        let mut p = parse(&bytes).expect("parses");
        let changed = walk_leaves(&mut p, None, &mut Upper).expect("walk");
        let out = to_bytes(&p);
        let again = parse(&out).expect("rewritten output parses");
        if changed {
            let mut check = again.clone();
            prop_assert!(!walk_leaves(&mut check, None, &mut Upper).expect("walk"));
        } else {
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = parse(&bytes) {
            prop_assert!(!to_bytes(&v).is_empty());
        }
    }

    /// Text that is almost serialized either is refused or, when it parses, writes back as the
    /// very same bytes (a rewrite of an untouched value never changes it).
    #[test]
    fn near_serialized_text_is_refused_or_kept_byte_for_byte(
        s in "[aisObNdCrRE:;{}\"0-9]{0,40}",
    ) {
        refused_or_kept(s.as_bytes())?;
    }

    /// The same over mutations of real serialized values: one byte changed, dropped or doubled.
    #[test]
    fn a_mutated_serialized_value_is_refused_or_kept_byte_for_byte(
        v in tree(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        how in 0..3u8,
    ) {
        let mut bytes = to_bytes(&v);
        let i = at.index(bytes.len().max(1)).min(bytes.len().saturating_sub(1));
        match how {
            0 if !bytes.is_empty() => bytes[i] = byte,
            1 if !bytes.is_empty() => { bytes.remove(i); }
            _ => bytes.insert(i, byte),
        }
        refused_or_kept(&bytes)?;
    }
}
