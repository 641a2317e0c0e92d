//! No secret leaves `wpstage action` with the real lifecycle except in `::add-mask::` commands,
//! and every one is masked before it is used: the inputs (Railway and GitHub tokens, anonymize
//! key, staging password) and the credentials derived at run time from the simulated Railway
//! (the staging and production database URLs and passwords).

use std::process::ExitCode;

use serde_json::json;

use crate::action_e2e::{ANONYMIZE_KEY, E2e, GITHUB_TOKEN, STAGING_PASSWORD, event};
use crate::railway_sim::ACCOUNT_TOKEN;
use crate::support::clusters;

fn assert_clean(what: &str, text: &str, secrets: &[(&str, String)]) {
    for (name, secret) in secrets {
        for line in text.lines() {
            assert!(
                !line.contains(secret.as_str()) || line.starts_with("::add-mask::"),
                "{what} leaks the {name}: {line}"
            );
        }
    }
}

#[tokio::test]
async fn no_secret_or_derived_credential_escapes_and_each_is_masked_before_use() {
    let e = E2e::start().await;
    // What the simulated Railway hands out: production's public database URL (rendered from
    // the seeded variables) and the staging database of pr-2 (known once it exists).
    let prod = &e.rig.prod;
    let prod_password = prod.password().unwrap();
    let prod_url = format!(
        "postgresql://{}:{prod_password}@{}/{}",
        prod.user(),
        prod.host_port(),
        prod.dbname()
    );
    let staging_password = clusters().staging.url("x").password().unwrap();
    assert_ne!(prod_password, staging_password);

    e.gh.add_pull(event("pull_request.opened")["pull_request"].clone());
    let mut dispatch = event("workflow_dispatch");
    dispatch["inputs"] = json!({"pr_number": "2"});
    let runs = [
        ("pull_request", event("pull_request.opened")),
        ("workflow_dispatch", dispatch),
        ("pull_request", event("pull_request.closed")),
    ];
    for (i, (name, payload)) in runs.iter().enumerate() {
        // A staging password needs a kept user (alone it is a usage error); only this test
        // sets them, as the other end-to-end tests check that no production e-mail is kept.
        let mut env = e.env(name, payload);
        env.insert("INPUT_KEEP_USERS".to_owned(), "admin".to_owned());
        env.insert(
            "INPUT_STAGING_PASSWORD".to_owned(),
            STAGING_PASSWORD.to_owned(),
        );
        let ran = e.run(env).await;
        assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
        let staging_url = (i == 0).then(|| {
            let url = e.rig.sim.database("pr-2").unwrap();
            format!(
                "postgresql://{}:{staging_password}@{}/{}",
                url.user(),
                url.host_port(),
                url.dbname()
            )
        });
        let mut secrets: Vec<(&str, String)> = vec![
            ("Railway token", ACCOUNT_TOKEN.to_owned()),
            ("GitHub token", GITHUB_TOKEN.to_owned()),
            ("anonymize key", ANONYMIZE_KEY.to_owned()),
            ("staging password input", STAGING_PASSWORD.to_owned()),
        ];
        let derived: Vec<(&str, String)> = match (i, &staging_url) {
            (0, Some(url)) => vec![
                ("staging database password", staging_password.clone()),
                ("staging database URL", url.clone()),
                ("production database password", prod_password.clone()),
                ("production database URL", prod_url.clone()),
            ],
            // refresh reads both again; down reads no database.
            (1, _) => vec![
                ("staging database password", staging_password.clone()),
                ("production database password", prod_password.clone()),
                ("production database URL", prod_url.clone()),
            ],
            _ => vec![],
        };
        secrets.extend(derived.iter().cloned());

        // Masked: each one has its `::add-mask::`, and the first line that holds it is a mask.
        for (what, secret) in &secrets {
            let first = ran.log.lines().find(|l| l.contains(secret.as_str()));
            let exact = format!("::add-mask::{secret}");
            assert!(
                first.is_some_and(|l| l.starts_with("::add-mask::"))
                    && ran.log.lines().any(|l| l == exact),
                "run {i}: the {what} was not masked first: {first:?}\n{}",
                ran.log
            );
        }
        // Derived credentials: masked as soon as Railway gave them out, before the data copy
        // (which precedes the app's WP_HOME upsert) could use them.
        let requests = e.rig.sim.requests();
        let used_by = requests
            .iter()
            .position(|r| {
                r.operation == "UpsertVariables"
                    && r.variables["input"]["variables"].get("WP_HOME").is_some()
            })
            .unwrap_or(requests.len());
        for (what, secret) in &derived {
            let (_, at) = ran
                .masks
                .iter()
                .find(|(l, _)| l == &format!("::add-mask::{secret}"))
                .unwrap_or_else(|| panic!("{what} not masked"));
            if i == 0 {
                assert!(
                    *at <= used_by,
                    "the {what} was masked after its use ({at} > {used_by})"
                );
            }
        }
        // Nothing else carries them: stdout, outputs, summary, the comment, the deployments.
        let all: Vec<(&str, String)> = secrets
            .iter()
            .cloned()
            .chain([
                ("staging database password", staging_password.clone()),
                ("production database password", prod_password.clone()),
            ])
            .collect();
        assert_clean("stdout", &ran.log, &all);
        assert_clean("$GITHUB_OUTPUT", &e.file("output"), &all);
        assert_clean("step summary", &e.file("summary"), &all);
        let sent = e.gh.transcript().await;
        assert!(sent.contains("/issues/2/comments"), "{sent}");
        assert_clean("requests to GitHub", &sent, &all);
    }
    assert!(!e.file("summary").is_empty());
    assert_eq!(e.rig.sim.env_id("pr-2"), None);
}
