//! Opt-in live check against a real Railway project, for maintainers with an account.
//!
//! Needs `WPSTAGE_LIVE_RAILWAY_TOKEN` (account or workspace token), `WPSTAGE_LIVE_RAILWAY_PROJECT`
//! (a throwaway project whose `production` environment runs WordPress and PostgreSQL with a TCP
//! proxy) and `WPSTAGE_LIVE_SHA` (a commit of the app's repository). Run it with
//! `cargo test --test live -- --ignored`; it is ignored otherwise and never runs in CI. The
//! `behaves` tests check issue 10's items 3–10 against the real API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("the live check needs {name}; see the file's doc comment"))
}

fn wpstage(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args(args)
        .args(["--platform", "railway", "--report", "json"])
        .env("RAILWAY_API_TOKEN", env("WPSTAGE_LIVE_RAILWAY_TOKEN"))
        .env("RAILWAY_PROJECT_ID", env("WPSTAGE_LIVE_RAILWAY_PROJECT"))
        .env_remove("WPSTAGE_RAILWAY_ENDPOINT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wpstage {args:?} failed:\n{stderr}");
    assert!(
        !stderr.contains(&env("WPSTAGE_LIVE_RAILWAY_TOKEN")),
        "the token leaked"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "live Railway check: needs an account (see the file's doc comment)"]
fn up_and_down_on_a_real_railway_project() {
    let sha = env("WPSTAGE_LIVE_SHA");
    let up = wpstage(&["up", "--pr", "999999", "--sha", &sha]);
    assert_eq!(up["created"], true, "{up}");
    let preview = up["preview_url"].as_str().unwrap();
    assert!(preview.starts_with("https://"), "{up}");
    assert!(up["data"]["rows"].as_u64().unwrap() > 0, "{up}");
    let down = wpstage(&["down", "--pr", "999999"]);
    assert_eq!(down["deleted"], true, "{down}");
}

/// Railway as it behaves (issue 10, items 3–10), through the library against the live
/// API. Optional: `WPSTAGE_LIVE_BRANCH` (a branch of the app's repository holding
/// `WPSTAGE_LIVE_SHA`) and `WPSTAGE_LIVE_APP_IMAGE` (an image tag to deploy instead).
mod behaves {
    use std::time::Duration;

    use secrecy::SecretString;
    use wpstage::lifecycle::{self, LifecycleConfig, UpRequest};
    use wpstage::platform::Platform;
    use wpstage::platform::railway::{RailwayConfig, RailwayPlatform};
    use wpstage::railway::RailwayClient;

    use super::env;

    const PR: u64 = 999_998;

    fn client() -> RailwayClient {
        RailwayClient::new(SecretString::from(env("WPSTAGE_LIVE_RAILWAY_TOKEN")), None).unwrap()
    }

    fn platform(tweak: impl FnOnce(&mut RailwayConfig)) -> RailwayPlatform {
        let mut config = RailwayConfig::new(env("WPSTAGE_LIVE_RAILWAY_PROJECT"));
        config.app_image = std::env::var("WPSTAGE_LIVE_APP_IMAGE").ok();
        tweak(&mut config);
        RailwayPlatform::new(client(), config)
    }

    fn request() -> UpRequest {
        UpRequest {
            pr: PR,
            sha: env("WPSTAGE_LIVE_SHA"),
            branch: std::env::var("WPSTAGE_LIVE_BRANCH").ok(),
            refresh_data: false,
            keep_on_failure: false,
        }
    }

    async fn down(platform: &RailwayPlatform) {
        lifecycle::down(platform, &LifecycleConfig::default(), PR)
            .await
            .unwrap();
    }

    /// Items 3–8 and 10: `--no-wait` returns once the deploy started and keeps the environment;
    /// the deploy is accepted (commit for a repo app, none for an image app); the preview
    /// domain has production's port; the PR database has a password of its own;
    /// WP_SITEURL keeps production's path; every other service production runs was deployed.
    #[tokio::test]
    #[ignore = "live Railway check: needs an account (see the file's doc comment)"]
    async fn no_wait_up_on_a_real_project_points_the_app_at_the_pr() {
        let platform = platform(|_| {});
        let cfg = LifecycleConfig {
            wait_for_deploy: false,
            ..LifecycleConfig::default()
        };
        let up = lifecycle::up(&platform, &cfg, &request()).await;
        let result = async {
            let up = up?;
            anyhow::ensure!(up.created, "not created: {up:?}");
            let deployment = up.deployment.clone().unwrap();
            anyhow::ensure!(deployment.status == "TRIGGERED", "{deployment:?}");
            anyhow::ensure!(
                up.fidelity.iter().all(|f| f.kind != "deployment"),
                "a service production runs was left undeployed: {:?}",
                up.fidelity
            );
            let env_id = up.environment_id.clone().unwrap();
            let project = env("WPSTAGE_LIVE_RAILWAY_PROJECT");
            let source = platform.source_environment().await?;
            let app = platform.roles().await?.app;
            let pr_domains = client().domains(&project, &env_id, &app.id).await?;
            let prod_domains = client().domains(&project, &source.id, &app.id).await?;
            let port = |d: &wpstage::railway::AllDomains| {
                d.service_domains.iter().find_map(|s| s.target_port)
            };
            anyhow::ensure!(port(&pr_domains) == port(&prod_domains), "domain port");
            let prod_siteurl = platform.source_app_variable("WP_SITEURL").await?;
            let vars = client()
                .variables(&project, &env_id, Some(&app.id), true)
                .await?;
            anyhow::ensure!(
                prod_siteurl.is_some() || vars.expose("WP_SITEURL").is_none(),
                "WP_SITEURL set although production does not set it"
            );
            let db = platform.roles().await?.database;
            let password = |env_id: String| {
                let (project, db) = (project.clone(), db.id.clone());
                async move {
                    let vars = client()
                        .variables(&project, &env_id, Some(&db), false)
                        .await?;
                    anyhow::Ok(vars.expose("PGPASSWORD").map(str::to_owned))
                }
            };
            let (pr_pw, prod_pw) = (password(env_id).await?, password(source.id).await?);
            anyhow::ensure!(
                pr_pw.is_some() && pr_pw != prod_pw,
                "the PR database kept production's password"
            );
            Ok(())
        }
        .await;
        down(&platform).await;
        result.unwrap();
    }

    /// Item 9: an unmarked duplicate left by a cancelled run is adopted by the next `up`.
    #[tokio::test]
    #[ignore = "live Railway check: needs an account (see the file's doc comment)"]
    async fn a_cancelled_runs_leftover_is_adopted_on_a_real_project() {
        let platform = platform(|c| c.adopt_after = Duration::ZERO);
        let project = env("WPSTAGE_LIVE_RAILWAY_PROJECT");
        let source = platform.source_environment().await.unwrap();
        let leftover = client()
            .create_environment(&project, &format!("pr-{PR}"), &source.id)
            .await
            .unwrap();
        let up = lifecycle::up(&platform, &LifecycleConfig::default(), &request()).await;
        down(&platform).await;
        let up = up.unwrap();
        assert_eq!(up.environment_id.as_deref(), Some(leftover.id.as_str()));
        assert!(!up.created && up.data.is_some(), "{up:?}");
    }
}
