//! Validated production site URL and its derived forms.

use super::GenerateError;

/// Production-site URL split into parts. `base` has no trailing slash.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub(crate) base: String,
    pub(crate) scheme: String,
    /// Host (with port, if any) — the bare-host form.
    pub(crate) host: String,
    /// Path prefix without trailing slash ("" for a root install).
    pub(crate) path: String,
}

impl Site {
    pub(crate) fn parse(url: &str) -> Result<Site, GenerateError> {
        let bad = |why: &str| GenerateError::BadSiteUrl {
            url: url.to_string(),
            why: why.to_string(),
        };
        let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = url.strip_prefix("http://") {
            ("http", r)
        } else {
            return Err(bad("it must start with http:// or https://"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 100
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
            && !host.starts_with(['.', '-', ':']);
        if !host_ok {
            return Err(bad(
                "the host must be a plain DNS name such as www.example.com (letters, digits, '.', '-', optional :port)",
            ));
        }
        let path_ok = path.len() <= 60
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
            && !path.contains("//");
        if !path_ok {
            return Err(bad(
                "the path may only contain letters, digits, '/', '-', '_' and '.'; drop any query string or fragment",
            ));
        }
        let host = host.to_ascii_lowercase();
        Ok(Site {
            base: format!("{scheme}://{host}{path}"),
            scheme: scheme.to_string(),
            host,
            path: path.to_string(),
        })
    }

    /// The host without a port, for email domains.
    pub(crate) fn mail_domain(&self) -> &str {
        let h = self.host.split(':').next().unwrap_or(&self.host);
        h.strip_prefix("www.").unwrap_or(h)
    }

    /// Same site with the other scheme (old http:// links, or https in an http site).
    pub(crate) fn other_scheme_base(&self) -> String {
        let other = if self.scheme == "https" {
            "http"
        } else {
            "https"
        };
        format!("{other}://{}{}", self.host, self.path)
    }

    pub(crate) fn protocol_relative(&self) -> String {
        format!("//{}{}", self.host, self.path)
    }
}
