//! Anonymization kinds: what a rule does to a value.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// What to do with one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    Email,
    FirstName,
    LastName,
    FullName,
    Username,
    Phone,
    Ip,
    StreetAddress,
    City,
    Postcode,
    Company,
    Url,
    UserAgent,
    FreeText,
    /// Opaque reference (transaction id…): keyed hex.
    Reference,
    /// `user_nicename`: slug of the row's fake `user_login`.
    Slug,
    /// `user_pass`: unusable value (kept users get the staging hash).
    PasswordHash,
    /// Walk a serialized/JSON value and anonymize leaves by their key name
    /// (`email`, `billing_phone`, `ip_address`, …).
    PiiKeys,
    /// Every email address inside the value (plain text, serialized or JSON) becomes a
    /// pseudonymous email; everything else stays. The default for EAV values no rule names.
    EmailsInside,
    /// Every email address, IP address (lists too) and phone number inside the value becomes
    /// its pseudonym; everything else stays. The default for text no rule names.
    PiiInside,
    Fixed(String),
    Null,
    DeleteRow,
    Keep,
}

/// Kinds the leak detector tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Ip,
    Phone,
}

impl Kind {
    /// Stable tag mixed into the MAC (domain separation between kinds).
    pub fn tag(&self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::FirstName => "first_name",
            Kind::LastName => "last_name",
            Kind::FullName => "full_name",
            Kind::Username => "username",
            Kind::Phone => "phone",
            Kind::Ip => "ip",
            Kind::StreetAddress => "street_address",
            Kind::City => "city",
            Kind::Postcode => "postcode",
            Kind::Company => "company",
            Kind::Url => "url",
            Kind::UserAgent => "user_agent",
            Kind::FreeText => "free_text",
            Kind::Reference => "reference",
            Kind::Slug => "slug",
            Kind::PasswordHash => "password_hash",
            Kind::PiiKeys => "pii_keys",
            Kind::EmailsInside => "emails_inside",
            Kind::PiiInside => "pii_inside",
            Kind::Fixed(_) => "fixed",
            Kind::Null => "null",
            Kind::DeleteRow => "delete_row",
            Kind::Keep => "keep",
        }
    }

    /// The leak-tracked kind of the original values, if any.
    pub fn pii(&self) -> Option<PiiKind> {
        match self {
            Kind::Email => Some(PiiKind::Email),
            Kind::Ip => Some(PiiKind::Ip),
            Kind::Phone => Some(PiiKind::Phone),
            _ => None,
        }
    }

    /// What a content-scrubbing kind looks for; `None` for every other kind.
    pub fn scrub_targets(&self) -> Option<super::scrub::Targets> {
        match self {
            Kind::EmailsInside => Some(super::scrub::Targets::Emails),
            Kind::PiiInside => Some(super::scrub::Targets::All),
            _ => None,
        }
    }

    /// Does this kind change values (anything but `keep`)?
    pub fn is_active(&self) -> bool {
        !matches!(self, Kind::Keep)
    }

    /// Names accepted by [`Kind::from_str`] (for error messages and docs).
    pub const NAMES: &'static [&'static str] = &[
        "email",
        "first_name",
        "last_name",
        "full_name",
        "username",
        "phone",
        "ip",
        "street_address",
        "city",
        "postcode",
        "company",
        "url",
        "user_agent",
        "free_text",
        "reference",
        "slug",
        "password_hash",
        "pii_keys",
        "emails_inside",
        "pii_inside",
        "fixed:<value>",
        "null",
        "delete_row",
        "keep",
    ];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Fixed(v) => write!(f, "fixed:{v}"),
            k => f.write_str(k.tag()),
        }
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(v) = s.strip_prefix("fixed:") {
            return Ok(Kind::Fixed(v.to_string()));
        }
        let k = match s.trim().to_ascii_lowercase().as_str() {
            "email" => Kind::Email,
            "first_name" => Kind::FirstName,
            "last_name" => Kind::LastName,
            "full_name" | "name" => Kind::FullName,
            "username" => Kind::Username,
            "phone" => Kind::Phone,
            "ip" => Kind::Ip,
            "street_address" | "address" => Kind::StreetAddress,
            "city" => Kind::City,
            "postcode" => Kind::Postcode,
            "company" => Kind::Company,
            "url" => Kind::Url,
            "user_agent" => Kind::UserAgent,
            "free_text" => Kind::FreeText,
            "reference" => Kind::Reference,
            "slug" => Kind::Slug,
            "password_hash" => Kind::PasswordHash,
            "pii_keys" => Kind::PiiKeys,
            "emails_inside" => Kind::EmailsInside,
            "pii_inside" => Kind::PiiInside,
            "blank" | "empty" => Kind::Fixed(String::new()),
            "null" => Kind::Null,
            "delete_row" | "delete" => Kind::DeleteRow,
            "keep" => Kind::Keep,
            other => {
                return Err(format!(
                    "unknown anonymization kind {other:?}; valid kinds: {}",
                    Kind::NAMES.join(", ")
                ));
            }
        };
        Ok(k)
    }
}

impl From<PiiKind> for Kind {
    fn from(p: PiiKind) -> Self {
        match p {
            PiiKind::Email => Kind::Email,
            PiiKind::Ip => Kind::Ip,
            PiiKind::Phone => Kind::Phone,
        }
    }
}

/// Kind for a key name found inside a structured value (`pii_keys`) or an
/// address field suffix (`first_name` of `_billing_first_name`).
pub fn kind_for_field(name: &str) -> Option<Kind> {
    let n = name.trim_start_matches('_').to_ascii_lowercase();
    let field = n
        .strip_prefix("billing_")
        .or_else(|| n.strip_prefix("shipping_"))
        .or_else(|| n.strip_prefix("customer_"))
        .unwrap_or(&n);
    let k = match field {
        "email"
        | "user_email"
        | "email_address"
        | "mail"
        | "comment_author_email"
        | "author_email" => Kind::Email,
        "first_name" | "firstname" | "given_name" => Kind::FirstName,
        "last_name" | "lastname" | "family_name" | "surname" => Kind::LastName,
        "name" | "full_name" | "display_name" | "author" | "comment_author" => Kind::FullName,
        "user_login" | "username" | "login" => Kind::Username,
        "phone" | "telephone" | "mobile" | "phone_number" => Kind::Phone,
        "ip" | "ip_address" | "user_ip" | "remote_addr" | "comment_author_ip" => Kind::Ip,
        "address" | "address_1" | "address1" | "street" => Kind::StreetAddress,
        "address_2" | "address2" => Kind::Fixed(String::new()),
        "city" => Kind::City,
        "postcode" | "zip" | "postal_code" | "zipcode" => Kind::Postcode,
        "company" => Kind::Company,
        "user_agent" | "ua" | "comment_agent" => Kind::UserAgent,
        "address_index" => Kind::Fixed(String::new()),
        _ => return None,
    };
    Some(k)
}
