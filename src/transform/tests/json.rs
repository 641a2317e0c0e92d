use super::*;
use crate::transform::visit::SkipReason;

struct Rep;
impl LeafVisitor for Rep {
    fn leaf(&mut self, _k: Option<&[u8]>, v: &[u8]) -> Result<Option<Vec<u8>>, TransformError> {
        let s = String::from_utf8_lossy(v);
        Ok(s.contains("old.example")
            .then(|| s.replace("old.example", "new.example").into_bytes()))
    }
    fn skipped(&mut self, _r: SkipReason, _b: &[u8]) -> Result<(), TransformError> {
        Ok(())
    }
}

fn walk(doc: &str) -> JsonWalk {
    walk_strings(doc, &mut Rep).expect("no visitor error")
}

#[test]
fn keeps_escaped_slash_style() {
    let doc = r#"{"url":"https:\/\/old.example\/a","n":1.50,"k":"old.example"}"#;
    assert_eq!(
        walk(doc),
        JsonWalk::Changed(
            r#"{"url":"https:\/\/new.example\/a","n":1.50,"k":"new.example"}"#.into()
        )
    );
}

#[test]
fn keeps_plain_style_and_unicode_escapes() {
    let doc = "[ {\"u\": \"https://old.example/é\"} ]";
    assert_eq!(
        walk(doc),
        JsonWalk::Changed("[ {\"u\": \"https://new.example/é\"} ]".into())
    );
    let esc = r#"{"t":"caf\u00e9 https:\/\/old.example"}"#;
    assert_eq!(
        walk(esc),
        JsonWalk::Changed(r#"{"t":"caf\u00e9 https:\/\/new.example"}"#.into())
    );
}

#[test]
fn member_names_untouched() {
    assert_eq!(walk(r#"{"old.example":"x"}"#), JsonWalk::Unchanged);
}

#[test]
fn invalid_documents() {
    for d in [
        "{",
        "[1,]",
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
        "[1] x",
        "{'a':1}",
        "[\"\\ud800\"]",
    ] {
        assert_eq!(walk(d), JsonWalk::Invalid, "{d}");
    }
}

#[test]
fn encode_decode_round_trip() {
    for s in ["plain", "a/b \"q\" \\ \n\t\u{1}", "ü😀"] {
        for style in [
            JsonStyle::default(),
            JsonStyle {
                escape_slash: true,
                escape_unicode: true,
            },
        ] {
            let mut out = String::new();
            encode_string(s, style, &mut out);
            assert_eq!(decode_string(out.as_bytes()).as_deref(), Some(s));
        }
    }
}

#[test]
fn deep_documents_are_invalid_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(walk(&deep), JsonWalk::Invalid);
    let ok = format!("{}\"old.example\"{}", "[".repeat(100), "]".repeat(100));
    assert!(matches!(walk(&ok), JsonWalk::Changed(_)));
}
