//! The Railway client against the simulated Railway: documents valid for the real schema,
//! retries of transient failures, typed errors, token detection, pagination.

use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use wpstage::railway::{DOCUMENTS, RailwayClient, RailwayError, RetryPolicy};

use crate::railway_sim::{Fault, Sim, SimOptions, fast_retry, schema};
use crate::support::{clusters, fresh_db};

async fn seeded(options: SimOptions) -> (Sim, crate::railway_sim::Seed) {
    let sim = Sim::start(options).await;
    let prod = fresh_db(&clusters().prod, "sim_prod").await;
    let seed = sim.seed_production(&prod);
    (sim, seed)
}

#[test]
fn every_document_validates_against_the_railway_schema() {
    assert!(DOCUMENTS.len() >= 15);
    for (name, text) in DOCUMENTS {
        if let Err(e) = schema::validate(text) {
            panic!("{name} does not validate against schema.json:\n{e}");
        }
    }
}

#[test]
fn the_validator_rejects_unknown_fields_wrong_arguments_and_variable_types() {
    let unknown_field = "query P($id: String!) { project(id: $id) { id colour } }";
    let wrong_arg = "query P($id: String!) { project(projectId: $id) { id } }";
    let wrong_type = "query P($id: Int!) { project(id: $id) { id } }";
    for bad in [unknown_field, wrong_arg, wrong_type] {
        assert!(schema::validate(bad).is_err(), "accepted: {bad}");
    }
    assert!(schema::validate("query P($id: String!) { project(id: $id) { id } }").is_ok());
}

