//! Deterministic keyed pseudonyms.
//!
//! `mac = HMAC-SHA256(key, kind_tag ‖ 0x00 ‖ normalize(value))` picks from
//! small built-in dictionaries. The same value of the same kind maps to the
//! same fake everywhere (users, comments, orders, lookups). Normalization is
//! trim + lower-case (phones: digits only), so `A@X.com ` and `a@x.com` agree.
//! Fakes never reach a real person: e-mails at `example.com` (RFC 2606) with
//! 64 bits of MAC in the local part, IPv4 in RFC 5737 TEST-NETs, IPv6 in
//! `2001:db8::/32`, phones in the fictional NANP range 555-0100…0199.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::kinds::Kind;
use crate::transform::error::TransformError;

/// Value that can never be a valid WordPress password hash: 16 characters
/// that are not hex, so `md5()` comparison (hashes ≤ 32 chars) never matches.
pub const LOCKED_PASSWORD: &str = "*wpstage-locked*";

/// The user agent every anonymized agent becomes.
pub const FAKE_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) wpstage/anonymized";

const FIRST: &[&str] = &[
    "Amara",
    "Bjorn",
    "Chen",
    "Dalia",
    "Emeka",
    "Fatima",
    "Giulia",
    "Hiroshi",
    "Ines",
    "Jamal",
    "Kavya",
    "Lars",
    "Mei",
    "Nadia",
    "Oluwaseun",
    "Priya",
    "Quentin",
    "Rosa",
    "Sione",
    "Tariq",
    "Ulla",
    "Vikram",
    "Wanjiru",
    "Xochitl",
    "Yusuf",
    "Zofia",
    "Aiko",
    "Bruno",
    "Chidi",
    "Daniela",
    "Elif",
    "Farid",
    "Grace",
    "Hana",
    "Ivan",
    "Josefina",
    "Kenji",
    "Leila",
    "Mateo",
    "Noor",
];

const LAST: &[&str] = &[
    "Abebe",
    "Bergstrom",
    "Castillo",
    "Dubois",
    "Eze",
    "Fernandes",
    "Gonzalez",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Singh",
    "Tanaka",
    "Ueda",
    "Varga",
    "Wang",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Achterberg",
    "Banerjee",
    "Costa",
    "Demir",
    "Esposito",
    "Fischer",
    "Garcia",
    "Hussain",
    "Iyer",
    "Johansson",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Novak",
];

const STREETS: &[&str] = &[
    "Maple Street",
    "Harbour Road",
    "Linden Allee",
    "Rue des Lilas",
    "Via Roma",
    "Calle Mayor",
    "Oak Avenue",
    "Sakura Dori",
    "King Street",
    "Station Road",
    "Mill Lane",
    "Birch Close",
    "Canal Walk",
    "Hill Crescent",
    "Park Terrace",
    "River View",
    "Chestnut Grove",
    "Market Square",
    "Orchard Way",
    "Lake Drive",
];

const CITIES: &[&str] = &[
    "Springfield",
    "Riverton",
    "Lakeside",
    "Fairview",
    "Oakdale",
    "Brookhaven",
    "Maplewood",
    "Westbury",
    "Northfield",
    "Eastwick",
    "Greenhill",
    "Stonebridge",
    "Ashford",
    "Clearwater",
    "Silverton",
    "Redmond Vale",
    "Harborview",
    "Pinecrest",
    "Elmstead",
    "Kingsport",
];

const COMPANIES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella Works",
    "Stark Goods",
    "Wayne Supply",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Tyrell Labs",
    "Cyberdyne Parts",
    "Wonka Sweets",
    "Gringotts Trading",
    "Oscorp Retail",
    "Monarch Paper",
    "Dunder Mifflin",
];

const SUFFIXES: &[&str] = &["Ltd", "GmbH", "SARL", "Inc", "BV", "Oy", "KK", "SA"];

const SENTENCES: &[&str] = &[
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
    "Ut enim ad minim veniam, quis nostrud exercitation ullamco.",
    "Duis aute irure dolor in reprehenderit in voluptate velit esse.",
    "Excepteur sint occaecat cupidatat non proident, sunt in culpa.",
];

/// Keyed generator of fakes. Cheap to clone (precomputed HMAC state).
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<keyed>)")
    }
}

/// Trim + lower-case; phones keep digits only.
pub fn normalize(kind: &Kind, value: &str) -> String {
    match kind {
        Kind::Phone => value.chars().filter(char::is_ascii_digit).collect(),
        _ => value.trim().to_lowercase(),
    }
}

fn pick<'a>(dict: &[&'a str], n: u64) -> &'a str {
    // Dictionaries are non-empty constants; modulo keeps the index in range.
    dict.get((n % dict.len() as u64) as usize)
        .copied()
        .unwrap_or("x")
}

