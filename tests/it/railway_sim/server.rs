//! The simulated Railway's HTTP handler: record, inject faults, validate against the schema,
//! authenticate, resolve.

use std::sync::Arc;

use apollo_compiler::executable::Selection;
use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    ACCOUNT_TOKEN, Backing, Caller, Fault, Inner, Recorded, backing_of, exec, lock, schema,
};
use crate::support::{client, clusters, fresh_db};

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Requests a Hobby token may send per hour (Railway's documented budget).
pub(crate) const HOURLY_BUDGET: u64 = 1000;

/// Every answer carries the budget headers Railway sends (`X-RateLimit-*`; the reset as Unix
/// seconds).
pub(crate) async fn handle(
    AxState(inner): AxState<Arc<Inner>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut response = respond(AxState(inner.clone()), headers, body).await;
    let used = lock(&inner.requests).len() as u64
        + inner
            .spent_elsewhere
            .load(std::sync::atomic::Ordering::Relaxed);
    let reset = inner
        .window_resets
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let set = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", HOURLY_BUDGET),
        ("x-ratelimit-remaining", HOURLY_BUDGET.saturating_sub(used)),
        ("x-ratelimit-reset", reset),
    ] {
        set.insert(name, value.into());
    }
    response
}

async fn respond(
    AxState(inner): AxState<Arc<Inner>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": [{"message": "body is not JSON"}]}),
        );
    };
    let operation = request["operationName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let query = request["query"].as_str().unwrap_or_default().to_owned();
    let variables = request.get("variables").cloned().unwrap_or(Value::Null);
    let authorization = header_str(&headers, "authorization");
    let project_access_token = header_str(&headers, "project-access-token");
    lock(&inner.requests).push(Recorded {
        operation: operation.clone(),
        variables: variables.clone(),
        authorization: authorization.clone(),
        project_access_token: project_access_token.clone(),
    });

    let fault = {
        let mut faults = lock(&inner.faults);
        let pos = faults
            .iter()
            .position(|f| f.operation.as_deref().is_none_or(|o| o == operation));
        match pos {
            Some(p) if faults[p].skip > 0 => {
                faults[p].skip -= 1;
                None
            }
            Some(p) => Some(faults.remove(p).fault),
            None => None,
        }
    };
    let mut extra_error = None;
    match fault {
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            return Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header(header::RETRY_AFTER, retry_after_secs.to_string())
                .body(Body::from("rate limited"))
                .unwrap();
        }
        Some(Fault::ServerError) => {
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from("upstream error"))
                .unwrap();
        }
        Some(Fault::Html) => {
            return Response::builder()
                .status(StatusCode::FORBIDDEN)
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from(
                    "<!DOCTYPE html><html><title>Access denied | Cloudflare</title></html>",
                ))
                .unwrap();
        }
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::GraphqlError(m)) => {
            return json_response(
                StatusCode::OK,
                &json!({"data": null, "errors": [{"message": m}]}),
            );
        }
        Some(Fault::DataNull) => return json_response(StatusCode::OK, &json!({"data": null})),
        Some(Fault::ErrorsWithData(m)) => extra_error = Some(m),
        None => {}
    }

    let doc = match schema::validate(&query) {
        Ok(doc) => doc,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"errors": [{"message": format!("GraphQL validation failed: {e}")}]}),
            );
        }
    };
    let Ok(op) = doc
        .operations
        .get(Some(operation.as_str()).filter(|o| !o.is_empty()))
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": [{"message": "unknown operationName"}]}),
        );
    };
    let caller = {
        let st = lock(&inner.state);
        let bearer = authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "));
        match (bearer, project_access_token.as_deref()) {
            (Some(ACCOUNT_TOKEN), _) => Caller::Account,
            (None, Some(t)) => {
                st.project_tokens
                    .get(t)
                    .map_or(Caller::Nobody, |(p, e)| Caller::ProjectToken {
                        project: p.clone(),
                        environment: e.clone(),
                    })
            }
            _ => Caller::Nobody,
        }
    };
    let fields: Vec<_> = op
        .selection_set
        .selections
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    let new_db =
        if fields.iter().any(|f| f.name == "environmentCreate") && caller == Caller::Account {
            Some(backing_of(&fresh_db(&clusters().staging, "sim_env").await))
        } else {
            None
        };
    let mut data = serde_json::Map::new();
    let mut errors = Vec::new();
    let inits = {
        let mut st = lock(&inner.state);
        for f in &fields {
            let key = f.response_key().to_string();
            match st.resolve(f, &variables, &caller, new_db.clone()) {
                Ok(v) => {
                    data.insert(key, exec::project(&v, &f.selection_set));
                }
                Err(message) => errors.push(json!({"message": message, "path": [key]})),
            }
        }
        for run in std::mem::take(&mut st.pending_runs) {
            super::one_off::spawn(inner.clone(), run);
        }
        std::mem::take(&mut st.pending_inits)
    };
    for init in inits {
        initialise(&init).await;
    }
    if let Some(m) = extra_error {
        errors.push(json!({"message": m}));
        return json_response(StatusCode::OK, &json!({"data": data, "errors": errors}));
    }
    if errors.is_empty() {
        json_response(StatusCode::OK, &json!({"data": data}))
    } else {
        json_response(StatusCode::OK, &json!({"data": null, "errors": errors}))
    }
}

/// Creates the role a first deploy initialised the data directory with: a superuser (as the
/// Postgres image's `POSTGRES_USER` is) owning the environment's database, with the password
/// that deployment saw.
async fn initialise(init: &Backing) {
    let admin = client(&clusters().staging.url("postgres")).await;
    let role = init.user.replace('"', "\"\"");
    let password = init.password.replace('\'', "''");
    let db = init.database.replace('"', "\"\"");
    admin
        .batch_execute(&format!(
            "CREATE ROLE \"{role}\" LOGIN SUPERUSER PASSWORD '{password}'; \
             ALTER DATABASE \"{db}\" OWNER TO \"{role}\""
        ))
        .await
        .unwrap_or_else(|e| panic!("initialise the simulated database {}: {e}", init.database));
}
