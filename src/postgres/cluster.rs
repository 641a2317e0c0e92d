//! Throwaway PostgreSQL clusters: `initdb` in a temporary directory, a free loopback port,
//! password authentication, stopped and deleted by `stop` (or on drop). Used by `wpstage demo`-style commands,
//! the benchmark and every test — no test depends on a server that merely happens to run.
//!
//! PostgreSQL refuses to run as root, so under root the server runs as the `postgres` OS user
//! (or `nobody`) and the directory is handed to that user.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::RngExt;

use super::{DbUrl, bindir};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found in {looked}. Install them \
         (Debian/Ubuntu: apt-get install postgresql) or put their directory on PATH."
    )]
    NoBinaries { looked: String },
    #[error("could not prepare the cluster directory {dir}: {reason}")]
    Directory { dir: String, reason: String },
    #[error("{step} failed: {reason}")]
    Step { step: String, reason: String },
}

/// How to start a cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Extra `-c name=value` server settings.
    pub settings: Vec<(String, String)>,
    /// Kill the server when the starting process dies (test harness: statics are never dropped).
    pub die_with_parent: bool,
}

/// A running throwaway cluster.
pub struct TempCluster {
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
    password: String,
}

impl TempCluster {
    /// Starts a fresh cluster. Blocking (initdb takes a second or two).
    pub fn start(options: &ClusterOptions) -> Result<Self, ClusterError> {
        let bindir = find_bindir()?;
        let base = std::env::temp_dir().join("wpstage-clusters");
        std::fs::create_dir_all(&base).map_err(|e| dir_error(&base, &e))?;
        remove_stale_dirs(&base);
        let suffix: u64 = rand::rng().random();
        let dir = base.join(format!("{}-{suffix:016x}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| dir_error(&dir, &e))?;
        let owner = server_user();
        if let Some((uid, gid)) = owner {
            nix::unistd::chown(&dir, Some(uid), Some(gid)).map_err(|e| {
                ClusterError::Directory {
                    dir: dir.display().to_string(),
                    reason: e.to_string(),
                }
            })?;
        }
        let password = format!("{:032x}", rand::rng().random::<u128>());
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, &password).map_err(|e| dir_error(&pwfile, &e))?;
        if let Some((uid, gid)) = owner {
            nix::unistd::chown(&pwfile, Some(uid), Some(gid))
                .map_err(|e| dir_error(&pwfile, &std::io::Error::from(e)))?;
        }
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                "postgres",
                "-A",
                "scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
            ])
            .args(["--no-locale", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run_as(&mut initdb, owner, &dir);
        let out = initdb
            .output()
            .map_err(|e| step_error("initdb", &e.to_string()))?;
        if !out.status.success() {
            return Err(step_error("initdb", &String::from_utf8_lossy(&out.stderr)));
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            match spawn_server(&bindir, &dir, port, owner, options) {
                Ok(child) => {
                    return Ok(Self {
                        dir,
                        child: Some(child),
                        port,
                        password,
                    });
                }
                Err(e) => last_error = e,
            }
        }
        Err(step_error("starting postgres", &last_error))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of database `dbname` as the superuser `postgres`.
    pub fn url(&self, dbname: &str) -> DbUrl {
        DbUrl::from_parts("127.0.0.1", self.port, "postgres", &self.password, dbname)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (fast shutdown, up to 15 s) and deletes the directory, on a blocking
    /// thread: what async code calls when it is done with the cluster.
    pub async fn stop(mut self) {
        if let Err(e) = tokio::task::spawn_blocking(move || self.stop_blocking()).await {
            tracing::warn!(error = %e, "stopping the cluster did not finish");
        }
    }

    /// [`stop`](Self::stop) for code outside an async runtime: blocks until the server is gone.
    pub fn stop_blocking(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
        if self.dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&self.dir)
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not remove cluster dir");
        }
    }
}

/// A cluster nobody stopped is stopped here without stalling an async runtime: on a
/// multi-threaded one the worker hands its other tasks off while it waits; a current-thread
/// runtime has no other worker, so the wait moves to a thread of its own after the server was
/// told to stop (if the process ends first, the server still shuts down and the next
/// [`TempCluster::start`] removes the directory).
impl Drop for TempCluster {
    fn drop(&mut self) {
        if self.child.is_none() {
            self.stop_blocking();
            return;
        }
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::CurrentThread) => {
                let mut rest = Self {
                    dir: self.dir.clone(),
                    child: self.child.take(),
                    port: self.port,
                    password: String::new(),
                };
                if let Some(child) = &rest.child {
                    signal_stop(child);
                }
                let spawned = std::thread::Builder::new()
                    .name("wpstage-cluster-stop".to_owned())
                    .spawn(move || rest.stop_blocking());
                if let Err(e) = spawned {
                    tracing::warn!(error = %e, "no thread to stop the cluster on; the next start removes it");
                }
            }
            Ok(_) => tokio::task::block_in_place(|| self.stop_blocking()),
            Err(_) => self.stop_blocking(),
        }
    }
}

