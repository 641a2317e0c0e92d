//! Word lists and small text builders. Values look real but come from
//! fixed, obviously synthetic lists.

use super::rng::Rng;
use std::fmt::Write as _;

pub(crate) const FIRST_DE: &[&str] = &[
    "Anna",
    "Jürgen",
    "Käthe",
    "Lukas",
    "Sören",
    "Maximilian",
    "Jörg",
    "Björn",
    "Özlem",
    "Lena",
    "Günther",
    "Sophie",
    "Moritz",
    "Hannah",
    "Ulrike",
    "Felix",
];
pub(crate) const LAST_DE: &[&str] = &[
    "Schmidt",
    "Müller",
    "Weiß",
    "Schröder",
    "Groß",
    "Bäcker",
    "Köhler",
    "Hoffmann",
    "Fuchs",
    "Krüger",
    "Wagner",
    "Löwe",
    "Neumann",
    "Straßer",
];
pub(crate) const FIRST_JA: &[&str] =
    &["陽翔", "結衣", "蓮", "さくら", "大翔", "美咲", "悠真", "葵"];
pub(crate) const LAST_JA: &[&str] = &[
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村",
];
pub(crate) const FIRST_EN: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Lucas", "Zoe", "Ethan", "Chloe",
    "Daniel",
];
pub(crate) const LAST_EN: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Miller", "Davis", "Wilson", "Clark", "Lewis", "Walker",
    "O'Neil", "García",
];
/// Romanized Japanese names for logins and email local parts.
pub(crate) const ROMAJI: &[&str] = &[
    "haruto", "yui", "ren", "sakura", "hiroto", "misaki", "yuma", "aoi",
];
pub(crate) const LAST_ROMAJI: &[&str] = &[
    "sato",
    "suzuki",
    "takahashi",
    "tanaka",
    "ito",
    "watanabe",
    "yamamoto",
    "nakamura",
];
pub(crate) const MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "web.de",
    "gmx.de",
    "t-online.de",
    "yahoo.co.jp",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "posteo.de",
    "docomo.ne.jp",
    "proton.me",
    "example.org",
];
pub(crate) const CITIES_DE: &[(&str, &str)] = &[
    ("Berlin", "BE"),
    ("München", "BY"),
    ("Köln", "NW"),
    ("Düsseldorf", "NW"),
    ("Nürnberg", "BY"),
    ("Lübeck", "SH"),
    ("Würzburg", "BY"),
    ("Hamburg", "HH"),
    ("Görlitz", "SN"),
];
pub(crate) const STREETS_DE: &[&str] = &[
    "Hauptstraße",
    "Schloßallee",
    "Bahnhofstraße",
    "Gartenweg",
    "Königstraße",
    "Mühlenweg",
    "Friedrichstraße",
];
pub(crate) const CITIES_JA: &[(&str, &str)] = &[
    ("東京都 新宿区", "JP13"),
    ("大阪市 北区", "JP27"),
    ("京都市 中京区", "JP26"),
    ("札幌市 中央区", "JP01"),
];
pub(crate) const CITIES_US: &[(&str, &str)] = &[
    ("Portland", "OR"),
    ("Austin", "TX"),
    ("Springfield", "IL"),
    ("Madison", "WI"),
];
pub(crate) const COMPANIES: &[&str] = &[
    "Bäckerei Köhler GmbH",
    "Müller & Söhne KG",
    "株式会社サクラ",
    "Northwind Traders LLC",
    "",
    "",
    "",
    "",
];
pub(crate) const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "WordPress/6.5; https://partner-blog.example.net",
];

const WORDS_EN: &[&str] = &[
    "the", "garden", "coffee", "recipe", "morning", "simple", "guide", "review", "travel", "light",
    "autumn", "bread", "with", "for", "and", "our", "new", "best", "how", "to", "make", "quick",
    "winter", "notes", "city", "market", "local", "fresh", "season", "update", "shop", "order",
    "delivery", "handmade", "ceramic", "linen", "studio", "journal", "weekend", "stories",
];
const WORDS_DE: &[&str] = &[
    "Frühstück",
    "Brötchen",
    "über",
    "Straße",
    "schön",
    "Grüße",
    "Käse",
    "größer",
    "Müsli",
    "für",
    "und",
    "mit",
    "heute",
    "Rezept",
    "Tipps",
    "Übersicht",
];
const WORDS_JA: &[&str] = &[
    "こんにちは",
    "東京",
    "季節",
    "レシピ",
    "新商品",
    "お知らせ",
    "ありがとう",
    "写真",
];
const EMOJI: &[&str] = &["🎉", "☕", "🌸", "🍞", "✨", "👍"];

/// Which language flavour a piece of text gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lang {
    En,
    De,
    Ja,
}

impl Lang {
    pub(crate) fn pick(rng: &mut Rng) -> Lang {
        match rng.below(10) {
            0..=5 => Lang::En,
            6..=8 => Lang::De,
            _ => Lang::Ja,
        }
    }
}

