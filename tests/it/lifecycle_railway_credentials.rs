//! Issue 10, item 7: a duplicated environment inherits production's database password (Railway
//! copies variables, and the Postgres image initialises its empty volume with the
//! `POSTGRES_PASSWORD` of its first deploy). `up` gives each PR database fresh credentials
//! before that deploy and refuses an app whose database variables still reach production.

use std::collections::BTreeMap;

use wpstage::lifecycle;

use crate::lifecycle_railway::{Rig, cfg, failure, up_req};
use crate::lifecycle_railway_behaves::set_production_app_var;
use crate::railway_sim::SimOptions;
use crate::support::client;

/// The rendered variables of the database service in environment `name`.
fn db_vars(rig: &Rig, name: &str) -> BTreeMap<String, String> {
    rig.sim
        .rendered_vars(name, &rig.seed.db_service_id)
        .unwrap_or_else(|| panic!("{name} has a database service"))
}

fn app_vars(rig: &Rig, name: &str) -> BTreeMap<String, String> {
    rig.sim
        .rendered_vars(name, &rig.seed.app_service_id)
        .unwrap_or_else(|| panic!("{name} has an app service"))
}

fn var<'a>(vars: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    vars.get(name)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{name} is not set: {:?}", vars.keys()))
}

/// `(request index, skipDeploys)` of each variable upsert into the database service of
/// environment `env_id` that sets `POSTGRES_PASSWORD`.
fn password_upserts(rig: &Rig, env_id: &str) -> Vec<(usize, bool)> {
    rig.sim
        .requests()
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let input = &r.variables["input"];
            r.operation == "UpsertVariables"
                && input["environmentId"] == env_id
                && input["serviceId"] == rig.seed.db_service_id.as_str()
                && input["variables"].get("POSTGRES_PASSWORD").is_some()
        })
        .map(|(i, r)| (i, r.variables["input"]["skipDeploys"] == true))
        .collect()
}

/// Index of the first deploy of the database service in environment `env_id`.
fn first_db_deploy(rig: &Rig, env_id: &str) -> Option<usize> {
    rig.sim.requests().iter().position(|r| {
        r.operation == "DeployServiceInstance"
            && r.variables["environmentId"] == env_id
            && r.variables["serviceId"] == rig.seed.db_service_id.as_str()
    })
}

