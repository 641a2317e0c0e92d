//! Site-URL rewriting over decoded text values.
//!
//! Recognised forms of the old site URL (data-path.md §4.2): plain absolute
//! (`http` and `https`), `www.`/bare variants of the old host,
//! protocol-relative `//host`, JSON-escaped `https:\/\/host\/…` and
//! URL-encoded `https%3A%2F%2Fhost%2F…` (either hex case). A host is only
//! rewritten when it is *introduced* by one of those prefixes, so e-mail
//! addresses (`info@www.client.example`) and prose mentions stay untouched,
//! and it must end at a host boundary (`client.example.org`,
//! `client.example-cdn.net`, `shop.client.example` and other ports are other
//! hosts). Bare hosts are rewritten only in "host" columns
//! ([`UrlRewriter::rewrite_host`]). Host matching is ASCII case-sensitive on
//! the lower-case host (WordPress stores what it generated: lower case).
//!
//! Uploads: a URL whose path continues with `/wp-content/uploads/` (after the
//! old site's base path) is handled by [`UploadsMode`]: kept on production
//! (default), redirected (`To(base)`: everything up to and including
//! `/wp-content/uploads` becomes `base`, as WordPress builds media URLs from
//! `upload_url_path`), or rewritten like any other URL (`Rewrite`). The
//! uploads base itself (`https://host/wp-content/uploads`) is an uploads URL.

use super::error::TransformError;

/// One old → new site URL pair (absolute http(s) URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRewrite {
    pub from: String,
    pub to: String,
}

/// What happens to URLs under `/wp-content/uploads/`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UploadsMode {
    /// Keep pointing at the production host (media are not copied).
    #[default]
    KeepProduction,
    /// Point at `<url>/…`: the URL is the uploads base, as WordPress's `upload_url_path`
    /// (`https://cdn.example/wp-content/uploads` gives `…/wp-content/uploads/2024/01/a.jpg`).
    To(String),
    /// Rewrite like any other site URL.
    Rewrite,
}

/// Occurrence counters of one rewrite call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UrlCounts {
    pub replaced: u64,
    pub uploads_kept: u64,
    pub uploads_redirected: u64,
}

impl UrlCounts {
    pub fn add(&mut self, o: UrlCounts) {
        self.replaced += o.replaced;
        self.uploads_kept += o.uploads_kept;
        self.uploads_redirected += o.uploads_redirected;
    }
}

#[derive(Debug, Clone)]
struct Target {
    scheme: String,
    hostport: String,
    path: String,
}

impl Target {
    fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.hostport, self.path)
    }
}

#[derive(Debug, Clone)]
struct Source {
    /// Lower-case host without a leading `www.`.
    core: String,
    port: Option<String>,
    /// Base path without trailing slash (`""` or `/blog`).
    path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Plain,
    Json,
    Encoded { lower: bool },
}

impl Form {
    fn encode(self, text: &str, out: &mut String) {
        for ch in text.chars() {
            match (self, ch) {
                (Form::Json, '/') => out.push_str("\\/"),
                (Form::Encoded { lower: false }, '/') => out.push_str("%2F"),
                (Form::Encoded { lower: true }, '/') => out.push_str("%2f"),
                (Form::Encoded { lower: false }, ':') => out.push_str("%3A"),
                (Form::Encoded { lower: true }, ':') => out.push_str("%3a"),
                (_, c) => out.push(c),
            }
        }
    }

    /// Does `s` start with `text` written in this form (hex case-insensitive)?
    fn strip<'s>(self, s: &'s str, text: &str) -> Option<&'s str> {
        let mut enc = String::new();
        self.encode(text, &mut enc);
        let head = s.get(..enc.len())?;
        if head.eq_ignore_ascii_case(&enc) {
            s.get(enc.len()..)
        } else {
            None
        }
    }
}

/// Compiled URL rewrites.
#[derive(Debug, Clone)]
pub struct UrlRewriter {
    rules: Vec<(Source, Target)>,
    uploads: Uploads,
}

#[derive(Debug, Clone)]
enum Uploads {
    Keep,
    To(Target),
    Rewrite,
}

