//! Which service is the database and which the WordPress app, by configured name or by what
//! they look like (image, variables). Pure: the caller fetches the services.

use crate::railway::{ServiceInstance, VariableSet};

/// A service the platform works with (the same service id in every environment of a project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub id: String,
    pub name: String,
    /// The connected repository; `None` for an image service (deployed without a commit).
    pub repo: Option<String>,
}

/// The two services wpstage needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    pub app: ServiceRef,
    pub database: ServiceRef,
}

/// Why the services could not be told apart; every message lists what exists.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DetectError {
    #[error(
        "no service named {name:?} in environment {environment}; services there: {existing}. \
         Set the {role} service name to one of them"
    )]
    UnknownName {
        role: &'static str,
        name: String,
        environment: String,
        existing: String,
    },
    #[error(
        "cannot tell which service is the {role} in environment {environment} ({found}); \
         services there: {existing}. Set the {role} service name explicitly"
    )]
    Ambiguous {
        role: &'static str,
        environment: String,
        found: String,
        existing: String,
    },
}

const POSTGRES_IMAGES: &[&str] = &["postgres", "ghcr.io/railwayapp-templates/postgres-ssl"];

/// Whether a service looks like Railway's PostgreSQL: its image, or variables only a Postgres
/// service defines itself.
pub fn looks_like_postgres(service: &ServiceInstance, vars: Option<&VariableSet>) -> bool {
    let by_image = service.image().is_some_and(|image| {
        let repo = image.split(['@', ':']).next().unwrap_or(image);
        POSTGRES_IMAGES
            .iter()
            .any(|p| repo == *p || repo.ends_with(&format!("/{p}")))
    });
    let by_vars = vars.is_some_and(|v| v.contains("PGDATA") || v.contains("POSTGRES_PASSWORD"));
    by_image || by_vars
}

fn looks_like_wordpress(service: &ServiceInstance) -> bool {
    service.image().is_some_and(|i| i.contains("wordpress"))
        || service
            .source
            .as_ref()
            .and_then(|s| s.repo.as_deref())
            .is_some_and(|r| r.to_ascii_lowercase().contains("wordpress"))
}

/// Picks the app and database services. `services` pairs each service with its own variables
/// (`None` when not fetched).
pub fn detect_roles(
    environment: &str,
    services: &[(ServiceInstance, Option<VariableSet>)],
    app_name: Option<&str>,
    database_name: Option<&str>,
) -> Result<Roles, DetectError> {
    let existing = {
        let names: Vec<&str> = services
            .iter()
            .map(|(s, _)| s.service_name.as_str())
            .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    let by_name = |role: &'static str, name: &str| {
        services
            .iter()
            .find(|(s, _)| s.service_name == name)
            .map(|(s, _)| to_ref(s))
            .ok_or_else(|| DetectError::UnknownName {
                role,
                name: name.to_owned(),
                environment: environment.to_owned(),
                existing: existing.clone(),
            })
    };
    let database = match database_name {
        Some(name) => by_name("database", name)?,
        None => {
            let found: Vec<&ServiceInstance> = services
                .iter()
                .filter(|(s, v)| looks_like_postgres(s, v.as_ref()))
                .map(|(s, _)| s)
                .collect();
            single("database", environment, &found, &existing)?
        }
    };
    let app = match app_name {
        Some(name) => by_name("app", name)?,
        None => {
            let others: Vec<&ServiceInstance> = services
                .iter()
                .map(|(s, _)| s)
                .filter(|s| s.service_id != database.id)
                .collect();
            let wordpress: Vec<&ServiceInstance> = others
                .iter()
                .copied()
                .filter(|s| looks_like_wordpress(s))
                .collect();
            let with_domain: Vec<&ServiceInstance> = others
                .iter()
                .copied()
                .filter(|s| {
                    !s.domains.service_domains.is_empty() || !s.domains.custom_domains.is_empty()
                })
                .collect();
            let pick = if wordpress.is_empty() {
                with_domain
            } else {
                wordpress
            };
            single("app", environment, &pick, &existing)?
        }
    };
    Ok(Roles { app, database })
}

fn single(
    role: &'static str,
    environment: &str,
    found: &[&ServiceInstance],
    existing: &str,
) -> Result<ServiceRef, DetectError> {
    match found {
        [one] => Ok(to_ref(one)),
        [] => Err(DetectError::Ambiguous {
            role,
            environment: environment.to_owned(),
            found: "none matches".to_owned(),
            existing: existing.to_owned(),
        }),
        many => Err(DetectError::Ambiguous {
            role,
            environment: environment.to_owned(),
            found: format!(
                "several match: {}",
                many.iter()
                    .map(|s| s.service_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            existing: existing.to_owned(),
        }),
    }
}

pub(super) fn to_ref(s: &ServiceInstance) -> ServiceRef {
    ServiceRef {
        id: s.service_id.clone(),
        name: s.service_name.clone(),
        repo: s.source.as_ref().and_then(|src| src.repo.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(id: &str, name: &str, image: Option<&str>, domain: bool) -> ServiceInstance {
        let domains = if domain {
            serde_json::json!({"serviceDomains": [{"id": "d", "domain": "x.up.railway.app", "targetPort": null}], "customDomains": []})
        } else {
            serde_json::json!({"serviceDomains": [], "customDomains": []})
        };
        let value = serde_json::json!({
            "id": format!("si-{id}"), "serviceId": id, "serviceName": name,
            "source": {"image": image, "repo": null}, "latestDeployment": null, "domains": domains,
        });
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn detects_by_image_and_domain() {
        let services = vec![
            (
                service(
                    "1",
                    "Postgres",
                    Some("ghcr.io/railwayapp-templates/postgres-ssl:17"),
                    false,
                ),
                None,
            ),
            (service("2", "site", Some("wordpress:6"), true), None),
            (service("3", "worker", Some("redis:7"), false), None),
        ];
        let roles = detect_roles("production", &services, None, None).unwrap();
        assert_eq!(roles.database.name, "Postgres");
        assert_eq!(roles.app.name, "site");
    }

    #[test]
    fn detects_postgres_by_its_variables() {
        let mut vars = VariableSet::new();
        vars.insert("PGDATA", "/var/lib/postgresql/data/pgdata");
        let services = vec![
            (
                service("1", "db", Some("custom/pg-fork"), false),
                Some(vars),
            ),
            (service("2", "web", None, true), Some(VariableSet::new())),
        ];
        let roles = detect_roles("production", &services, None, None).unwrap();
        assert_eq!(roles.database.id, "1");
        assert_eq!(roles.app.id, "2");
    }

    #[test]
    fn unknown_names_list_what_exists() {
        let services = vec![(service("1", "Postgres", Some("postgres:16"), false), None)];
        let err = detect_roles("production", &services, Some("wp"), None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"wp\"") && text.contains("services there: Postgres"),
            "{text}"
        );
    }

    #[test]
    fn two_candidates_are_ambiguous() {
        let services = vec![
            (service("1", "pg-a", Some("postgres:16"), false), None),
            (service("2", "pg-b", Some("postgres:17"), false), None),
        ];
        let err = detect_roles("production", &services, None, None).unwrap_err();
        assert!(
            err.to_string().contains("several match: pg-a, pg-b"),
            "{err}"
        );
    }
}
