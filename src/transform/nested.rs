//! URL rewriting through nested encodings: PHP-serialized values (lengths
//! recomputed), JSON documents (string leaves only, style kept), and any mix
//! of the two, down to [`MAX_NESTING`] levels.

use super::error::TransformError;
use super::json::{self, JsonWalk};
use super::php;
use super::url::{UrlCounts, UrlRewriter};
use super::visit::{LeafVisitor, SkipReason};

/// How many serialized/JSON layers inside one another are followed.
pub const MAX_NESTING: usize = 8;

/// Rewrites old site URLs in one decoded value.
pub struct TextRewriter<'r> {
    urls: &'r UrlRewriter,
    pub counts: UrlCounts,
    /// Parts that held an old URL but could not be rewritten safely.
    pub skipped: Vec<SkipReason>,
    depth: usize,
}

impl<'r> TextRewriter<'r> {
    pub fn new(urls: &'r UrlRewriter) -> Self {
        TextRewriter {
            urls,
            counts: UrlCounts::default(),
            skipped: Vec::new(),
            depth: 0,
        }
    }

    /// Returns the rewritten value, or `None` when it stays as it is.
    pub fn rewrite(&mut self, s: &str) -> Result<Option<String>, TransformError> {
        if !self.urls.might_match(s) {
            return Ok(None);
        }
        if self.depth > MAX_NESTING {
            self.skipped.push(SkipReason::TooDeep);
            return Ok(None);
        }
        let trimmed = s.trim();
        if php::looks_serialized(trimmed.as_bytes()) {
            let Ok(mut v) = php::parse(trimmed.as_bytes()) else {
                self.skipped.push(SkipReason::CorruptSerialized);
                return Ok(None);
            };
            self.depth += 1;
            let changed = php::walk_leaves(&mut v, None, self);
            self.depth -= 1;
            if !changed? {
                return Ok(None);
            }
            let lead = s.len() - s.trim_start().len();
            let mut bytes = s.as_bytes()[..lead].to_vec();
            php::write(&v, &mut bytes);
            bytes.extend_from_slice(&s.as_bytes()[lead + trimmed.len()..]);
            return Ok(String::from_utf8(bytes).ok());
        }
        if json::looks_like_json(s) {
            self.depth += 1;
            let walked = json::walk_strings(s, self);
            self.depth -= 1;
            match walked? {
                JsonWalk::Changed(out) => return Ok(Some(out)),
                JsonWalk::Unchanged => return Ok(None),
                JsonWalk::Invalid => {}
            }
        }
        if php::contains_serialized_fragment(s.as_bytes()) {
            self.skipped.push(SkipReason::MixedSerialized);
            return Ok(None);
        }
        Ok(self.urls.rewrite_text(s, &mut self.counts))
    }
}

impl LeafVisitor for TextRewriter<'_> {
    fn leaf(
        &mut self,
        _key: Option<&[u8]>,
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, TransformError> {
        match std::str::from_utf8(value) {
            Ok(s) => Ok(self.rewrite(s)?.map(String::into_bytes)),
            Err(_) => {
                self.skipped(SkipReason::NotUtf8, value)?;
                Ok(None)
            }
        }
    }

    fn skipped(&mut self, reason: SkipReason, bytes: &[u8]) -> Result<(), TransformError> {
        if self.urls.might_match(&String::from_utf8_lossy(bytes)) {
            self.skipped.push(reason);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests/nested.rs"]
mod tests;