#[tokio::test]
async fn the_simulator_rejects_a_document_that_does_not_validate() {
    let sim = Sim::start(SimOptions::default()).await;
    let body = serde_json::json!({
        "query": "query Bad { project(id: \"x\") { id nonsense } }",
        "operationName": "Bad",
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(sim.endpoint.clone())
        .bearer_auth(crate::railway_sim::ACCOUNT_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("GraphQL validation failed") && message.contains("nonsense"),
        "{message}"
    );
}

#[tokio::test]
async fn errors_with_http_200_fail_even_when_data_is_present() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    sim.fail(
        Some("Project"),
        Fault::ErrorsWithData("Problem processing request".into()),
    );
    let err = sim.client().project(&seed.project_id).await.unwrap_err();
    assert!(matches!(err, RailwayError::Rejected { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Problem processing request"),
        "{err}"
    );
    sim.fail(
        Some("Project"),
        Fault::GraphqlError("Invalid project".into()),
    );
    let err = sim.client().project(&seed.project_id).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Railway rejected Project: Invalid project"),
        "{err}"
    );
}

#[tokio::test]
async fn data_null_without_errors_is_a_typed_error() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    sim.fail(Some("Project"), Fault::DataNull);
    let err = sim.client().project(&seed.project_id).await.unwrap_err();
    assert!(
        matches!(
            err,
            RailwayError::MissingData {
                operation: "Project"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limit_server_error_html_and_slow_answers_are_retried() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    sim.fail(
        Some("Project"),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    sim.fail(Some("Project"), Fault::ServerError);
    sim.fail(Some("Project"), Fault::Html);
    let client = sim.client();
    let project = client.project(&seed.project_id).await.unwrap();
    assert_eq!(project.name, "wordpress-shop");
    assert_eq!(sim.count("Project"), 4);
    assert_eq!(client.request_count().calls, 4);

    let slow = sim.client().with_retry(RetryPolicy {
        request_timeout: Duration::from_millis(200),
        ..fast_retry()
    });
    sim.fail(Some("Project"), Fault::Slow(Duration::from_secs(1)));
    assert!(slow.project(&seed.project_id).await.is_ok());
}

#[tokio::test]
async fn an_exhausted_budget_gives_a_typed_error_that_says_what_to_do() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    for _ in 0..4 {
        sim.fail(Some("Project"), Fault::ServerError);
    }
    let err = sim.client().project(&seed.project_id).await.unwrap_err();
    assert!(
        matches!(err, RailwayError::Unavailable { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("rerun"), "{err}");
    for _ in 0..4 {
        sim.fail(
            Some("Project"),
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        );
    }
    let err = sim.client().project(&seed.project_id).await.unwrap_err();
    assert!(matches!(err, RailwayError::RateLimited { .. }), "{err:?}");
}

#[tokio::test]
async fn a_failed_environment_create_is_not_resent_blindly() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    sim.fail(Some("CreateEnvironment"), Fault::ServerError);
    let err = sim
        .client()
        .create_environment(&seed.project_id, "pr-1", &seed.production_id)
        .await
        .unwrap_err();
    assert!(matches!(err, RailwayError::Uncertain { .. }), "{err:?}");
    assert_eq!(sim.count("CreateEnvironment"), 1);
}

#[tokio::test]
async fn a_project_token_is_recognised_and_refused_with_an_explanation() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    sim.add_project_token("sim-project-token", &seed.project_id, &seed.production_id);
    let client = sim.client_with_token("sim-project-token");
    let err = client.project(&seed.project_id).await.unwrap_err();
    assert!(matches!(err, RailwayError::ProjectToken { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("project token") && text.contains("RAILWAY_API_TOKEN"),
        "{text}"
    );
    assert!(!text.contains("sim-project-token"));
    let probe = sim
        .requests()
        .into_iter()
        .find(|r| r.operation == "ProjectToken")
        .unwrap();
    assert_eq!(
        probe.project_access_token.as_deref(),
        Some("sim-project-token")
    );
    assert_eq!(probe.authorization, None);

    let err = sim
        .client_with_token("wrong")
        .project(&seed.project_id)
        .await
        .unwrap_err();
    assert!(matches!(err, RailwayError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn environments_are_listed_across_all_pages() {
    let (sim, seed) = seeded(SimOptions {
        page_size: 3,
        ..SimOptions::default()
    })
    .await;
    for n in 0..10 {
        sim.add_environment(
            &seed.project_id,
            &format!("other-{n}"),
            false,
            None,
            SystemTime::now(),
        );
    }
    let envs = sim.client().environments(&seed.project_id).await.unwrap();
    assert_eq!(envs.len(), 11);
    assert!(envs.iter().any(|e| e.name == "other-9"));
    assert_eq!(sim.count("ListEnvironments"), 4);
    let cursors: Vec<_> = sim
        .requests()
        .iter()
        .filter(|r| r.operation == "ListEnvironments")
        .map(|r| r.variables["after"].clone())
        .collect();
    assert!(
        cursors[0].is_null() && cursors[1..].iter().all(|c| c.is_string()),
        "{cursors:?}"
    );
}

#[tokio::test]
async fn the_token_is_sent_as_bearer_and_never_shown() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    let client = RailwayClient::new(
        SecretString::from(crate::railway_sim::ACCOUNT_TOKEN.to_owned()),
        Some(sim.endpoint.clone()),
    )
    .unwrap();
    client.project(&seed.project_id).await.unwrap();
    assert_eq!(
        sim.requests()[0].authorization.as_deref(),
        Some("Bearer sim-account-token")
    );
    assert!(!format!("{client:?}").contains("sim-account-token"));
    let vars = client
        .variables(
            &seed.project_id,
            &seed.production_id,
            Some(&seed.db_service_id),
            false,
        )
        .await
        .unwrap();
    assert!(vars.expose("PGPASSWORD").is_some_and(|p| !p.is_empty()));
    assert!(!format!("{vars:?}").contains(vars.expose("PGPASSWORD").unwrap()));
}

#[tokio::test]
async fn the_budget_railway_reports_is_read_and_slows_polling_as_it_shrinks() {
    let (sim, seed) = seeded(SimOptions::default()).await;
    let client = sim.client();
    assert_eq!(client.rate_budget(), None, "no answer yet");
    client.project(&seed.project_id).await.unwrap();
    let plenty = client
        .rate_budget()
        .expect("the budget headers were not read");
    assert_eq!(plenty.limit, Some(1000));
    assert_eq!(plenty.remaining, 1000 - sim.requests().len() as u64);
    let reset = plenty.resets_in.expect("the reset header was not read");
    assert!(reset > Duration::from_secs(3500) && reset <= Duration::from_secs(3600));
    let poll = Duration::from_secs(5);
    assert_eq!(plenty.stretch(poll), poll);

    // Other runs spent most of the hour: the next answer says so and polls wait longer.
    sim.spend_rate_budget(950);
    client.project(&seed.project_id).await.unwrap();
    let low = client.rate_budget().unwrap();
    assert!(low.remaining < 50, "{low:?}");
    assert!(low.is_low());
    assert_eq!(low.stretch(poll), poll * 4);
}
