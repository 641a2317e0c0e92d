//! Railway's request budget per token (per hour: Free 100, Hobby 1,000, Pro 10,000), as its
//! `X-RateLimit-*` response headers tell it. One `up` costs about 35 requests plus deploy polls;
//! polling slows down as the budget shrinks, so that a busy hour ends in a slower preview rather
//! than in 429s half-way through a run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// What is left of the token's budget, as of the last response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Requests allowed per window (`X-RateLimit-Limit`), when sent.
    pub limit: Option<u64>,
    /// Requests left in this window (`X-RateLimit-Remaining`).
    pub remaining: u64,
    /// Time until the window resets (`X-RateLimit-Reset`), when it could be read.
    pub resets_in: Option<Duration>,
}

/// Requests a run still needs after its deploys (domains, marking, the PR comment's links).
const RESERVE: u64 = 10;
/// The longest a poll waits for the budget to come back.
const MAX_WAIT: Duration = Duration::from_secs(60);

impl RateBudget {
    /// Reads the `X-RateLimit-*` headers; `None` when `Remaining` is absent or unreadable.
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Self> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let number = |name: &str| text(name).and_then(|v| v.trim().parse::<u64>().ok());
        Some(Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining")?,
            resets_in: text("x-ratelimit-reset").and_then(|v| parse_reset(v, now)),
        })
    }

    /// Whether less than a quarter of the window (or under 100 requests) is left.
    pub fn is_low(&self) -> bool {
        match self.limit {
            Some(limit) if limit > 0 => self.remaining * 4 < limit,
            _ => self.remaining < 100,
        }
    }

    /// `delay`, stretched as the budget shrinks: twice as long under a quarter, four times under
    /// a tenth, and when only the run's own reserve is left, until the window resets (at most a
    /// minute per poll).
    pub fn stretch(&self, delay: Duration) -> Duration {
        if self.remaining <= RESERVE {
            let until_reset = self.resets_in.unwrap_or(MAX_WAIT);
            return delay.max(until_reset.min(MAX_WAIT));
        }
        let tenth = match self.limit {
            Some(limit) if limit > 0 => self.remaining * 10 < limit,
            _ => self.remaining < 40,
        };
        if tenth {
            delay * 4
        } else if self.is_low() {
            delay * 2
        } else {
            delay
        }
    }
}

impl super::RailwayClient {
    /// What is left of the token's request budget, as of the last answer (`None`: Railway did
    /// not say).
    pub fn rate_budget(&self) -> Option<RateBudget> {
        self.budget.lock().ok().and_then(|b| *b)
    }

    pub(super) fn note_budget(&self, headers: &reqwest::header::HeaderMap) {
        let Some(now) = RateBudget::from_headers(headers, std::time::SystemTime::now()) else {
            return;
        };
        let Ok(mut slot) = self.budget.lock() else {
            return;
        };
        let was_low = slot.is_some_and(|b| b.is_low());
        if now.is_low() && !was_low {
            tracing::warn!(
                remaining = now.remaining,
                limit = now.limit,
                "Railway API budget is low; deploy polling slows down until it resets"
            );
        }
        *slot = Some(now);
    }
}

/// `X-RateLimit-Reset` as a wait: Unix seconds or milliseconds, seconds from now, or RFC 3339
/// (Railway does not document which; each is read).
fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(n) = value.parse::<u64>() {
        let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        return Some(if n > 100_000_000_000 {
            Duration::from_millis(n).saturating_sub(now.duration_since(UNIX_EPOCH).ok()?)
        } else if n > 1_000_000_000 {
            Duration::from_secs(n.saturating_sub(now_secs))
        } else {
            Duration::from_secs(n)
        });
    }
    let at = humantime::parse_rfc3339_weak(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn headers_are_read_in_every_reset_form() {
        let now = at(1_800_000_000);
        for reset in ["1800000600", "1800000600000", "600", "2027-01-15T08:10:00Z"] {
            let b = RateBudget::from_headers(
                &headers(&[
                    ("x-ratelimit-limit", "1000"),
                    ("x-ratelimit-remaining", "420"),
                    ("x-ratelimit-reset", reset),
                ]),
                now,
            )
            .unwrap();
            assert_eq!(b.limit, Some(1000));
            assert_eq!(b.remaining, 420);
            assert_eq!(b.resets_in, Some(Duration::from_secs(600)), "{reset}");
        }
        assert_eq!(RateBudget::from_headers(&HeaderMap::new(), now), None);
    }

    #[test]
    fn polling_slows_down_as_the_budget_shrinks() {
        let delay = Duration::from_secs(5);
        let budget = |remaining| RateBudget {
            limit: Some(1000),
            remaining,
            resets_in: Some(Duration::from_secs(1200)),
        };
        assert_eq!(budget(900).stretch(delay), delay);
        assert!(!budget(900).is_low());
        assert_eq!(budget(200).stretch(delay), delay * 2);
        assert!(budget(200).is_low());
        assert_eq!(budget(50).stretch(delay), delay * 4);
        // Only the reserve left: wait for the window, a minute at most per poll.
        assert_eq!(budget(3).stretch(delay), Duration::from_secs(60));
        let soon = RateBudget {
            resets_in: Some(Duration::from_secs(12)),
            ..budget(3)
        };
        assert_eq!(soon.stretch(delay), Duration::from_secs(12));
    }

    #[test]
    fn without_a_limit_absolute_thresholds_apply() {
        let b = RateBudget {
            limit: None,
            remaining: 60,
            resets_in: None,
        };
        assert!(b.is_low());
        assert_eq!(b.stretch(Duration::from_secs(1)), Duration::from_secs(2));
    }
}
