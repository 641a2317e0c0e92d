//! The one way wpstage talks to Railway: `RailwayClient::post`, which sends a document, retries
//! what is transient (429 + Retry-After, 5xx, HTML pages, timeouts) with exponential backoff and
//! jitter inside a budget, and turns everything else into a typed [`RailwayError`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::RngExt;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{debug, warn};

use super::budget::RateBudget;
use super::documents::{Op, PROJECT_TOKEN};
use super::error::{ErrorClass, RailwayError, classify_message};
use super::redact::{redact, strip_quoted};

/// Railway's public GraphQL endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://backboard.railway.com/graphql/v2";

/// How hard to try before giving up. Tests use tiny delays.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Total time one request may take, retries and waits included.
    pub budget: Duration,
    /// The longest `Retry-After` wpstage honours; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// Per-attempt timeout.
    pub request_timeout: Duration,
    /// Per-attempt timeout of environment creation (duplicating a large environment is slow).
    pub create_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            budget: Duration::from_secs(180),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            create_timeout: Duration::from_secs(90),
        }
    }
}

/// Requests sent so far: `polls` are status checks while waiting, `calls` everything else.
/// Every HTTP attempt counts, retries included (they count against Railway's rate limit too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCount {
    pub calls: u64,
    pub polls: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Call,
    Poll,
}

#[derive(Debug, Clone, Copy)]
enum Auth {
    Bearer,
    ProjectAccessToken,
}

/// A client of Railway's public GraphQL API, authenticated with an account or workspace token.
pub struct RailwayClient {
    http: reqwest::Client,
    endpoint: Url,
    token: SecretString,
    retry: RetryPolicy,
    calls: AtomicU64,
    polls: AtomicU64,
    /// What Railway's last answer said is left of the token's hourly budget.
    pub(super) budget: std::sync::Mutex<Option<RateBudget>>,
}

impl std::fmt::Debug for RailwayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RailwayClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &"<redacted>")
            .finish()
    }
}

/// One failed attempt.
enum Failure {
    Fatal(RailwayError),
    Transient {
        reason: String,
        retry_after: Option<Duration>,
        /// Whether the request may have reached Railway (then a non-idempotent operation is
        /// not resent).
        delivered: bool,
        rate_limited: bool,
    },
}

