//! Leak detection: hashes of every original e-mail/IP/phone seen in the source and of every
//! such token written to the personal-data columns, compared after the load (no second read of
//! the data), and a cheap heuristic that classifies one token.

use std::collections::HashSet;
use std::net::IpAddr;

use super::anonymize::kinds::{Kind, PiiKind};
use super::anonymize::pii_hash;
use super::anonymize::pseudonym::is_reserved;

/// Snapshot of what the transformers saw (hashes only, no plaintext).
#[derive(Debug, Clone, Default)]
pub struct LeakDetector {
    pub(crate) seen: HashSet<u64>,
    /// Token hashes written to each personal-data column, for the in-stream leak check.
    pub(crate) emitted: Vec<((String, String), Vec<u64>)>,
}

impl LeakDetector {
    /// True when `value` equals (after normalization) an original PII value.
    pub fn leaks(&self, value: &str) -> bool {
        !value.trim().is_empty()
            && [PiiKind::Email, PiiKind::Ip, PiiKind::Phone]
                .into_iter()
                .any(|k| self.seen.contains(&pii_hash(k, value)))
    }

    /// The first personal-data column whose output holds an original email, IP or phone
    /// number (compared by hash; no second read of the data).
    pub fn first_leak(&self) -> Option<(String, String)> {
        self.emitted
            .iter()
            .find(|(_, hashes)| hashes.iter().any(|h| self.seen.contains(h)))
            .map(|(col, _)| col.clone())
    }

    /// Token hashes of one output value, as the leak check records them: the whole value and
    /// every email/IP/phone-looking token inside it (serialized and JSON values included).
    /// Tokens are split at whitespace and at `"';,<>(){}`. Returns whether one of those tokens
    /// is not a pseudonym (not in the reserved ranges): what still looks like personal data after
    /// anonymization, for the report (the windows of spaced phone numbers are not counted: an
    /// order number written in groups would look like one).
    pub fn token_hashes(value: &str, out: &mut Vec<u64>) -> bool {
        let mut remains = false;
        let mut add = |t: &str| {
            if let Some(kind) = looks_like_pii(t) {
                out.push(pii_hash(kind, t));
                remains |= !is_reserved(&Kind::from(kind), t) && !nobodys_address(kind, t);
            }
        };
        let whole = value.trim();
        if whole.is_empty() {
            return false;
        }
        add(whole);
        // Only a token holding an `@`, a `:` or a digit can look like personal data: jump from
        // one such byte to the next (memchr, and a digit search by 32-byte blocks) and classify
        // the token around it; the words between them are never looked at one by one.
        let bytes = whole.as_bytes();
        let (mut cursor, mut mark, mut digit) = (0, None, None);
        while cursor < bytes.len() {
            if mark.is_none_or(|m| m < cursor) {
                mark = memchr::memchr2(b'@', b':', &bytes[cursor..]).map(|m| m + cursor);
            }
            if digit.is_none_or(|d| d < cursor) {
                digit = next_digit(bytes, cursor);
            }
            let Some(anchor) = mark.into_iter().chain(digit).min() else {
                break;
            };
            let start = bytes[cursor..anchor]
                .iter()
                .rposition(|&b| BYTE_CLASS[usize::from(b)] == SEPARATOR)
                .map_or(cursor, |p| cursor + p + 1);
            let end = bytes[anchor..]
                .iter()
                .position(|&b| BYTE_CLASS[usize::from(b)] == SEPARATOR)
                .map_or(bytes.len(), |p| anchor + p);
            let token = &whole[start..end];
            if token.len() < whole.len() || token.contains(char::is_whitespace) {
                token_candidates(token, &mut add);
            }
            cursor = end + 1;
        }
        spaced_phones(whole, out);
        remains
    }

