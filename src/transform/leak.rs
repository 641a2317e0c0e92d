//! Leak detection: hashes of every original e-mail/IP/phone seen in the source and of every
//! such token written to the personal-data columns, compared after the load (no second read of
//! the data), and a cheap heuristic that classifies one token.

use std::collections::HashSet;
use std::net::IpAddr;

use super::anonymize::kinds::Kind;
use super::anonymize::kinds::PiiKind;
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
    /// Returns whether one of those tokens is not a pseudonym (not in the reserved ranges): what
    /// still looks like personal data after anonymization, for the report.
    pub fn token_hashes(value: &str, out: &mut Vec<u64>) -> bool {
        let mut remains = false;
        let mut add = |t: &str| {
            if let Some(kind) = looks_like_pii(t) {
                out.push(pii_hash(kind, t));
                // Loopback and unspecified addresses are nobody's (the scrub leaves them too).
                let nobodys = kind == PiiKind::Ip
                    && t.trim()
                        .parse::<IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
                remains |= !nobodys && !is_reserved(&Kind::from(kind), t);
            }
        };
        let whole = value.trim();
        if whole.is_empty() {
            return false;
        }
        add(whole);
        if whole.contains(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\'' | ';' | ',' | '<' | '>' | '(' | ')' | '{' | '}'
                )
        }) {
            whole
                .split(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '"' | '\'' | ';' | ',' | '<' | '>' | '(' | ')' | '{' | '}'
                        )
                })
                .filter(|t| !t.is_empty())
                .for_each(&mut add);
        }
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
