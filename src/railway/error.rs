//! What can go wrong talking to Railway, each with what to do next. No message ever contains
//! the token or a variable value.

use std::time::Duration;

/// Where to create a token that can manage environments.
pub const TOKEN_HELP: &str = "create an account token (Account Settings → Tokens, workspace \
     \"No workspace\") or a workspace token at https://railway.com/account/tokens and pass it \
     as RAILWAY_API_TOKEN";

#[derive(Debug, thiserror::Error)]
pub enum RailwayError {
    #[error(
        "the Railway token is a project token (project {project_id}, environment \
         {environment_id}); project tokens reach a single environment and cannot create or \
         delete environments: {TOKEN_HELP}"
    )]
    ProjectToken {
        project_id: String,
        environment_id: String,
    },
    #[error(
        "Railway answered \"Not Authorized\" to {operation}: the token is wrong or expired, or \
         its account/workspace cannot reach this project; check the project id, or {TOKEN_HELP}"
    )]
    Unauthorized { operation: &'static str },
    #[error(
        "Railway requires two-factor authentication for workspace {workspace}; enable 2FA on \
         the token owner's account, then rerun"
    )]
    TwoFactorRequired { workspace: String },
    #[error("Railway could not find what {operation} asked for: {message}")]
    NotFound {
        operation: &'static str,
        message: String,
    },
    #[error("Railway rejected {operation}: {message}")]
    Rejected {
        operation: &'static str,
        message: String,
    },
    #[error(
        "Railway answered {operation} without data and without an error; this is a Railway \
         fault: rerun later (wpstage commands are safe to rerun)"
    )]
    MissingData { operation: &'static str },
    #[error(
        "Railway's answer to {operation} did not have the expected shape ({detail}); the API may \
         have changed: update wpstage or report it"
    )]
    Decode {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "Railway kept rate-limiting {operation} ({attempts} attempts in {elapsed:?}); wait for \
         the hourly limit to reset (Railway plans allow 100 to 10,000 requests an hour) or use a \
         token of a higher plan, then rerun"
    )]
    RateLimited {
        operation: &'static str,
        attempts: u32,
        elapsed: Duration,
    },
    #[error(
        "Railway kept failing on {operation} ({attempts} attempts in {elapsed:?}, last: \
         {last}); check https://status.railway.com and rerun (wpstage commands are safe to \
         rerun)"
    )]
    Unavailable {
        operation: &'static str,
        attempts: u32,
        elapsed: Duration,
        last: String,
    },
    #[error(
        "{operation} failed in a way that does not tell whether Railway applied it ({detail}); \
         it was not resent to avoid doing it twice: rerun, wpstage will find what exists"
    )]
    Uncertain {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "the Railway token contains characters that cannot be sent in an HTTP header; copy it again"
    )]
    InvalidToken,
    #[error("could not set up the HTTP client for Railway: {0}")]
    Client(String),
}

impl RailwayError {
    /// Whether the error says the thing asked for does not exist (e.g. an environment that is
    /// already deleted).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RailwayError::NotFound { .. })
    }
}

/// How a GraphQL error message is classified. Railway only offers the message text, so the
/// substring matching lives here, in one tested place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    NotAuthorized,
    NotFound,
    TwoFactor,
    /// Transient: rate limit or internal error reported in `errors[]`.
    Transient,
    Other,
}

pub(crate) fn classify_message(message: &str) -> ErrorClass {
    let m = message.to_ascii_lowercase();
    if m.contains("not authorized") || m.contains("unauthorized") {
        ErrorClass::NotAuthorized
    } else if m.contains("two factor") || m.contains("two-factor") {
        ErrorClass::TwoFactor
    } else if m.contains("not found") || m.contains("does not exist") {
        ErrorClass::NotFound
    } else if m.contains("rate limit")
        || m.contains("internal server error")
        || m.contains("try again")
    {
        ErrorClass::Transient
    } else {
        ErrorClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_classified() {
        assert_eq!(
            classify_message("Not Authorized"),
            ErrorClass::NotAuthorized
        );
        assert_eq!(
            classify_message("Environment not found"),
            ErrorClass::NotFound
        );
        assert_eq!(
            classify_message("Two Factor Authentication Required"),
            ErrorClass::TwoFactor
        );
        assert_eq!(
            classify_message("Rate limit exceeded, try again"),
            ErrorClass::Transient
        );
        assert_eq!(classify_message("Invalid name"), ErrorClass::Other);
    }

    #[test]
    fn project_token_error_says_what_to_do() {
        let e = RailwayError::ProjectToken {
            project_id: "p".into(),
            environment_id: "e".into(),
        };
        let text = e.to_string();
        assert!(text.contains("project token"), "{text}");
        assert!(text.contains("RAILWAY_API_TOKEN"), "{text}");
        assert!(text.contains("account/tokens"), "{text}");
    }
}