    /// Number of distinct original values recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Loopback and unspecified addresses are nobody's (the scrub leaves them too).
fn nobodys_address(kind: PiiKind, token: &str) -> bool {
    kind == PiiKind::Ip
        && token
            .trim()
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// Adds `token` (cut at ASCII separators) when it may look like personal data: it holds an
/// `@`, a `:` or four digits. With non-ASCII bytes it may still hold Unicode whitespace, where
/// it is cut again.
fn token_candidates(token: &str, add: &mut impl FnMut(&str)) {
    let (mut seen, mut digits) = (0u8, 0usize);
    for &b in token.as_bytes() {
        let class = BYTE_CLASS[usize::from(b)];
        seen |= class;
        digits += usize::from(class == DIGIT);
    }
    if seen & (AT | COLON) == 0 && digits < 4 {
        return;
    }
    if seen & NON_ASCII != 0 {
        token
            .split(char::is_whitespace)
            .filter(|t| !t.is_empty())
            .for_each(add);
    } else {
        add(token);
    }
}

/// The first ASCII digit at or after `from`: blocks without one are passed over whole (the
/// block test has no early exit, so it compiles to vector instructions).
fn next_digit(bytes: &[u8], from: usize) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut i = from;
    while let Some(block) = bytes.get(i..i + BLOCK) {
        if block.iter().fold(false, |any, b| any | b.is_ascii_digit()) {
            break;
        }
        i += BLOCK;
    }
    bytes[i..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| p + i)
}

/// Classes of bytes for the token split: a separator ends a token (ASCII whitespace as
/// `char::is_whitespace` has it, vertical tab included, and the quoting and punctuation of
/// serialized, JSON and HTML values); the others are remembered per token.
const OTHER: u8 = 0;
const AT: u8 = 1;
const COLON: u8 = 2;
const DIGIT: u8 = 4;
const NON_ASCII: u8 = 8;
const SEPARATOR: u8 = 16;

static BYTE_CLASS: [u8; 256] = byte_classes();

const fn byte_classes() -> [u8; 256] {
    let mut table = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = match b {
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b'"' | b'\'' | b';' | b',' | b'<'
            | b'>' | b'(' | b')' | b'{' | b'}' => SEPARATOR,
            b'@' => AT,
            b':' => COLON,
            b'0'..=b'9' => DIGIT,
            0x80..=0xff => NON_ASCII,
            _ => OTHER,
        };
        c += 1;
    }
    table
}

/// Groups of a phone number written with spaces ("+33 6 12 34 56 78") fall apart when a text
/// is split into words, so each run of digit groups between other characters is also hashed as
/// every window of up to six consecutive groups: the number is found inside any sentence.
/// Runs are found from their digits (see [`next_digit`]), so a text without numbers costs one
/// vectorized pass.
fn spaced_phones(text: &str, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    let in_run = |b: u8| b.is_ascii_digit() || b" +-()/".contains(&b);
    let mut cursor = 0;
    while let Some(digit) = next_digit(bytes, cursor) {
        let start = bytes[cursor..digit]
            .iter()
            .rposition(|&b| !in_run(b))
            .map_or(cursor, |p| cursor + p + 1);
        let end = bytes[digit..]
            .iter()
            .position(|&b| !in_run(b))
            .map_or(bytes.len(), |p| digit + p);
        cursor = end;
        let run = &text[start..end];
        if run.bytes().filter(u8::is_ascii_digit).nth(6).is_none() {
            continue;
        }
        phone_windows(run, out);
    }
}

/// Hashes every window of two to six consecutive digit groups of `run` that looks like a phone.
fn phone_windows(run: &str, out: &mut Vec<u64>) {
    let groups: Vec<&str> = run.split_whitespace().collect();
    for start in 0..groups.len() {
        for end in start + 2..=(start + 6).min(groups.len()) {
            let window = groups[start..end].join(" ");
            let window = window.trim_matches(|c: char| "-/(".contains(c));
            if looks_like_phone(window) {
                out.push(pii_hash(PiiKind::Phone, window));
            }
        }
    }
}

fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local
            .contains(|c: char| c.is_whitespace() || c == '@' || c == '<' || c == '>' || c == '"')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()))
}

