use super::*;
use crate::transform::url::{UploadsMode, UrlRewrite};

fn urls() -> UrlRewriter {
    UrlRewriter::new(
        &[UrlRewrite {
            from: "https://www.client.example".into(),
            to: "https://pr-42.up.railway.app".into(),
        }],
        &UploadsMode::Rewrite,
    )
    .expect("valid")
}

fn run(s: &str) -> (Option<String>, Vec<SkipReason>, u64) {
    let u = urls();
    let mut rw = TextRewriter::new(&u);
    let out = rw.rewrite(s).expect("no error");
    (out, rw.skipped, rw.counts.replaced)
}

fn ser(s: &str) -> String {
    format!("s:{}:\"{s}\";", s.len())
}

#[test]
fn serialized_lengths_recomputed() {
    let (out, _, n) = run("a:1:{s:4:\"home\";s:26:\"https://www.client.example\";}");
    assert_eq!(
        out.as_deref(),
        Some("a:1:{s:4:\"home\";s:28:\"https://pr-42.up.railway.app\";}")
    );
    assert_eq!(n, 1);
}

#[test]
fn nested_serialized_outer_length_fixed() {
    let inner = "a:1:{s:3:\"url\";s:28:\"https://www.client.example/x\";}";
    let outer = format!("a:1:{{s:4:\"data\";{}}}", ser(inner));
    let (out, _, _) = run(&outer);
    let new_inner = "a:1:{s:3:\"url\";s:30:\"https://pr-42.up.railway.app/x\";}";
    assert_eq!(
        out,
        Some(format!("a:1:{{s:4:\"data\";{}}}", ser(new_inner)))
    );
}

#[test]
fn json_inside_serialized_and_serialized_inside_json() {
    let json = r#"{"link":"https:\/\/www.client.example\/p"}"#;
    let (out, _, _) = run(&format!("a:1:{{i:0;{}}}", ser(json)));
    let new_json = r#"{"link":"https:\/\/pr-42.up.railway.app\/p"}"#;
    assert_eq!(out, Some(format!("a:1:{{i:0;{}}}", ser(new_json))));

    let s = "a:1:{i:0;s:26:\"https://www.client.example\";}";
    let doc = format!("{{\"blob\":{}}}", serde_json::to_string(s).expect("json"));
    let (out, _, _) = run(&doc);
    let new_s = "a:1:{i:0;s:28:\"https://pr-42.up.railway.app\";}";
    assert_eq!(
        out,
        Some(format!(
            "{{\"blob\":{}}}",
            serde_json::to_string(new_s).expect("json")
        ))
    );
}

#[test]
fn corrupt_and_mixed_are_skipped() {
    let (out, skipped, _) = run("a:1:{s:3:\"url\";s:99:\"https://www.client.example\";}");
    assert_eq!((out, skipped), (None, vec![SkipReason::CorruptSerialized]));
    let (out, skipped, _) =
        run("Some notes\na:1:{s:3:\"url\";s:26:\"https://www.client.example\";}");
    assert_eq!((out, skipped), (None, vec![SkipReason::MixedSerialized]));
    let (out, skipped, _) = run("a:1:{s:1:\"x\";s:1:\"y\";}");
    assert_eq!((out, skipped), (None, vec![]));
}

#[test]
fn whitespace_around_serialized_kept() {
    let (out, _, _) = run(" s:26:\"https://www.client.example\";\n");
    assert_eq!(
        out.as_deref(),
        Some(" s:28:\"https://pr-42.up.railway.app\";\n")
    );
}

#[test]
fn plain_text_and_block_markup() {
    let html = "<!-- wp:image {\"url\":\"https://www.client.example/a.png\"} --><img src=\"https://www.client.example/a.png\"/> mail info@www.client.example";
    let (out, _, n) = run(html);
    assert_eq!(n, 2);
    assert!(
        out.expect("changed")
            .ends_with("mail info@www.client.example")
    );
}