#[tokio::test]
async fn a_pr_database_gets_fresh_credentials_before_its_first_deploy_and_the_app_reaches_it() {
    let rig = Rig::start(SimOptions::default()).await;
    let prod_password = rig.prod.password().unwrap();
    let prod_db = db_vars(&rig, "production");
    assert_eq!(var(&prod_db, "POSTGRES_PASSWORD"), prod_password);

    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(21, "cafe21"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(outcome.created);
    let env_id = rig.sim.env_id("pr-21").unwrap();

    // The PR database's password variables, and the URLs built from them by reference.
    let pr_db = db_vars(&rig, "pr-21");
    let fresh = var(&pr_db, "POSTGRES_PASSWORD").to_owned();
    assert!(
        fresh.len() >= 32 && fresh.chars().all(|c| c.is_ascii_alphanumeric()),
        "not a strong generated password ({} characters)",
        fresh.len()
    );
    assert_ne!(
        fresh, prod_password,
        "the PR database kept production's password"
    );
    assert_eq!(var(&pr_db, "PGPASSWORD"), fresh);
    for url in ["DATABASE_URL", "DATABASE_PUBLIC_URL"] {
        let value = var(&pr_db, url);
        assert!(
            value.contains(&format!(":{fresh}@")),
            "{url} lacks the fresh password"
        );
        assert!(
            !value.contains(&prod_password),
            "{url} holds production's password"
        );
    }
    assert_eq!(
        var(&pr_db, "POSTGRES_USER"),
        rig.sim.database("pr-21").unwrap().user(),
        "the user name is kept"
    );
    // The volume was initialised with the fresh password: it is what the database accepts.
    let db = rig.sim.database("pr-21").unwrap();
    assert_eq!(db.password().as_deref(), Some(fresh.as_str()));
    client(&db).await.simple_query("SELECT 1").await.unwrap();

    // One upsert, deploys skipped, before the database's first deploy.
    let upserts = password_upserts(&rig, &env_id);
    assert_eq!(upserts.len(), 1, "{:?}", rig.sim.operations());
    let (at, skip_deploys) = upserts[0];
    assert!(skip_deploys, "the credential upsert must not deploy");
    let deployed = first_db_deploy(&rig, &env_id).expect("the database was deployed");
    assert!(
        at < deployed,
        "credentials set after the first deploy ({at} > {deployed})"
    );

    // The app's database variables resolve to the PR database, not production's.
    let app = app_vars(&rig, "pr-21");
    let prod_app = app_vars(&rig, "production");
    assert_eq!(var(&app, "WORDPRESS_DB_PASSWORD"), fresh);
    assert_eq!(var(&prod_app, "WORDPRESS_DB_PASSWORD"), prod_password);
    assert_eq!(var(&app, "WORDPRESS_DB_USER"), db.user());
    assert_eq!(var(&app, "WORDPRESS_DB_NAME"), db.dbname());
    assert_eq!(var(&app, "WORDPRESS_DB_HOST"), "postgres.railway.internal");

    // A rerun and a refresh find the database initialised: no new credentials (the volume
    // would keep the old password), and they still connect.
    lifecycle::up(&rig.platform(), &cfg(), &up_req(21, "cafe22"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    lifecycle::refresh(&rig.platform(), &cfg(), 21)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(password_upserts(&rig, &env_id).len(), 1);
    assert_eq!(var(&db_vars(&rig, "pr-21"), "POSTGRES_PASSWORD"), fresh);
}

#[tokio::test]
async fn an_app_whose_database_variables_reach_production_fails_up_and_is_rolled_back() {
    let rig = Rig::start(SimOptions::default()).await;
    let prod_password = rig.prod.password().unwrap();
    // Production's app reaches its database through its public URL, written out instead of
    // referenced: a duplicate copies it as it is.
    let public = var(&db_vars(&rig, "production"), "DATABASE_PUBLIC_URL").to_owned();
    assert!(public.contains(&rig.prod.host_port()), "{public}");
    set_production_app_var(&rig, "DATABASE_URL", Some(&public));
    let err = lifecycle::up(&rig.platform(), &cfg(), &up_req(22, "bad022"))
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, "app database", "{err:#}");
    assert!(f.rolled_back, "{err:#}");
    assert_eq!(rig.sim.env_id("pr-22"), None, "the environment was kept");
    let text = format!("{err:#}");
    assert!(
        text.contains("DATABASE_URL") && text.contains("production"),
        "{text}"
    );
    assert!(
        !text.contains(&prod_password),
        "the message shows the password"
    );
    assert_eq!(
        rig.sim.count("DeployServiceInstance"),
        1,
        "only the database deployed"
    );

    // Production's password written into the app, the host referenced: caught too.
    set_production_app_var(&rig, "DATABASE_URL", None);
    set_production_app_var(&rig, "WORDPRESS_DB_PASSWORD", Some(&prod_password));
    let err = lifecycle::up(&rig.platform(), &cfg(), &up_req(23, "bad023"))
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, "app database", "{err:#}");
    assert!(f.rolled_back);
    let text = format!("{err:#}");
    assert!(text.contains("WORDPRESS_DB_PASSWORD"), "{text}");
    assert!(
        !text.contains(&prod_password),
        "the message shows the password"
    );
}

#[tokio::test]
async fn the_simulated_postgres_keeps_the_password_its_volume_was_initialised_with() {
    let rig = Rig::start(SimOptions::default()).await;
    let prod_password = rig.prod.password().unwrap();
    let api = rig.sim.client();
    let (project, db_service) = (&rig.seed.project_id, &rig.seed.db_service_id);
    let env_id = api
        .create_environment(project, "pr-24", &rig.seed.production_id)
        .await
        .unwrap()
        .id;
    // The duplicate inherits production's password, and its first deploy initialises the
    // empty volume with it.
    assert_eq!(var(&db_vars(&rig, "pr-24"), "PGPASSWORD"), prod_password);
    assert_eq!(
        rig.sim.database("pr-24").unwrap().password().as_deref(),
        Some("")
    );
    api.deploy_service(&env_id, db_service, None).await.unwrap();
    let initialised = rig.sim.database("pr-24").unwrap();
    assert_eq!(initialised.password(), Some(prod_password.clone()));
    client(&initialised)
        .await
        .simple_query("SELECT 1")
        .await
        .unwrap();
    // The app's references render against the duplicate's own database service.
    let app = app_vars(&rig, "pr-24");
    assert_eq!(var(&app, "WORDPRESS_DB_NAME"), initialised.dbname());
    assert_ne!(initialised.dbname(), rig.prod.dbname());

    // A later variable change, and a redeploy, leave the initialised volume's password alone.
    let mut changed = wpstage::railway::VariableSet::new();
    changed.insert("POSTGRES_PASSWORD", "changedLaterXXXXXXXXXXXXXXXXXXXXX");
    api.upsert_variables(project, &env_id, Some(db_service), &changed, false)
        .await
        .unwrap();
    api.deploy_service(&env_id, db_service, None).await.unwrap();
    let after = rig.sim.database("pr-24").unwrap();
    assert_eq!(after.password(), Some(prod_password));
    client(&after).await.simple_query("SELECT 1").await.unwrap();
    let by_vars = wpstage::postgres::DbUrl::from_parts(
        "127.0.0.1",
        after.config().get_ports()[0],
        after.user(),
        "changedLaterXXXXXXXXXXXXXXXXXXXXX",
        after.dbname(),
    );
    assert!(
        wpstage::postgres::connect(&by_vars, wpstage::postgres::Side::Target)
            .await
            .is_err(),
        "the changed variable became the database's password"
    );
}