fn looks_like_phone(v: &str) -> bool {
    if !v
        .bytes()
        .all(|c| c.is_ascii_digit() || b" +-()./".contains(&c))
    {
        return false;
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    // Dates (2024-01-31), decimals and plain integers are not phones.
    let parts: Vec<&str> = v
        .split(['-', ' ', '.', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    let date_like =
        parts.len() == 3 && parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2;
    let separated = v.starts_with('+') || v.contains([' ', '-', '(', '/']);
    !date_like && separated && !v.contains('.')
}

/// Heuristic classification of one value (no regex): e-mail, IP or phone.
pub fn looks_like_pii(value: &str) -> Option<PiiKind> {
    let v = value.trim();
    if v.is_empty() || v.len() > 320 {
        return None;
    }
    // Emails need an '@', IPv6 a ':', IPv4 and phones at least four digits: most tokens have
    // none of these and are rejected without parsing.
    let (mut at, mut colon, mut digits) = (false, false, 0usize);
    for b in v.bytes() {
        at |= b == b'@';
        colon |= b == b':';
        digits += usize::from(b.is_ascii_digit());
    }
    if !at && !colon && digits < 4 {
        return None;
    }
    if at && looks_like_email(v) {
        return Some(PiiKind::Email);
    }
    if v.parse::<IpAddr>().is_ok() {
        return Some(PiiKind::Ip);
    }
    if looks_like_phone(v) {
        return Some(PiiKind::Phone);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_values() {
        assert_eq!(
            looks_like_pii("jane.doe@client.example"),
            Some(PiiKind::Email)
        );
        assert_eq!(looks_like_pii(" 10.1.2.3 "), Some(PiiKind::Ip));
        assert_eq!(looks_like_pii("2a00:1450::200e"), Some(PiiKind::Ip));
        assert_eq!(looks_like_pii("+49 30 1234567"), Some(PiiKind::Phone));
        assert_eq!(looks_like_pii("(555) 123-4567"), Some(PiiKind::Phone));
        for no in [
            "2024-01-31",
            "12345678",
            "3.14159",
            "hello",
            "a@b",
            "x@localhost",
            "",
            "1.2.3",
            "v1.2.3.4",
        ] {
            assert_eq!(looks_like_pii(no), None, "{no}");
        }
    }

    /// The token split as a plain `str::split` over every separator char does it.
    fn token_hashes_by_split(value: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let mut add = |t: &str| {
            if let Some(kind) = looks_like_pii(t) {
                out.push(pii_hash(kind, t));
            }
        };
        let whole = value.trim();
        if whole.is_empty() {
            return out;
        }
        add(whole);
        let sep = |c: char| c.is_whitespace() || "\"';,<>(){}".contains(c);
        if whole.contains(sep) {
            whole.split(sep).filter(|t| !t.is_empty()).for_each(add);
        }
        // Spaced phones: every run of digit-group characters, found by a split over chars.
        let runs = whole.split(|c: char| !(c.is_ascii_digit() || " +-()/".contains(c)));
        for run in runs.filter(|r| r.bytes().filter(u8::is_ascii_digit).nth(6).is_some()) {
            phone_windows(run, &mut out);
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn token_hashes_agree_with_a_plain_split(
            picks in proptest::collection::vec(0..PIECES.len(), 0..20),
        ) {
            let value: String = picks.iter().map(|&i| PIECES[i]).collect();
            let mut fast = Vec::new();
            LeakDetector::token_hashes(&value, &mut fast);
            proptest::prop_assert_eq!(fast, token_hashes_by_split(&value), "{:?}", value);
        }
    }

    const PIECES: &[&str] = &[
        "a longer run of words without any digit in it at all",
        " ",
        "\t",
        "\u{0b}",
        "\u{a0}",
        "\u{2003}",
        "\u{3000}",
        ",",
        ";",
        "\"",
        "'",
        "<",
        ">",
        "(",
        ")",
        "{",
        "}",
        "Ü",
        "x",
        "jane@client.example",
        "10.1.2.3",
        "fe80::1",
        "+49",
        "+33 6 12 34 56 78",
        " 0171 ",
        "-/",
        "30",
        "1234567",
        "(555)",
        "123-4567",
        "2024-01-31",
        "s:5:",
        "a:1:",
    ];

    #[test]
    fn phones_written_with_spaces_are_found_inside_text() {
        let mut d = LeakDetector::default();
        for phone in ["+33 6 12 34 56 78", "(030) 4417723", "0171 2345678"] {
            d.seen.insert(pii_hash(PiiKind::Phone, phone));
        }
        for text in [
            "ruft mich an: +33 6 12 34 56 78 oder schreibt",
            "Telefon (030) 4417723, Fax",
            "Tel. 0171 2345678 12 mal am Tag",
            "a:1:{s:5:\"phone\";s:12:\"0171 2345678\";}",
        ] {
            let mut hashes = Vec::new();
            LeakDetector::token_hashes(text, &mut hashes);
            assert!(hashes.iter().any(|h| d.seen.contains(h)), "{text}");
        }
        let mut hashes = Vec::new();
        LeakDetector::token_hashes("seit 2024 mit 12 Filialen, 3 345 Kunden", &mut hashes);
        assert!(!hashes.iter().any(|h| d.seen.contains(h)));
    }

    #[test]
    fn what_is_no_pseudonym_remains() {
        let mut out = Vec::new();
        for (value, remains) in [
            ("amara.0011223344556677@example.com", false),
            ("Ruf an: +1-555-0142 oder 198.51.100.7", false),
            ("mail <jane@mail.example>", true),
            ("call 0171/2345678", true),
            ("nothing here", false),
            ("listen on 127.0.0.1 and ::1", false),
            ("order 12345678 of 12 345 678", false),
        ] {
            assert_eq!(
                LeakDetector::token_hashes(value, &mut out),
                remains,
                "{value}"
            );
        }
    }

    #[test]
    fn leaks_matches_normalized_originals() {
        let mut d = LeakDetector::default();
        d.seen
            .insert(pii_hash(PiiKind::Email, "Jane@Client.Example"));
        d.seen.insert(pii_hash(PiiKind::Phone, "+1 (202) 555-1234"));
        assert!(d.leaks(" jane@client.example"));
        assert!(d.leaks("12025551234"));
        assert!(!d.leaks("amara.0011223344556677@example.com"));
        assert!(!d.leaks(""));
    }
}
