//! What the fault cases share: a staging cluster of their own (the suite restarts it), the real
//! binary paused at a phase, and the observations every case asserts on.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wpstage::postgres::DbUrl;
use wpstage::postgres::cluster::{ClusterOptions, TempCluster};
use wpstage::sync::fault_hook::{PAUSE_ENV, PAUSED_PREFIX, Phase};

use crate::support::{client, normalized_schema, table_digests};

/// The staging cluster the fault cases write to and restart; nothing else uses it.
pub fn fault_cluster() -> &'static TempCluster {
    static CLUSTER: OnceLock<TempCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        // The server dies with the thread that started it: a thread that never exits.
        std::thread::spawn(move || {
            let options = ClusterOptions {
                die_with_parent: true,
                ..ClusterOptions::default()
            };
            tx.send(TempCluster::start(&options))
                .expect("fault harness receiver gone");
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .expect("cluster thread died")
            .expect("start the fault cluster")
    })
}

/// The production database of the suite: a generated WordPress site (smallest size) cut down to
/// a few hundred rows per table, so that each of the many copies takes a moment. Read only.
pub async fn small_source() -> DbUrl {
    static SOURCE: tokio::sync::OnceCell<DbUrl> = tokio::sync::OnceCell::const_new();
    SOURCE
        .get_or_init(|| async {
            let url = crate::support::fresh_db(&crate::support::clusters().prod, "fault_src").await;
            let spec = wpstage::generate::GenerateSpec {
                target_bytes: wpstage::generate::MIN_TARGET_BYTES,
                site_url: crate::support::SITE_URL.to_owned(),
                seed: 11,
                table_prefix: "wp_".to_owned(),
            };
            wpstage::generate_db::generate(&url, &spec, 2).await.unwrap();
            let c = client(&url).await;
            let tables: Vec<String> = c
                .query(
                    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.relkind = 'r' AND n.nspname = 'public'",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            for t in tables {
                c.batch_execute(&format!(
                    "DELETE FROM {t} WHERE ctid NOT IN (SELECT ctid FROM {t} LIMIT 150)"
                ))
                .await
                .unwrap();
                c.batch_execute(&format!("VACUUM {t}")).await.unwrap();
            }
            url
        })
        .await
        .clone()
}

/// One case at a time: cases restart the cluster and count its helper databases.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// `url` reached through `port` on loopback (a proxy).
pub fn via(url: &DbUrl, port: u16) -> DbUrl {
    DbUrl::from_parts(
        "127.0.0.1",
        port,
        url.user(),
        &url.password().unwrap_or_default(),
        url.dbname(),
    )
}

/// What a database holds, as far as a copy is concerned: every table's rows, the schema, and
/// every sequence's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbState {
    pub tables: Vec<(String, i64, String)>,
    pub schema: String,
    pub sequences: Vec<(String, Option<i64>)>,
}

impl DbState {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.sequences.is_empty()
    }
}

pub async fn state(url: &DbUrl) -> DbState {
    let sequences = client(url)
        .await
        .query(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    DbState {
        tables: table_digests(url).await,
        schema: normalized_schema(url),
        sequences,
    }
}

pub async fn admin() -> tokio_postgres::Client {
    client(&fault_cluster().url("postgres")).await
}

pub async fn database_exists(name: &str) -> bool {
    admin()
        .await
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

/// wpstage's helper databases on the fault cluster (`…__wpstage_…`), by name.
pub async fn helpers() -> Vec<String> {
    admin()
        .await
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE '%wpstage%' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Drops `name` and every helper database on the fault cluster.
pub async fn drop_all(name: &str) {
    let admin = admin().await;
    let mut names = helpers().await;
    names.push(name.to_owned());
    for db in names {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .await
            .unwrap();
    }
}

/// Crash-restarts the fault cluster: one backend is killed with SIGKILL, so the postmaster ends
/// every session and recovers, as after a server crash or restart. Returns once it accepts
/// connections again.
pub async fn restart_cluster() {
    let victim = admin().await;
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // The crash is noticed asynchronously: wait for our own session to die first.
    let deadline = Instant::now() + Duration::from_secs(30);
    while victim.query_one("SELECT 1", &[]).await.is_ok() {
        assert!(Instant::now() < deadline, "the server did not restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = fault_cluster().url("postgres");
    loop {
        if let Ok(c) = wpstage::postgres::connect(&url, wpstage::postgres::Side::Target).await
            && c.query_one("SELECT 1", &[]).await.is_ok()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ends the session that holds wpstage's advisory lock; returns how many were ended.
pub async fn end_lock_sessions() -> usize {
    admin()
        .await
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .len()
}

/// The real binary, running.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: String,
    stdout: std::thread::JoinHandle<String>,
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Finished {
    /// None: killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Running {
    /// Starts `wpstage args…`, paused at `pause` if given.
    pub fn start(args: &[String], pause: Option<Phase>) -> Running {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wpstage"));
        cmd.args(args)
            .env_remove("WPSTAGE_SOURCE_URL")
            .env_remove("WPSTAGE_TARGET_URL")
            .env_remove(PAUSE_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = pause {
            cmd.env(PAUSE_ENV, p.name());
        }
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut out, &mut s).unwrap_or_default();
            s
        });
        Running {
            child,
            stdin,
            lines,
            stderr: String::new(),
            stdout,
        }
    }

    /// Waits until the run says it paused at `phase`. Panics if it ends first.
    pub fn wait_paused(&mut self, phase: Phase) {
        let want = format!("{PAUSED_PREFIX}{phase}");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line == want;
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                    if done {
                        return;
                    }
                }
                Err(e) => {
                    if let Err(kill) = self.child.kill() {
                        eprintln!("kill after a missed pause: {kill}");
                    }
                    panic!(
                        "the run never paused at {phase} ({e}); stderr so far:\n{}",
                        self.stderr
                    );
                }
            }
        }
    }

    /// Lets a paused run go on.
    pub fn resume(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            // A run that already died cannot read it; its exit status tells.
            if let Err(e) = stdin.write_all(b"\n") {
                eprintln!("resume: {e}");
            }
        }
    }

    /// kill -9.
    pub fn kill9(self) -> Finished {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        self.finish()
    }

    /// Waits for the run to end (at most three minutes).
    pub fn finish(mut self) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(180);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!("the run did not end; stderr:\n{}", self.stderr);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr.push_str(&line);
            self.stderr.push('\n');
        }
        Finished {
            code: status.code(),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr,
        }
    }
}

/// Runs to the end without a pause.
pub fn run(args: &[String]) -> Finished {
    Running::start(args, None).finish()
}