impl Pseudonymizer {
    /// Fails only if the key is empty (HMAC itself takes any length).
    pub fn new(key: &[u8]) -> Result<Self, TransformError> {
        if key.is_empty() {
            return Err(TransformError::InvalidConfig(
                "the anonymization key is empty".into(),
            ));
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| {
            TransformError::InvalidConfig("the anonymization key is not usable for HMAC".into())
        })?;
        Ok(Pseudonymizer { mac })
    }

    /// Raw 32-byte MAC of a tagged, already normalized value.
    pub fn mac(&self, tag: &str, normalized: &str) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(tag.as_bytes());
        m.update(&[0]);
        m.update(normalized.as_bytes());
        let out = m.finalize().into_bytes();
        let mut arr = [0u8; 32];
        arr.copy_from_slice(&out);
        arr
    }

    /// The fake for a scalar kind. Kinds without a generated fake (`keep`,
    /// `fixed`, `null`, row-level kinds) return the value unchanged.
    pub fn fake(&self, kind: &Kind, value: &str) -> String {
        let norm = normalize(kind, value);
        let m = self.mac(kind.tag(), &norm);
        let word = |i: usize| u64::from_le_bytes(m[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        let hex16 = hex::encode(&m[..8]);
        let first = || pick(FIRST, word(1));
        let last = || pick(LAST, word(2));
        match kind {
            Kind::Email => format!("{}.{hex16}@example.com", first().to_ascii_lowercase()),
            Kind::Username => format!("{}_{hex16}", first().to_ascii_lowercase()),
            Kind::Slug => slugify(&self.fake(&Kind::Username, value)),
            Kind::FirstName => first().to_string(),
            Kind::LastName => last().to_string(),
            Kind::FullName => format!("{} {}", first(), last()),
            Kind::Phone => format!("+1-555-01{:02}", word(1) % 100),
            Kind::Ip => {
                if value.contains(':') {
                    format!(
                        "2001:db8:{:x}:{:x}::{:x}",
                        m[8] as u16 * 256 + m[9] as u16,
                        m[10],
                        m[11] as u16 + 1
                    )
                } else {
                    let net = pick(&["192.0.2", "198.51.100", "203.0.113"], word(1));
                    format!("{net}.{}", 1 + (m[16] as u16 % 254))
                }
            }
            Kind::StreetAddress => format!("{} {}", 1 + word(1) % 999, pick(STREETS, word(2))),
            Kind::City => pick(CITIES, word(1)).to_string(),
            Kind::Postcode => format!("{:05}", word(1) % 100_000),
            Kind::Company => format!("{} {}", pick(COMPANIES, word(1)), pick(SUFFIXES, word(2))),
            Kind::Url => format!("https://u{}.example.net/", &hex16[..12]),
            Kind::UserAgent => FAKE_USER_AGENT.to_string(),
            Kind::FreeText => pick(SENTENCES, word(1)).to_string(),
            Kind::Reference => format!("ref_{hex16}"),
            Kind::PasswordHash => LOCKED_PASSWORD.to_string(),
            Kind::Fixed(v) => v.clone(),
            Kind::PiiKeys
            | Kind::EmailsInside
            | Kind::PiiInside
            | Kind::Null
            | Kind::DeleteRow
            | Kind::Keep => value.to_string(),
        }
    }
}

impl Pseudonymizer {
    /// One pseudonymous person per user id: the first name, last name and full name (display
    /// name, nickname) of a pseudonymized account agree. `None` for kinds that are no name.
    pub fn person_name(&self, kind: &Kind, user_id: i64) -> Option<String> {
        let m = self.mac("wp_user_person", &user_id.to_string());
        let word = |i: usize| u64::from_le_bytes(m[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        let (first, last) = (pick(FIRST, word(1)), pick(LAST, word(2)));
        match kind {
            Kind::FirstName => Some(first.to_owned()),
            Kind::LastName => Some(last.to_owned()),
            Kind::FullName => Some(format!("{first} {last}")),
            _ => None,
        }
    }
}

/// Is `value` inside the reserved space the fakes of `kind` are drawn from (`example.com`,
/// the TEST-NETs, `2001:db8::/32`, 555-01xx)? Such a value is nobody's personal data: a source
/// holding it (test data, a copy of an anonymized database) is not leaking when another value's
/// pseudonym happens to equal it.
pub fn is_reserved(kind: &Kind, value: &str) -> bool {
    match kind {
        Kind::Email => normalize(kind, value).ends_with("@example.com"),
        Kind::Ip => match value.trim().parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => {
                let [a, b, c, _] = ip.octets();
                matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
            }
            Ok(std::net::IpAddr::V6(ip)) => ip.segments()[..2] == [0x2001, 0x0db8],
            Err(_) => false,
        },
        Kind::Phone => {
            let digits = normalize(kind, value);
            digits.len() == 8 && digits.starts_with("155501")
        }
        _ => false,
    }
}

/// WordPress-like slug: lower-case ASCII letters, digits and `-`.
pub fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
#[path = "../tests/pseudonym.rs"]
mod tests;
