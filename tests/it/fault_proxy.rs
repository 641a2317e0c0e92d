//! A fault-injecting TCP proxy on loopback: forwards every connection to an upstream port and can
//! cut all of them on command, cut them once a number of bytes has passed, or stall them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Default)]
struct Faults {
    /// Bytes forwarded so far, both directions, all connections.
    forwarded: AtomicU64,
    /// Cut every connection once `forwarded` passes this (0: never).
    cut_after: AtomicU64,
    /// Hold every byte until this is cleared.
    stalled: AtomicBool,
}

/// A running proxy, on a thread and runtime of its own so that a test may block while it works.
/// Dropping it stops accepting and cuts every connection.
pub struct FaultProxy {
    pub port: u16,
    faults: Arc<Faults>,
    /// Bumped to cut every open connection.
    cut: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
}

impl FaultProxy {
    /// Starts a proxy in front of `127.0.0.1:upstream`.
    pub fn start(upstream: u16) -> FaultProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(Faults::default());
        let (cut, _) = watch::channel(0u64);
        let (shutdown, mut stop) = watch::channel(false);
        let upstream: SocketAddr = ([127, 0, 0, 1], upstream).into();
        let (f, c) = (Arc::clone(&faults), cut.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                loop {
                    let (client, _) = tokio::select! {
                        r = listener.accept() => match r {
                            Ok(pair) => pair,
                            Err(_) => return,
                        },
                        _ = stop.changed() => return,
                    };
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        continue;
                    };
                    tokio::spawn(pipe(client, server, Arc::clone(&f), c.subscribe()));
                }
            });
        });
        FaultProxy {
            port,
            faults,
            cut,
            shutdown,
        }
    }

    /// Cuts every connection open now; later connections pass again.
    pub fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Cuts the connection that carries the byte after `bytes` more bytes have passed.
    pub fn cut_after(&self, bytes: u64) {
        let now = self.faults.forwarded.load(Ordering::SeqCst);
        self.faults.cut_after.store(now + bytes, Ordering::SeqCst);
    }

    /// Holds (or releases) every byte in both directions.
    pub fn stall(&self, on: bool) {
        self.faults.stalled.store(on, Ordering::SeqCst);
    }

    pub fn forwarded(&self) -> u64 {
        self.faults.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.cut_all();
        self.shutdown.send_replace(true);
    }
}

/// Forwards both directions until either side closes or a cut is ordered.
async fn pipe(
    client: TcpStream,
    server: TcpStream,
    faults: Arc<Faults>,
    cut: watch::Receiver<u64>,
) {
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let mut up = tokio::spawn(forward(cr, sw, Arc::clone(&faults), cut.clone()));
    let mut down = tokio::spawn(forward(sr, cw, faults, cut));
    // When one direction ends, the other must end too: the halves close with the tasks.
    tokio::select! {
        _ = &mut up => down.abort(),
        _ = &mut down => up.abort(),
    }
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    faults: Arc<Faults>,
    mut cut: watch::Receiver<u64>,
) {
    let start = *cut.borrow_and_update();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = cut.changed() => return,
        };
        while faults.stalled.load(Ordering::SeqCst) {
            if *cut.borrow() != start {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let total = faults.forwarded.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        let limit = faults.cut_after.load(Ordering::SeqCst);
        if limit != 0 && total >= limit {
            // One-shot: this connection dies, later ones pass.
            faults.cut_after.store(0, Ordering::SeqCst);
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn the_proxy_forwards_and_cuts() {
    let c = crate::support::clusters();
    let proxy = FaultProxy::start(c.staging.port());
    let url = crate::faults::harness::via(&c.staging.url("postgres"), proxy.port);
    let client = crate::support::client(&url).await;
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    assert!(proxy.forwarded() > 0);
    // A stalled proxy holds the answer until released.
    proxy.stall(true);
    let held = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        client.query_one("SELECT 2", &[]),
    )
    .await;
    assert!(held.is_err(), "the stall let a reply through");
    proxy.stall(false);
    let two: i32 = client.query_one("SELECT 2", &[]).await.unwrap().get(0);
    assert_eq!(two, 2);
    proxy.cut_all();
    assert!(
        client.query_one("SELECT 1", &[]).await.is_err(),
        "the cut did not cut"
    );
    // New connections pass again; a byte budget cuts them mid-stream.
    let again = crate::support::client(&url).await;
    proxy.cut_after(64);
    let big = again.query_one("SELECT repeat('x', 100000)", &[]).await;
    assert!(big.is_err(), "the byte budget did not cut");
}
