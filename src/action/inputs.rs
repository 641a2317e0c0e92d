//! Parsing of single action inputs (strings as the runner passes them) into typed values, with
//! errors that name the input; [`super::config`] puts them together.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;

use super::config::ConfigError;
use crate::event::{OperationInput, parse_pr_number};
use crate::lifecycle::base::DataFrom;

pub(super) fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub(super) fn secret(value: Option<String>) -> Option<SecretString> {
    trimmed(value).map(SecretString::from)
}

pub(super) fn boolean(
    input: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(v) = trimmed(value) else {
        return Ok(default);
    };
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(ConfigError::Invalid {
            input,
            hint: format!("{v:?} is not a boolean; write true or false"),
        }),
    }
}

pub(super) fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn jobs(value: Option<String>) -> Result<Option<usize>, ConfigError> {
    let Some(v) = trimmed(value) else {
        return Ok(None);
    };
    match v.parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(Some(n)),
        _ => Err(ConfigError::Invalid {
            input: "jobs",
            hint: format!(
                "{v:?} is not a worker count; give a number from 1 to 64, or leave it empty"
            ),
        }),
    }
}

/// `NAME=VALUE` lines (or comma-separated). A value is never echoed: it may be a secret.
pub(super) fn app_vars(value: Option<&str>) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut vars = BTreeMap::new();
    for line in value.unwrap_or_default().lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, v)) = line.split_once('=') else {
            return Err(ConfigError::Invalid {
                input: "app_vars",
                hint: "a line is not NAME=VALUE (the line is not shown: it may hold a secret); \
                       write one NAME=VALUE per line"
                    .to_owned(),
            });
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError::Invalid {
                input: "app_vars",
                hint: format!("{name:?} is not a variable name (letters, digits, _)"),
            });
        }
        vars.insert(name.to_owned(), v.to_owned());
    }
    Ok(vars)
}

pub(super) fn open_prs(value: Option<&str>) -> Result<Option<Vec<u64>>, ConfigError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse_pr_number(s).map_err(|_| ConfigError::Invalid {
                input: "open_prs",
                hint: format!(
                    "{s:?} is not a PR number; give numbers separated by commas, spaces or \
                     newlines (e.g. the output of `gh pr list --json number --jq '.[].number'`)"
                ),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(super) fn operation(value: Option<String>) -> Result<OperationInput, ConfigError> {
    Ok(
        match trimmed(value)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => OperationInput::Auto,
            Some("up") => OperationInput::Up,
            Some("down") => OperationInput::Down,
            Some("refresh") => OperationInput::Refresh,
            Some("reap") => OperationInput::Reap,
            Some("base-refresh") => OperationInput::BaseRefresh,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    input: "operation",
                    hint: format!(
                        "{other:?} is not one of auto, up, down, refresh, reap, base-refresh"
                    ),
                });
            }
        },
    )
}

pub(super) fn data_from(value: Option<String>) -> Result<DataFrom, ConfigError> {
    match trimmed(value).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("auto") => Ok(DataFrom::Auto),
        Some("base") => Ok(DataFrom::Base),
        Some("production") => Ok(DataFrom::Production),
        Some(other) => Err(ConfigError::Invalid {
            input: "data_from",
            hint: format!(
                "{other:?} is not one of base, production, auto (auto: the base snapshot when one \
                 younger than `base_max_age` exists, else production)"
            ),
        }),
    }
}

pub(super) fn duration(
    input: &'static str,
    value: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match trimmed(value) {
        None => Ok(default),
        Some(v) => parse_duration(&v).ok_or_else(|| ConfigError::Invalid {
            input,
            hint: format!("{v:?} is not a duration; write e.g. 90s, 15m, 12h, 7d or 1d12h"),
        }),
    }
}

/// Parses `90s`, `15m`, `12h`, `7d`, `2w` and sums like `1d12h`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
        any = true;
    }
    (any && number.is_empty()).then(|| Duration::from_secs(total))
}