fn spawn_server(
    bindir: &Path,
    dir: &Path,
    port: u16,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
    options: &ClusterOptions,
) -> Result<Child, String> {
    let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bindir.join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
        .args(["-c", "logging_collector=off"]);
    for (name, value) in &options.settings {
        cmd.arg("-c").arg(format!("{name}={value}"));
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    run_as(&mut cmd, owner, dir);
    if options.die_with_parent {
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec here.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGQUIT)
                    .map_err(std::io::Error::from)
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let pidfile = dir.join("data").join("postmaster.pid");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("postgres exited ({status}): {}", log_tail(dir)));
        }
        // The last line of postmaster.pid says "ready" once connections are accepted.
        if let Ok(text) = std::fs::read_to_string(&pidfile)
            && text.lines().nth(7).map(str::trim) == Some("ready")
        {
            return Ok(child);
        }
        if Instant::now() > deadline {
            stop_child(&mut child);
            return Err(format!("postgres did not become ready: {}", log_tail(dir)));
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Asks the server for a fast shutdown (SIGINT). False when it is gone already.
fn signal_stop(child: &Child) -> bool {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).is_ok()
}

fn stop_child(child: &mut Child) {
    if !signal_stop(child) {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Err(e) = child.kill() {
        tracing::warn!(error = %e, "could not kill postgres");
    }
    if let Err(e) = child.wait() {
        tracing::warn!(error = %e, "could not reap postgres");
    }
}

fn log_tail(dir: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(dir.join("server.log"))
        && f.read_to_string(&mut text).is_err()
    {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

fn run_as(cmd: &mut Command, owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>, dir: &Path) {
    cmd.current_dir(dir);
    if let Some((uid, gid)) = owner {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
        cmd.env("HOME", dir);
    }
}

/// Under root: the unprivileged user the server runs as.
fn server_user() -> Option<(nix::unistd::Uid, nix::unistd::Gid)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = nix::unistd::User::from_name(name) {
            return Some((user.uid, user.gid));
        }
    }
    None
}

/// Directory of `initdb`/`postgres`: the first of [`bindir::candidates`] that holds both.
pub fn find_bindir() -> Result<PathBuf, ClusterError> {
    let candidates = bindir::candidates();
    match candidates
        .iter()
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
    {
        Some(dir) => Ok(dir.clone()),
        None => Err(ClusterError::NoBinaries {
            looked: bindir::looked_at(&candidates),
        }),
    }
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| step_error("finding a port", &e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| step_error("finding a port", &e.to_string()))?
        .port();
    Ok(port)
}

/// Removes directories left by processes that died without cleaning up (test harness clusters).
fn remove_stale_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
        if !alive && let Err(e) = std::fs::remove_dir_all(entry.path()) {
            tracing::debug!(error = %e, "stale cluster dir not removed");
        }
    }
}

fn dir_error(dir: &Path, e: &std::io::Error) -> ClusterError {
    ClusterError::Directory {
        dir: dir.display().to_string(),
        reason: e.to_string(),
    }
}

fn step_error(step: &str, reason: &str) -> ClusterError {
    ClusterError::Step {
        step: step.to_owned(),
        reason: reason.trim().to_owned(),
    }
}
