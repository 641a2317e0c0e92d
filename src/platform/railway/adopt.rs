//! Adopting what a cancelled run left behind. A run cancelled between `environmentCreate` and
//! marking leaves an unmarked `pr-N` that every later run would refuse as someone else's.
//!
//! An unmarked environment is adopted only when all of these hold:
//! - it carries none of wpstage's marker variables (`WPSTAGE_*`): a marked one is a run's own,
//!   and a partly marked one is not a plain leftover;
//! - it is ephemeral and was duplicated from the source environment (as wpstage makes them);
//! - its name ends in the PR number (wpstage names environments prefix + N);
//! - it is older than [`RailwayConfig::adopt_after`](super::RailwayConfig): a younger one may
//!   belong to a concurrent run that has not marked it yet, and wpstage never adopts, rolls
//!   back or deletes what a concurrent run just made.
//!
//! Adoption marks the environment; the run that adopts it did not create it, so a later failure
//! of that run leaves it in place instead of rolling it back.

use std::time::{Duration, SystemTime};

use tracing::warn;

use super::{EnvRef, RailwayPlatform, RailwayPlatformError, parse_time};
use crate::railway::{Environment, VariableSet};

/// Whether `vars` hold any of wpstage's marker variables.
pub(super) fn has_marker_variables(vars: &VariableSet) -> bool {
    vars.names().any(|n| n.starts_with("WPSTAGE_"))
}

/// The PR number at the end of an environment name (`pr-42` → 42).
fn trailing_number(name: &str) -> Option<u64> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name[name.len() - digits..].parse().ok()
}

/// Why an unmarked environment is (not) a leftover wpstage may adopt.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Leftover {
    /// Adopt it for this PR.
    Adopt(u64),
    /// Made like wpstage's but too recently: a concurrent run may be about to mark it.
    TooFresh(Duration),
    /// Not made by wpstage.
    Foreign,
}

/// Classifies `env` (whose shared variables are `vars`) against the source environment.
pub(super) fn classify(
    env: &Environment,
    vars: &VariableSet,
    source_id: &str,
    adopt_after: Duration,
    now: SystemTime,
) -> Leftover {
    let from_source = env
        .source_environment
        .as_ref()
        .is_some_and(|s| s.id == source_id);
    let pr = trailing_number(&env.name);
    let (true, true, false, Some(pr)) = (
        env.is_ephemeral,
        from_source,
        has_marker_variables(vars),
        pr,
    ) else {
        return Leftover::Foreign;
    };
    let age = env
        .created_at
        .as_deref()
        .and_then(parse_time)
        .and_then(|t| now.duration_since(t).ok())
        .unwrap_or(Duration::ZERO);
    if age < adopt_after {
        Leftover::TooFresh(age)
    } else {
        Leftover::Adopt(pr)
    }
}

impl RailwayPlatform {
    /// Adopts the unmarked environment `env` if it is a leftover (see the module comment),
    /// marking it; otherwise the error that says why it is left alone.
    pub(super) async fn adopt(
        &self,
        env: &Environment,
        vars: &VariableSet,
    ) -> Result<EnvRef, RailwayPlatformError> {
        let source = self.source_environment().await?;
        let adopt_after = self.config.adopt_after;
        match classify(env, vars, &source.id, adopt_after, SystemTime::now()) {
            Leftover::Adopt(pr) => {
                let found = EnvRef {
                    id: env.id.clone(),
                    name: env.name.clone(),
                };
                warn!(
                    environment = %env.name,
                    "adopting an unmarked environment left by a cancelled run"
                );
                self.mark(&found, pr).await?;
                Ok(found)
            }
            Leftover::TooFresh(age) => Err(RailwayPlatformError::MaybeConcurrent {
                name: env.name.clone(),
                age_secs: age.as_secs(),
                wait_secs: adopt_after.saturating_sub(age).as_secs().max(1),
            }),
            Leftover::Foreign => Err(RailwayPlatformError::NotManaged {
                name: env.name.clone(),
            }),
        }
    }

    /// Unmarked environments made like wpstage's (ephemeral, from the source environment).
    pub(super) async fn unmarked(&self) -> Result<Vec<EnvRef>, RailwayPlatformError> {
        let source = self.source_environment().await?;
        let envs = self.client.environments(self.project()).await?;
        let mut out = Vec::new();
        for env in envs.iter().filter(|e| {
            e.is_ephemeral
                && e.source_environment
                    .as_ref()
                    .is_some_and(|s| s.id == source.id)
        }) {
            let Some(vars) = self.marker(&env.id).await? else {
                continue;
            };
            if !has_marker_variables(&vars) {
                out.push(EnvRef {
                    id: env.id.clone(),
                    name: env.name.clone(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::EnvironmentRef;

    fn env(name: &str, ephemeral: bool, source: Option<&str>, age: Duration) -> Environment {
        let created = SystemTime::now() - age;
        Environment {
            id: format!("id-{name}"),
            name: name.to_owned(),
            is_ephemeral: ephemeral,
            created_at: Some(humantime::format_rfc3339_seconds(created).to_string()),
            source_environment: source.map(|s| EnvironmentRef {
                id: s.to_owned(),
                name: "production".to_owned(),
            }),
        }
    }

    const OLD: Duration = Duration::from_secs(3600);
    const WAIT: Duration = Duration::from_secs(180);

    fn classify_now(env: &Environment, vars: &VariableSet) -> Leftover {
        classify(env, vars, "prod", WAIT, SystemTime::now())
    }

    #[test]
    fn an_old_unmarked_duplicate_of_the_source_is_adopted_for_its_pr() {
        let e = env("pr-42", true, Some("prod"), OLD);
        assert_eq!(classify_now(&e, &VariableSet::new()), Leftover::Adopt(42));
    }

    #[test]
    fn a_fresh_one_may_be_a_concurrent_runs() {
        let e = env("pr-42", true, Some("prod"), Duration::from_secs(5));
        assert!(matches!(
            classify_now(&e, &VariableSet::new()),
            Leftover::TooFresh(age) if age < WAIT
        ));
    }

    #[test]
    fn anything_else_is_foreign() {
        let mut partly = VariableSet::new();
        partly.insert("WPSTAGE_PR", "42");
        let cases = [
            (env("pr-42", true, Some("prod"), OLD), partly),
            (env("pr-42", false, Some("prod"), OLD), VariableSet::new()),
            (env("pr-42", true, Some("staging"), OLD), VariableSet::new()),
            (env("pr-42", true, None, OLD), VariableSet::new()),
            (env("preview", true, Some("prod"), OLD), VariableSet::new()),
        ];
        for (e, vars) in cases {
            assert_eq!(classify_now(&e, &vars), Leftover::Foreign, "{e:?}");
        }
    }
}