fn word(rng: &mut Rng, lang: Lang) -> &'static str {
    // Mostly English words so pglz sees realistic redundancy, with the
    // language flavour mixed in.
    match (lang, rng.below(4)) {
        (Lang::De, 0) => rng.pick(WORDS_DE),
        (Lang::Ja, 0) | (Lang::Ja, 1) => rng.pick(WORDS_JA),
        _ => rng.pick(WORDS_EN),
    }
}

pub(crate) fn words(rng: &mut Rng, out: &mut String, n: u64, lang: Lang) {
    for i in 0..n {
        if i > 0 && lang != Lang::Ja {
            out.push(' ');
        }
        out.push_str(word(rng, lang));
    }
}

pub(crate) fn title(rng: &mut Rng, lang: Lang) -> String {
    let mut t = String::with_capacity(48);
    let n = rng.range(2, 7);
    words(rng, &mut t, n, lang);
    if let Some(first) = t.get(..1) {
        let up = first.to_ascii_uppercase();
        t.replace_range(..1, &up);
    }
    if rng.chance(8) {
        t.push(' ');
        t.push_str(rng.pick(EMOJI));
    }
    t
}

pub(crate) fn sentence(rng: &mut Rng, out: &mut String, lang: Lang) {
    let n = rng.range(6, 16);
    words(rng, out, n, lang);
    out.push_str(if lang == Lang::Ja { "。" } else { ". " });
}

/// URL-safe slug for an ASCII-ish title; non-ASCII titles get an id-based slug
/// the way WordPress percent-encodes them (we keep it short and ASCII).
pub(crate) fn slug(title: &str, id: u64) -> String {
    let mut s = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if (c == ' ' || c == '-') && !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    if s.len() < 3 {
        s.clear();
    }
    s.truncate(180);
    write!(s, "{}{id}", if s.is_empty() { "post-" } else { "-" }).ok();
    s
}

/// Public IPv4 outside private/reserved ranges, or an IPv6 in a public prefix.
pub(crate) fn ip(rng: &mut Rng) -> String {
    if rng.chance(20) {
        let prefixes = ["2a02:8108", "2003:e4", "2001:4860", "240d:1a"];
        let p = prefixes[rng.below(4) as usize];
        format!(
            "{p}:{:x}:{:x}::{:x}",
            rng.below(0xffff),
            rng.below(0xffff),
            rng.range(1, 0xffff)
        )
    } else {
        let firsts = [
            31u64, 46, 62, 77, 84, 91, 93, 126, 133, 153, 178, 185, 212, 217,
        ];
        let a = firsts[rng.below(firsts.len() as u64) as usize];
        format!(
            "{a}.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.range(1, 254)
        )
    }
}

pub(crate) fn phone(rng: &mut Rng, country: &str) -> String {
    match country {
        "JP" => format!("+81 90-{:04}-{:04}", rng.below(10000), rng.below(10000)),
        "US" => format!("+1 503-555-{:04}", rng.below(10000)),
        _ => format!("+49 1{} {:07}", rng.range(51, 79), rng.below(10_000_000)),
    }
}

/// phpass portable hash shape: `$P$B` + 31 chars of ./0-9A-Za-z.
pub(crate) fn phpass(rng: &mut Rng) -> String {
    const IT: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::from("$P$B");
    for _ in 0..31 {
        s.push(IT[rng.below(64) as usize] as char);
    }
    s
}

/// WordPress 6.8 bcrypt shape: `$wp$2y$10$` + 53 chars.
pub(crate) fn wp_bcrypt(rng: &mut Rng) -> String {
    const IT: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::from("$wp$2y$10$");
    for _ in 0..53 {
        s.push(IT[rng.below(64) as usize] as char);
    }
    s
}

/// Percent-encodes for query strings (`https%3A%2F%2Fhost%2F`).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").ok();
        }
    }
    out
}

/// JSON string escaping the way PHP's json_encode does by default:
/// slashes become `\/`, non-ASCII becomes `\uXXXX`.
pub(crate) fn php_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(out, "\\u{u:04x}").ok();
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `YYYY-MM-DD HH:MM:SS` for seconds since the Unix epoch (UTC).
pub(crate) fn datetime(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Year and month for upload paths.
pub(crate) fn year_month(secs: u64) -> (i64, u32) {
    let (y, m, _) = civil_from_days((secs / 86_400) as i64);
    (y, m)
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_encodings() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        assert_eq!(datetime(1_709_251_199), "2024-02-29 23:59:59");
        assert_eq!(url_encode("https://a.b/c?d"), "https%3A%2F%2Fa.b%2Fc%3Fd");
        let mut j = String::new();
        php_json_str(&mut j, "https://h/ü");
        assert_eq!(j, "\"https:\\/\\/h\\/\\u00fc\"");
        assert_eq!(slug("Hello World!", 5), "hello-world-5");
        assert_eq!(phpass(&mut Rng::new(1)).len(), 35);
    }
}
