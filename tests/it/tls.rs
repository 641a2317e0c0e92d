//! Database connections are encrypted whenever the server offers TLS (`sslmode=prefer`, the
//! default, and `require`), also with the self-signed certificates managed servers use.

use std::os::unix::fs::PermissionsExt;

use wpstage::postgres::cluster::{ClusterOptions, TempCluster};
use wpstage::postgres::{DbUrl, Side, connect};

async fn ssl_in_use(url: &DbUrl) -> bool {
    let c = connect(url, Side::Source).await.unwrap();
    c.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn connections_use_tls_when_the_server_offers_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=db.internal",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl makes the self-signed certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if nix::unistd::geteuid().is_root() {
        let pg = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("postgres OS user");
        for f in [&key, &cert] {
            nix::unistd::chown(f, Some(pg.uid), Some(pg.gid)).unwrap();
        }
    }
    let options = ClusterOptions {
        settings: vec![
            ("ssl".into(), "on".into()),
            ("ssl_cert_file".into(), cert.display().to_string()),
            ("ssl_key_file".into(), key.display().to_string()),
        ],
        die_with_parent: true,
    };
    let cluster = tokio::task::spawn_blocking(move || TempCluster::start(&options))
        .await
        .unwrap()
        .unwrap();
    let url = cluster.url("postgres");
    let with =
        |mode: &str| DbUrl::parse(&format!("{}?sslmode={mode}", url.expose()), "test").unwrap();
    assert!(
        ssl_in_use(&url).await,
        "the default (prefer) must encrypt when the server offers TLS"
    );
    assert!(ssl_in_use(&with("require")).await);
    assert!(!ssl_in_use(&with("disable")).await);
    cluster.stop().await;
}
