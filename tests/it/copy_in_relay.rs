//! A TCP relay in front of a database that tells who connected: for every connection it
//! accepts, whether the connecting socket belongs to this (the test) process or to another one
//! (a spawned `wpstage`). Linux only: it reads `/proc/net/tcp` and `/proc/self/fd`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// Connections accepted so far, by who opened them.
#[derive(Default)]
pub struct Who {
    pub this_process: AtomicUsize,
    pub others: AtomicUsize,
    /// Connections whose socket could not be found (a test must see none).
    pub unknown: AtomicUsize,
}

/// A running relay to `target` (`host:port`); stops when dropped.
pub struct Relay {
    pub port: u16,
    pub who: Arc<Who>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    pub async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let who = Arc::new(Who::default());
        let counts = who.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, peer)) = listener.accept().await {
                let counter = match owned_here(peer).await {
                    Some(true) => &counts.this_process,
                    Some(false) => &counts.others,
                    None => &counts.unknown,
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        // The session ends when either side closes; how is of no interest.
                        drop(tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await);
                    }
                });
            }
        });
        Relay { port, who, task }
    }
}

/// Whether the socket whose local address is `peer` is one of this process's descriptors
/// (`None`: not found). `/proc/net/tcp` is read in pieces and can miss a socket while others
/// come and go, so a miss is read again.
async fn owned_here(peer: SocketAddr) -> Option<bool> {
    let SocketAddr::V4(v4) = peer else {
        return None;
    };
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(v4.ip().octets()),
        v4.port()
    );
    for _ in 0..50 {
        let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
        let inode = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.get(1) == Some(&local.as_str()))
            .and_then(|f| f.get(9).map(|i| (*i).to_owned()));
        if let Some(inode) = inode {
            let wanted = format!("socket:[{inode}]");
            let fds = std::fs::read_dir("/proc/self/fd").ok()?;
            return Some(
                fds.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_link(e.path()).ok())
                    .any(|link| link.to_string_lossy() == wanted),
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    None
}

#[tokio::test]
async fn the_relay_tells_this_process_from_another() {
    let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = target.local_addr().unwrap().to_string();
    let relay = Relay::start(addr).await;
    let _mine = TcpStream::connect(("127.0.0.1", relay.port)).await.unwrap();
    // Another process: a shell that opens the relay's port and waits a little.
    let status = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "exec 3<>/dev/tcp/127.0.0.1/{} && sleep 0.3",
            relay.port
        ))
        .status()
        .await
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(relay.who.this_process.load(Ordering::SeqCst), 1);
    assert_eq!(relay.who.others.load(Ordering::SeqCst), 1);
    assert_eq!(relay.who.unknown.load(Ordering::SeqCst), 0);
}