impl RailwayClient {
    /// A client for `endpoint` (default: Railway's public API).
    pub fn new(token: SecretString, endpoint: Option<Url>) -> Result<Self, RailwayError> {
        let endpoint = match endpoint {
            Some(url) => url,
            None => {
                Url::parse(DEFAULT_ENDPOINT).map_err(|e| RailwayError::Client(e.to_string()))?
            }
        };
        if HeaderValue::from_str(token.expose_secret().trim()).is_err() {
            return Err(RailwayError::InvalidToken);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("wpstage/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| RailwayError::Client(e.to_string()))?;
        Ok(Self {
            http,
            endpoint,
            token,
            retry: RetryPolicy::default(),
            calls: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            budget: std::sync::Mutex::new(None),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub fn request_count(&self) -> RequestCount {
        RequestCount {
            calls: self.calls.load(Ordering::Relaxed),
            polls: self.polls.load(Ordering::Relaxed),
        }
    }

    /// Sends `op` and decodes its `data` as `T`, retrying transient failures.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        op: Op,
        variables: Value,
        kind: Kind,
    ) -> Result<T, RailwayError> {
        let start = Instant::now();
        let timeout = if op.name == super::documents::CREATE_ENVIRONMENT.name {
            self.retry.create_timeout
        } else {
            self.retry.request_timeout
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self
                .send_once(op, &variables, kind, Auth::Bearer, timeout)
                .await
            {
                Ok(data) => return decode(op, data),
                Err(f) => f,
            };
            let (reason, retry_after, rate_limited) = match failure {
                Failure::Fatal(RailwayError::Unauthorized { .. }) => {
                    return Err(self.explain_unauthorized(op).await);
                }
                Failure::Fatal(e) => return Err(e),
                Failure::Transient {
                    reason, delivered, ..
                } if delivered && !op.retry_safe => {
                    return Err(RailwayError::Uncertain {
                        operation: op.name,
                        detail: reason,
                    });
                }
                Failure::Transient {
                    reason,
                    retry_after,
                    rate_limited,
                    ..
                } => (reason, retry_after, rate_limited),
            };
            let delay = match retry_after {
                Some(wait) => wait.min(self.retry.max_retry_after),
                None => self.backoff(attempt),
            };
            let elapsed = start.elapsed();
            if attempt >= self.retry.max_attempts || elapsed + delay > self.retry.budget {
                return Err(if rate_limited {
                    RailwayError::RateLimited {
                        operation: op.name,
                        attempts: attempt,
                        elapsed,
                    }
                } else {
                    RailwayError::Unavailable {
                        operation: op.name,
                        attempts: attempt,
                        elapsed,
                        last: reason,
                    }
                });
            }
            warn!(
                operation = op.name,
                attempt, "Railway request failed ({reason}); retrying in {delay:?}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Exponential backoff with "equal jitter": between half and all of the doubled delay.
    /// The longest wait before retry `attempt`: doubling from the initial backoff, capped.
    fn backoff_ceiling(&self, attempt: u32) -> Duration {
        self.retry
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.retry.max_backoff)
    }

    /// A wait in the upper half of [`Self::backoff_ceiling`] ("equal jitter").
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.backoff_ceiling(attempt);
        let half = exp / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
        };
        half + extra
    }

    /// A Bearer request was refused: find out whether the token is a project token, which
    /// authenticates with another header and cannot manage environments.
    async fn explain_unauthorized(&self, op: Op) -> RailwayError {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Token {
            project_id: String,
            environment_id: String,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            project_token: Token,
        }
        let probe = self
            .send_once(
                PROJECT_TOKEN,
                &Value::Object(serde_json::Map::new()),
                Kind::Call,
                Auth::ProjectAccessToken,
                self.retry.request_timeout,
            )
            .await;
        match probe.ok().map(serde_json::from_value::<Data>) {
            Some(Ok(data)) => RailwayError::ProjectToken {
                project_id: data.project_token.project_id,
                environment_id: data.project_token.environment_id,
            },
            _ => RailwayError::Unauthorized { operation: op.name },
        }
    }

    async fn send_once(
        &self,
        op: Op,
        variables: &Value,
        kind: Kind,
        auth: Auth,
        timeout: Duration,
    ) -> Result<Value, Failure> {
        match kind {
            Kind::Call => self.calls.fetch_add(1, Ordering::Relaxed),
            Kind::Poll => self.polls.fetch_add(1, Ordering::Relaxed),
        };
        let body = serde_json::json!({
            "query": op.text,
            "variables": variables,
            "operationName": op.name,
        });
        let secret = self.token.expose_secret().trim();
        let (name, value) = match auth {
            Auth::Bearer => (AUTHORIZATION.as_str(), format!("Bearer {secret}")),
            Auth::ProjectAccessToken => ("Project-Access-Token", secret.to_owned()),
        };
        let mut header = HeaderValue::from_str(&value)
            .map_err(|_| Failure::Fatal(RailwayError::InvalidToken))?;
        header.set_sensitive(true);
        debug!(operation = op.name, "Railway request");
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(name, header)
            .timeout(timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_failure(&e, timeout))?;
        let status = response.status();
        self.note_budget(response.headers());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Transient {
                reason: "HTTP 429 Too Many Requests".to_owned(),
                retry_after: Some(retry_after.unwrap_or(Duration::from_secs(1))),
                delivered: false,
                rate_limited: true,
            });
        }
        let text = response
            .text()
            .await
            .map_err(|e| transport_failure(&e, timeout))?;
        if status.is_server_error() {
            return Err(Failure::Transient {
                reason: format!("HTTP {status}"),
                retry_after,
                delivered: true,
                rate_limited: false,
            });
        }
        let json: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) if text.trim_start().starts_with('<') => {
                return Err(Failure::Transient {
                    reason: format!(
                        "an HTML page instead of JSON (HTTP {status}), e.g. a Cloudflare block"
                    ),
                    retry_after,
                    delivered: false,
                    rate_limited: false,
                });
            }
            Err(_) => {
                return Err(Failure::Transient {
                    reason: format!("a body that is not JSON (HTTP {status})"),
                    retry_after,
                    delivered: true,
                    rate_limited: false,
                });
            }
        };
        interpret(op, status, json, variables)
    }
}

