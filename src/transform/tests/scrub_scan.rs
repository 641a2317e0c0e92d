//! The scan's shortcuts (hints, jumping over bytes that start no token) find exactly what a
//! byte-by-byte scan that tries every token at every position finds.

use proptest::prelude::*;

use super::*;

/// The scan without shortcuts: every position is tried with every kind of token.
fn scrub_every_position(text: &str, targets: Targets, ctx: &mut ApplyCtx<'_>) -> String {
    let bytes = text.as_bytes();
    let everything = Hints {
        at: true,
        colon: true,
    };
    let mut out = String::new();
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        let prev = i.checked_sub(1).map(|p| bytes[p]);
        match token_at(&bytes[i..], prev, targets, everything) {
            Some((len, kind)) => {
                out.push_str(&text[copied..i]);
                out.push_str(&ctx.scalar(&kind_of(kind), &text[i..i + len]));
                i += len;
                copied = i;
            }
            None if word_char(bytes[i]) || bytes[i] >= 0x80 => {
                i += 1;
                while i < bytes.len() && (word_char(bytes[i]) || bytes[i] >= 0x80) {
                    i += 1;
                }
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn both(text: &str, targets: Targets) -> (String, String) {
    super::tests::run(|ctx| {
        let fast = scrub(text, targets, ctx);
        let slow = if might_hold_pii(text.as_bytes(), targets) {
            scrub_every_position(text, targets, ctx)
        } else {
            text.to_string()
        };
        (fast, slow)
    })
}

/// Pieces that sit at the edges of the shortcuts: tokens glued to words, to UTF-8 letters and
/// to punctuation, hex words, URLs (a `:` without an address), emails and phones.
const PIECES: &[&str] = &[
    " ",
    "  ",
    ",",
    ".",
    "-",
    "+",
    "(",
    ")",
    ":",
    "@",
    "/",
    "\t",
    "Ü",
    "→",
    "\u{a0}",
    "abc",
    "deadbeef",
    "face",
    "Straße",
    "x1",
    "2024-01-31",
    "10.1.2.3",
    "10.1.2.3:8080",
    "fe80::1",
    "2a00:1450::200e",
    "::ffff:10.0.0.1",
    "+49 171 1234567",
    "(030) 1234567",
    "030 1234567",
    "555-123-4567",
    "jane.doe@client.example",
    "a@b",
    "https://www.client-site.example/x",
    "<p>",
    "</p>",
    "\"",
    "1234",
    "7",
];

proptest! {
    #[test]
    fn shortcuts_find_what_every_position_finds(
        picks in proptest::collection::vec(0..PIECES.len(), 0..24),
        emails_only in any::<bool>(),
    ) {
        let text: String = picks.iter().map(|&i| PIECES[i]).collect();
        let targets = if emails_only { Targets::Emails } else { Targets::All };
        let (fast, slow) = both(&text, targets);
        prop_assert_eq!(fast, slow, "input {:?}", text);
    }
}

#[test]
fn a_token_after_a_utf8_letter_is_still_found_where_a_plain_scan_finds_it() {
    for text in [
        "Ü(030) 1234567",
        "Ü+49 171 1234567",
        "→10.1.2.3",
        "Straße 10.1.2.3",
        "abc(030) 1234567 https://x.example",
        "x1 fe80::1, deadbeef",
    ] {
        let (fast, slow) = both(text, Targets::All);
        assert_eq!(fast, slow, "{text}");
    }
    // And the shortcut does find things: a phone after a space, an IPv6 after a URL's colon.
    let (fast, _) = both(
        "call 030 1234567, or fe80::1 via https://x.example",
        Targets::All,
    );
    assert!(!fast.contains("1234567"), "{fast}");
    assert!(!fast.contains("fe80::1"), "{fast}");
}
