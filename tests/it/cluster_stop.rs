//! Stopping a throwaway cluster: explicitly with `stop().await`, or by dropping it on either
//! kind of tokio runtime. Either way the server and its directory go away.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wpstage::postgres::cluster::{ClusterOptions, TempCluster};

async fn start() -> (TempCluster, PathBuf, u16) {
    let cluster = tokio::task::spawn_blocking(|| {
        TempCluster::start(&ClusterOptions {
            die_with_parent: true,
            ..ClusterOptions::default()
        })
    })
    .await
    .unwrap()
    .unwrap();
    let dir = cluster.dir().to_path_buf();
    assert!(dir.exists());
    let port = cluster.port();
    assert!(accepts(port), "a started cluster accepts connections");
    (cluster, dir, port)
}

fn accepts(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test]
async fn stop_removes_the_server_and_its_directory() {
    let (cluster, dir, port) = start().await;
    cluster.stop().await;
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts(port), "the server still listens on {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_dropped_on_a_multi_thread_runtime_is_gone_when_drop_returns() {
    let (cluster, dir, port) = start().await;
    drop(cluster);
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts(port), "the server still listens on {port}");
}

#[tokio::test]
async fn a_cluster_dropped_on_a_current_thread_runtime_goes_away_off_the_runtime() {
    let (cluster, dir, port) = start().await;
    drop(cluster);
    // The wait runs on a thread of its own; this runtime keeps running while it does.
    let deadline = Instant::now() + Duration::from_secs(20);
    while dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts(port), "the server still listens on {port}");
}
