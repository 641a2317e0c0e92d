//! Helpers of the sync-safety tests: a loopback TCP forwarder (a stand-in for a proxy or
//! pooler in front of a server), socket URLs of the harness clusters, and a cluster whose
//! server-side timeouts would end any session that does not switch them off.

use std::sync::OnceLock;

use tokio::net::{TcpListener, TcpStream};
use wpstage::postgres::DbUrl;
use wpstage::postgres::cluster::{ClusterOptions, TempCluster};

/// Forwards every connection to `listen` (e.g. `[::1]:0`) to `upstream`; returns the bound port.
/// The forwarder lives as long as the test's runtime.
pub async fn forwarder(listen: &str, upstream: String) -> u16 {
    let listener = TcpListener::bind(listen).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(&upstream).await
                    && let Err(e) = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await
                {
                    tracing::debug!(error = %e, "forwarded connection ended");
                }
            });
        }
    });
    port
}

/// `%`-encodes a socket directory for the host part of a URL.
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ways to reach database `db` of `cluster` other than its own `127.0.0.1` URL, each with a
/// label: Unix socket as `%2F…` host and as `?host=/…`, `localhost`.
pub fn aliases(cluster: &TempCluster, db: &str) -> Vec<(&'static str, String)> {
    let dir = cluster.dir().display().to_string();
    let port = cluster.port();
    vec![
        (
            "socket %2F host",
            format!("postgres://postgres@{}:{port}/{db}", encode_path(&dir)),
        ),
        (
            "socket ?host=",
            format!("postgres://postgres@/{db}?host={dir}&port={port}"),
        ),
        (
            "localhost",
            format!(
                "postgres://postgres:{}@localhost:{port}/{db}",
                password(cluster)
            ),
        ),
    ]
}

/// The superuser password of a harness cluster (read back from its URL).
pub fn password(cluster: &TempCluster) -> String {
    cluster.url("postgres").password().unwrap_or_default()
}

/// A cluster whose defaults end idle sessions, idle transactions, long statements and lock
/// waits after a moment. Started once, from a thread that never exits (the server dies with
/// the thread that started it).
pub fn strict_cluster() -> &'static TempCluster {
    static CLUSTER: OnceLock<TempCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let options = ClusterOptions {
                die_with_parent: true,
                settings: [
                    ("idle_session_timeout", "300ms"),
                    ("idle_in_transaction_session_timeout", "300ms"),
                    ("statement_timeout", "300ms"),
                    ("lock_timeout", "300ms"),
                ]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            };
            tx.send(TempCluster::start(&options))
                .expect("test harness receiver gone");
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .expect("cluster thread died")
            .expect("start cluster")
    })
}

/// `url` with another host and port (same user, password and database).
pub fn via(url: &DbUrl, host: &str, port: u16) -> DbUrl {
    DbUrl::from_parts(
        host,
        port,
        url.user(),
        &url.password().unwrap_or_default(),
        url.dbname(),
    )
}