fn parse_url(url: &str) -> Result<(String, String, Option<String>, String), TransformError> {
    let bad = |reason: &str| TransformError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad("scheme must be http or https"));
    }
    if rest.contains(['?', '#', '@']) || rest.contains(char::is_whitespace) {
        return Err(bad("query, fragment, user info and spaces are not allowed"));
    }
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let (host, port) = match hostport.split_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => {
            (h, Some(p.to_string()))
        }
        Some(_) => return Err(bad("bad port")),
        None => (hostport, None),
    };
    let host = host.to_ascii_lowercase();
    if host.is_empty()
        || !host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
    {
        return Err(bad("bad host"));
    }
    Ok((scheme, host, port, path.to_string()))
}

fn target(url: &str) -> Result<Target, TransformError> {
    let (scheme, host, port, path) = parse_url(url)?;
    let hostport = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Ok(Target {
        scheme,
        hostport,
        path,
    })
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The host (or path) ends here: not followed by more host/path-name bytes.
fn at_boundary(rest: &str) -> bool {
    let b = rest.as_bytes();
    match b.first() {
        None => true,
        Some(&c) if is_host_byte(c) => false,
        Some(b'.') => !b.get(1).is_some_and(|c| c.is_ascii_alphanumeric()),
        Some(_) => true,
    }
}

struct Edit {
    start: usize,
    end: usize,
    text: String,
    kind: EditKind,
}

#[derive(Clone, Copy)]
enum EditKind {
    Replaced,
    UploadsRedirected,
}

impl UrlRewriter {
    pub fn new(rewrites: &[UrlRewrite], uploads: &UploadsMode) -> Result<Self, TransformError> {
        let mut rules = Vec::new();
        for r in rewrites {
            let (_, host, port, path) = parse_url(&r.from)?;
            let core = host.strip_prefix("www.").unwrap_or(&host).to_string();
            rules.push((Source { core, port, path }, target(&r.to)?));
        }
        let uploads = match uploads {
            UploadsMode::KeepProduction => Uploads::Keep,
            UploadsMode::Rewrite => Uploads::Rewrite,
            UploadsMode::To(url) => Uploads::To(target(url)?),
        };
        Ok(UrlRewriter { rules, uploads })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Cheap pre-check on a raw COPY row: every form of an old URL (plain, JSON-escaped,
    /// URL-encoded, inside serialized data) keeps the host's letters as they are.
    pub fn might_match_bytes(&self, raw: &[u8]) -> bool {
        self.rules
            .iter()
            .any(|(src, _)| memchr::memmem::find(raw, src.core.as_bytes()).is_some())
    }

    /// Cheap pre-check: can `s` contain an old URL at all?
    pub fn might_match(&self, s: &str) -> bool {
        self.rules
            .iter()
            .any(|(src, _)| s.contains(src.core.as_str()))
    }

    /// The new URL that `home`/`siteurl` get (first rewrite's target,
    /// without trailing slash).
    pub fn primary_target(&self) -> Option<String> {
        self.rules.first().map(|(_, t)| t.url())
    }

    /// Rewrites a bare host value (multisite `domain` columns): the whole
    /// trimmed value must be the old host (with or without `www.`).
    pub fn rewrite_host(&self, s: &str, counts: &mut UrlCounts) -> Option<String> {
        let v = s.trim().to_ascii_lowercase();
        for (src, tgt) in &self.rules {
            let host = v.strip_prefix("www.").unwrap_or(&v);
            let expected = match &src.port {
                Some(p) => format!("{}:{p}", src.core),
                None => src.core.clone(),
            };
            if host == expected {
                counts.replaced += 1;
                return Some(tgt.hostport.clone());
            }
        }
        None
    }

    /// Rewrites every recognised old-URL occurrence in `s`.
    pub fn rewrite_text(&self, s: &str, counts: &mut UrlCounts) -> Option<String> {
        let mut edits: Vec<Edit> = Vec::new();
        for (src, tgt) in &self.rules {
            if !s.contains(src.core.as_str()) {
                continue;
            }
            for (i, _) in s.match_indices(src.core.as_str()) {
                match self.match_at(s, i, src, tgt) {
                    Some(Ok(edit)) => edits.push(edit),
                    Some(Err(())) => counts.uploads_kept += 1,
                    None => {}
                }
            }
        }
        if edits.is_empty() {
            return None;
        }
        edits.sort_by_key(|e| e.start);
        let mut out = String::with_capacity(s.len() + 16 * edits.len());
        let mut last = 0;
        for e in edits {
            if e.start < last {
                continue;
            }
            out.push_str(&s[last..e.start]);
            out.push_str(&e.text);
            last = e.end;
            match e.kind {
                EditKind::Replaced => counts.replaced += 1,
                EditKind::UploadsRedirected => counts.uploads_redirected += 1,
            }
        }
        out.push_str(&s[last..]);
        Some(out)
    }

    /// `Some(Ok)`: an edit; `Some(Err)`: an uploads URL kept on production;
    /// `None`: not a site URL.
    fn match_at(&self, s: &str, i: usize, src: &Source, tgt: &Target) -> Option<Result<Edit, ()>> {
        let host_start = if s[..i].ends_with("www.") { i - 4 } else { i };
        let before = &s[..host_start];
        let (form, prefix_len, has_scheme) = detect_prefix(before)?;
        let mut rest = &s[i + src.core.len()..];
        match &src.port {
            Some(p) => rest = form.strip(rest, &format!(":{p}"))?,
            None => {
                if let Some(r) = form.strip(rest, ":")
                    && r.starts_with(|c: char| c.is_ascii_digit())
                {
                    return None;
                }
            }
        }
        if !at_boundary(rest) {
            return None;
        }
        if !src.path.is_empty() {
            rest = form.strip(rest, &src.path)?;
            if !at_boundary(rest) {
                return None;
            }
        }
        // The uploads base itself (`…/wp-content/uploads`, as in `upload_url_path`) counts too.
        let after_uploads = form
            .strip(rest, "/wp-content/uploads")
            .filter(|r| form.strip(r, "/").is_some() || at_boundary(r));
        let (dest, kind, rest) = match (&self.uploads, after_uploads) {
            (Uploads::Keep, Some(_)) => return Some(Err(())),
            // WordPress appends the file's path to `upload_url_path` as it is: so does this.
            (Uploads::To(up), Some(r)) => (up, EditKind::UploadsRedirected, r),
            _ => (tgt, EditKind::Replaced, rest),
        };
        let end = s.len() - rest.len();
        let mut text = String::with_capacity(64);
        if has_scheme {
            form.encode(&format!("{}://", dest.scheme), &mut text);
        } else {
            form.encode("//", &mut text);
        }
        form.encode(&dest.hostport, &mut text);
        form.encode(&dest.path, &mut text);
        Some(Ok(Edit {
            start: host_start - prefix_len,
            end,
            text,
            kind,
        }))
    }
}

/// Which URL prefix ends right before the host: (form, prefix length, has scheme).
fn detect_prefix(before: &str) -> Option<(Form, usize, bool)> {
    let b = before.as_bytes();
    let ends_ci = |suffix: &str| {
        b.len() >= suffix.len()
            && b[b.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let variants: [(Form, &str, &str); 3] = [
        (Form::Plain, "//", ":"),
        (Form::Json, "\\/\\/", ":"),
        (Form::Encoded { lower: false }, "%2F%2F", "%3A"),
    ];
    for (form, slashes, colon) in variants {
        if !ends_ci(slashes) {
            continue;
        }
        let form = match form {
            Form::Encoded { .. } => Form::Encoded {
                lower: before[before.len() - slashes.len()..].contains('f'),
            },
            f => f,
        };
        for scheme in ["https", "http"] {
            let full = format!("{scheme}{colon}{slashes}");
            if ends_ci(&full) {
                return Some((form, full.len(), true));
            }
        }
        let head = &before[..before.len() - slashes.len()];
        if head.ends_with(colon)
            || head
                .to_ascii_lowercase()
                .ends_with(&colon.to_ascii_lowercase())
        {
            return None; // some other scheme (ftp://…)
        }
        if head
            .as_bytes()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
        return Some((form, slashes.len(), false));
    }
    None
}

#[cfg(test)]
#[path = "tests/url.rs"]
mod tests;
