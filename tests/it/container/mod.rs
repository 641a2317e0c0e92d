//! The action's image, run the way GitHub's runner runs a container action (actions/runner
//! `ContainerActionHandler`): the workspace, event file and file-command directory mounted at
//! `/github/...`, `/github/workspace` as the working directory, every input declared in
//! action.yml passed as `INPUT_<NAME>` (its `with:` value, else its default, else ""), the
//! entrypoint and args of action.yml's `runs`, and host networking so the container reaches the
//! simulated Railway and GitHub and the real PostgreSQL clusters on loopback.
//!
//! These tests need a docker daemon and the image: they are `#[ignore]`d in a plain
//! `cargo test`; `.ci/image` builds the image and runs them with `-- --ignored`, naming the image
//! in `WPSTAGE_TEST_IMAGE` (and the docker client in `WPSTAGE_TEST_DOCKER`).

mod action;
mod kestra;
mod release;
mod runner;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// Label on every container these tests start, so `.ci/image` can remove leftovers.
pub const LABEL: &str = "wpstage.test";

/// The image under test and the docker client that runs it.
pub struct Docker {
    pub client: String,
    pub image: String,
}

impl Docker {
    pub fn from_env() -> Docker {
        let image = std::env::var("WPSTAGE_TEST_IMAGE").unwrap_or_else(|_| {
            panic!(
                "WPSTAGE_TEST_IMAGE is unset: the container tests run the image that .ci/image \
                 builds; run .ci/image (or set WPSTAGE_TEST_IMAGE to a built image)"
            )
        });
        let client = std::env::var("WPSTAGE_TEST_DOCKER").unwrap_or_else(|_| "docker".into());
        let docker = Docker { client, image };
        let inspect = docker
            .command()
            .args(["image", "inspect", &docker.image])
            .stdout(Stdio::null())
            .status()
            .expect("run the docker client");
        assert!(inspect.success(), "image {} not found", docker.image);
        docker
    }

    pub fn command(&self) -> Command {
        Command::new(&self.client)
    }

    /// `docker run --rm --network host` with a unique name and the test label; `env` is passed
    /// as the runner does (`-e NAME`, the value from the client's environment, never on argv).
    /// Async: the simulated Railway runs on the test's runtime and must keep answering.
    pub async fn run(&self, spec: &RunSpec) -> Finished {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "wpstage-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut cmd = tokio::process::Command::new(&self.client);
        cmd.args(["run", "--rm", "--network", "host", "--name", &name])
            .args(["--label", LABEL]);
        if let Some(dir) = &spec.workdir {
            cmd.args(["--workdir", dir]);
        }
        if let Some(user) = &spec.user {
            cmd.args(["--user", user]);
        }
        for (host, container) in &spec.mounts {
            cmd.arg("-v").arg(format!("{}:{container}", host.display()));
        }
        cmd.env_clear();
        for key in ["PATH", "HOME", "DOCKER_HOST"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        for (key, value) in &spec.env {
            cmd.arg("-e").arg(key);
            cmd.env(key, value);
        }
        if let Some(entrypoint) = &spec.entrypoint {
            cmd.args(["--entrypoint", entrypoint]);
        }
        cmd.arg(&self.image).args(&spec.args);
        let out = cmd.output().await.expect("run the docker client");
        Finished {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

#[derive(Default)]
pub struct RunSpec {
    pub env: BTreeMap<String, String>,
    pub mounts: Vec<(PathBuf, String)>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub entrypoint: Option<String>,
    pub args: Vec<String>,
}

pub struct Finished {
    /// None when the client was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn both(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// The repository's own files (action.yml, Cargo.toml, examples/).
pub fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

pub fn yaml(path: &str) -> Value {
    serde_norway::from_str(&repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The container's uid and gid for a file owned by nobody the test runs as.
pub fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}