/// Rewrites tricky values, then lets PHP judge them: `unserialize()` must
/// succeed and walking the result must find no old URL.
#[test]
fn php_judges_rewritten_values() {
    let long = format!("https://www.client.example/{}", "é".repeat(40));
    let inner = "a:2:{s:3:\"url\";s:26:\"https://www.client.example\";s:1:\"n\";i:3;}".to_string();
    let values = vec![
        "s:26:\"https://www.client.example\";".to_string(),
        format!(
            "a:2:{{i:0;{}i:1;{}}}",
            ser(&long),
            ser("//www.client.example/x")
        ),
        format!(
            "O:17:\"Vendor_Plugin_Cfg\":2:{{s:4:\"home\";{}s:4:\"self\";r:1;}}",
            ser("http://client.example/")
        ),
        format!("a:1:{{s:4:\"wrap\";{}}}", ser(&inner)),
        format!(
            "a:1:{{s:4:\"json\";{}}}",
            ser(r#"{"u":"https:\/\/www.client.example\/a","v":[1,"https:\/\/client.example"]}"#)
        ),
        format!(
            "a:1:{{s:3:\"enc\";{}}}",
            ser("?redirect_to=https%3A%2F%2Fwww.client.example%2Fwp-admin%2F")
        ),
        format!("C:15:\"Legacy_Iterator\":{}:{{{}}}", inner.len(), inner),
        format!(
            "a:2:{{i:0;O:8:\"stdClass\":1:{{s:1:\"a\";{}}}i:1;R:2;}}",
            ser("https://www.client.example/ü")
        ),
        format!(
            "a:1:{{s:5:\"quote\";{}}}",
            ser("say \";} https://www.client.example \"quoted\"")
        ),
        format!(
            "a:2:{{i:0;E:11:\"Suit:Hearts\";i:1;{}}}",
            ser("https://www.client.example")
        ),
    ];
    let rewritten: Vec<String> = values
        .iter()
        .map(|v| run(v).0.unwrap_or_else(|| panic!("unchanged: {v}")))
        .collect();
    let verdict = php_judge(&rewritten);
    assert!(
        verdict.contains("ALL OK"),
        "PHP says:\n{verdict}\nvalues:\n{rewritten:#?}"
    );
    // Control: the judge does see old URLs and corrupt values.
    let control = php_judge(&[values[0].clone(), "s:5:\"abc\";".to_string()]);
    assert!(
        control.contains("old URL left: 0") && control.contains("unserialize failed: 1"),
        "{control}"
    );
}

fn php_judge(values: &[String]) -> String {
    let php = r#"
$vals = json_decode(file_get_contents('php://stdin'), true);
if (!is_array($vals)) { echo "bad input\n"; exit(2); }
enum Suit { case Hearts; }
function has_old($s) {
  foreach (['//www.client.example', '//client.example', '\/\/www.client.example', '\/\/client.example', '%2F%2Fwww.client.example', '%2F%2Fclient.example'] as $n) {
    if (strpos($s, $n) !== false) return true;
  }
  return false;
}
function clean($v, $d) {
  if ($d > 20) return true;
  if (is_object($v)) $v = (array) $v;
  if (is_array($v)) { foreach ($v as $x) { if (!clean($x, $d + 1)) return false; } return true; }
  if (!is_string($v)) return true;
  if (has_old($v)) return false;
  try { $u = @unserialize($v); } catch (Throwable $e) { $u = false; }
  if ($u !== false) return clean($u, $d + 1);
  $j = json_decode($v, true);
  if (is_array($j)) return clean($j, $d + 1);
  return true;
}
$bad = 0;
foreach ($vals as $i => $s) {
  try { $u = @unserialize($s); } catch (Throwable $e) { $u = false; }
  if ($u === false) { echo "unserialize failed: $i\n"; $bad++; continue; }
  if (!clean($u, 0)) { echo "old URL left: $i\n"; $bad++; }
}
echo $bad === 0 ? "ALL OK\n" : "BAD\n";
"#;
    let mut child = std::process::Command::new("php")
        .args(["-r", php])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("php-cli is required for this test (/usr/bin/php)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(values).expect("json").as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("php ran");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    format!("{text}\n{err}")
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("https://www.client.example/a".to_string()),
            Just("http:\\/\\/client.example\\/b".to_string()),
            Just("//www.client.example".to_string()),
            Just("x@client.example".to_string()),
            Just("https%3A%2F%2Fclient.example%2F".to_string()),
            "[a-zé \"';:{}]{0,8}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(piece(), 0..5).prop_map(|v| v.join(" "))
    }

    fn serialized() -> impl Strategy<Value = String> {
        let leaf = text().prop_map(|t| ser(&t));
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                    let body: String = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("i:{i};{v}"))
                        .collect();
                    format!("a:{}:{{{body}}}", items.len())
                }),
                inner.prop_map(|v| ser(&v)),
            ]
        })
    }

    proptest! {
        #[test]
        fn rewritten_serialized_reparses_without_old_urls(v in serialized()) {
            prop_assert!(crate::transform::php::parse(v.as_bytes()).is_ok());
            let (out, skipped, _) = run(&v);
            prop_assert!(skipped.is_empty());
            let out = out.unwrap_or(v);
            prop_assert!(crate::transform::php::parse(out.as_bytes()).is_ok());
            let (again, _, n) = run(&out);
            prop_assert_eq!((again, n), (None, 0));
            prop_assert!(!out.contains("//www.client.example") && !out.contains("\\/\\/client.example"));
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,60}", t in text()) {
            let _first = run(&s);
            let _second = run(&format!("{s}{t}"));
        }
    }
}

#[test]
fn deep_nesting_is_skipped_not_crashed() {
    let mut v = "https://www.client.example".to_string();
    for _ in 0..20 {
        v = ser(&v);
    }
    let (out, skipped, _) = run(&v);
    assert_eq!(out, None);
    assert_eq!(skipped, vec![SkipReason::TooDeep]);
    let mut shallow = "https://www.client.example".to_string();
    for _ in 0..5 {
        shallow = ser(&shallow);
    }
    let out = run(&shallow).0.expect("rewritten");
    assert!(crate::transform::php::parse(out.as_bytes()).is_ok() && out.contains("pr-42"));
}
