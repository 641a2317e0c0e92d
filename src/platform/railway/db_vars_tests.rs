use secrecy::ExposeSecret as _;

use super::*;

fn vars(pairs: &[(&str, &str)]) -> VariableSet {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const PROD_PW: &str = "ProdSecretProdSecretProdSecret12";

fn production() -> Fingerprints {
    let mut f = Fingerprints::default();
    f.add_vars(&vars(&[
        ("POSTGRES_PASSWORD", PROD_PW),
        ("PGPASSWORD", PROD_PW),
        ("PGHOST", "postgres.railway.internal"),
        ("PGPORT", "5432"),
        (
            "DATABASE_PUBLIC_URL",
            &format!("postgresql://postgres:{PROD_PW}@shuttle.proxy.rlwy.net:41234/railway"),
        ),
        (
            "DATABASE_URL",
            &format!("postgresql://postgres:{PROD_PW}@postgres.railway.internal:5432/railway"),
        ),
    ]));
    f
}

#[test]
fn new_passwords_are_long_alphanumeric_and_differ() {
    let a = new_password();
    let b = new_password();
    assert_eq!(a.expose_secret().len(), 32);
    assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a.expose_secret(), b.expose_secret());
}

#[test]
fn database_variables_are_recognised_by_name() {
    for name in [
        "DATABASE_URL",
        "DATABASE_PUBLIC_URL",
        "DB_HOST",
        "DB_PASSWORD",
        "WORDPRESS_DB_HOST",
        "WORDPRESS_DB_PASSWORD",
        "PGHOST",
        "PGPASSWORD",
        "POSTGRES_PASSWORD",
        "MYSQL_HOST",
    ] {
        assert!(is_database_variable(name), "{name}");
    }
    for name in ["WP_HOME", "WP_SITEURL", "REDIS_URL", "DEBUG", "DBX"] {
        assert!(!is_database_variable(name), "{name}");
    }
}

#[test]
fn rotation_sets_the_password_and_rewrites_written_out_copies_only() {
    let raw = vars(&[
        ("POSTGRES_PASSWORD", PROD_PW),
        ("POSTGRES_USER", "postgres"),
        ("PGPASSWORD", "${{POSTGRES_PASSWORD}}"),
        ("LEGACY_PGPASSWORD", PROD_PW),
        (
            "DATABASE_URL",
            "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/x",
        ),
        (
            "OLD_URL",
            &format!("postgresql://postgres:{PROD_PW}@host:5432/railway"),
        ),
    ]);
    let mut old = Passwords::default();
    old.insert(PROD_PW);
    let new = new_password();
    let out = rotated(&raw, &old, &new);
    let fresh = new.expose_secret();
    assert_eq!(out.expose("POSTGRES_PASSWORD"), Some(fresh));
    assert_eq!(out.expose("LEGACY_PGPASSWORD"), Some(fresh));
    assert_eq!(
        out.expose("OLD_URL"),
        Some(format!("postgresql://postgres:{fresh}@host:5432/railway").as_str())
    );
    let names: Vec<&str> = out.names().collect();
    assert_eq!(
        names,
        ["LEGACY_PGPASSWORD", "OLD_URL", "POSTGRES_PASSWORD"],
        "references and the user name are left alone"
    );
    assert!(!format!("{out:?}").contains(fresh));
}

#[test]
fn references_to_the_pr_database_carry_nothing_of_production() {
    let pr_app = vars(&[
        ("WORDPRESS_DB_HOST", "postgres.railway.internal"),
        ("WORDPRESS_DB_PASSWORD", "FreshFreshFreshFreshFreshFresh12"),
        (
            "DATABASE_URL",
            "postgresql://postgres:FreshFreshFreshFreshFreshFresh12@postgres.railway.internal:5432/railway",
        ),
        // The PR's own proxy: production's shared proxy domain, another port.
        ("DB_HOST", "shuttle.proxy.rlwy.net:50123"),
        ("WP_HOME", "https://pr.up.railway.app"),
    ]);
    assert!(production().found_in(&pr_app).is_empty());
}

#[test]
fn production_passwords_and_public_endpoints_are_found_by_variable() {
    let pr_app = vars(&[
        (
            "DATABASE_URL",
            &format!("postgres://postgres:{PROD_PW}@shuttle.proxy.rlwy.net:41234/railway"),
        ),
        ("WORDPRESS_DB_PASSWORD", PROD_PW),
        ("DB_HOST", "SHUTTLE.proxy.rlwy.net"),
        ("DB_PORT", "41234"),
        // Not a database variable: not looked at.
        ("WP_HOME", PROD_PW),
    ]);
    let found: Vec<(String, Carries)> = production().found_in(&pr_app).into_iter().collect();
    assert_eq!(
        found,
        [
            ("DATABASE_URL".to_owned(), Carries::Password),
            ("DATABASE_URL".to_owned(), Carries::Endpoint),
            ("DB_HOST".to_owned(), Carries::Endpoint),
            ("WORDPRESS_DB_PASSWORD".to_owned(), Carries::Password),
        ]
    );
    assert!(!format!("{:?}", production()).contains(PROD_PW));
}

#[test]
fn a_source_url_adds_its_password_and_endpoint() {
    let mut f = Fingerprints::default();
    f.add_url(&DbUrl::from_parts(
        "db.example.com",
        6543,
        "u",
        "p@ss word",
        "d",
    ));
    let pr = vars(&[
        ("DATABASE_URL", "postgres://u:p%40ss%20word@other:5432/d"),
        ("DB_HOST", "db.example.com:6543"),
    ]);
    let found: Vec<(String, Carries)> = f.found_in(&pr).into_iter().collect();
    assert_eq!(
        found,
        [
            ("DATABASE_URL".to_owned(), Carries::Password),
            ("DB_HOST".to_owned(), Carries::Endpoint),
        ]
    );
}