fn transport_failure(e: &reqwest::Error, timeout: Duration) -> Failure {
    if e.is_timeout() {
        Failure::Transient {
            reason: format!("no answer within {timeout:?}"),
            retry_after: None,
            delivered: true,
            rate_limited: false,
        }
    } else {
        Failure::Transient {
            reason: if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the connection failed".to_owned()
            },
            retry_after: None,
            delivered: !e.is_connect(),
            rate_limited: false,
        }
    }
}

/// A JSON answer: `errors[]` wins over `data`, even when both are present.
fn interpret(
    op: Op,
    status: StatusCode,
    mut json: Value,
    variables: &Value,
) -> Result<Value, Failure> {
    if let Some(first) = json
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
    {
        let message = first
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("an error without a message");
        let message = redact(message, variables);
        return Err(match classify_message(&message) {
            ErrorClass::NotAuthorized => {
                Failure::Fatal(RailwayError::Unauthorized { operation: op.name })
            }
            ErrorClass::NotFound => Failure::Fatal(RailwayError::NotFound {
                operation: op.name,
                message,
            }),
            ErrorClass::TwoFactor => Failure::Fatal(RailwayError::TwoFactorRequired {
                workspace: first
                    .pointer("/extensions/workspaceName")
                    .and_then(Value::as_str)
                    .unwrap_or("(unnamed)")
                    .to_owned(),
            }),
            ErrorClass::Transient => Failure::Transient {
                reason: message,
                retry_after: None,
                delivered: true,
                rate_limited: false,
            },
            ErrorClass::Other => Failure::Fatal(RailwayError::Rejected {
                operation: op.name,
                message,
            }),
        });
    }
    if !status.is_success() {
        return Err(Failure::Fatal(RailwayError::Rejected {
            operation: op.name,
            message: format!("HTTP {status} without a GraphQL error"),
        }));
    }
    match json.get_mut("data").map(Value::take) {
        Some(Value::Null) | None => Err(Failure::Fatal(RailwayError::MissingData {
            operation: op.name,
        })),
        Some(data) => Ok(data),
    }
}

fn decode<T: DeserializeOwned>(op: Op, data: Value) -> Result<T, RailwayError> {
    serde_json::from_value(data).map_err(|e| RailwayError::Decode {
        operation: op.name,
        detail: strip_quoted(&e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let client = RailwayClient::new(SecretString::from("t".to_owned()), None).map(|c| {
            c.with_retry(RetryPolicy {
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(400),
                ..RetryPolicy::default()
            })
        });
        let Ok(client) = client else {
            panic!("client");
        };
        let ms = Duration::from_millis;
        // The ceiling doubles until the cap, then stays there.
        let ceilings: Vec<Duration> = (1..10).map(|a| client.backoff_ceiling(a)).collect();
        assert_eq!(&ceilings[..4], &[ms(100), ms(200), ms(400), ms(400)]);
        assert!(ceilings[3..].iter().all(|c| *c == ms(400)), "{ceilings:?}");
        // Every wait lies in the upper half of its ceiling, so later waits are longer.
        for attempt in 1..10 {
            let ceiling = client.backoff_ceiling(attempt);
            for _ in 0..50 {
                let d = client.backoff(attempt);
                assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
            }
        }
        let first = (0..50).map(|_| client.backoff(1)).max();
        let third = (0..50).map(|_| client.backoff(3)).min();
        assert!(first < third, "{first:?} vs {third:?}");
    }
}
