//! One fault case: set the target up, run the real binary to a phase, injure it there, then
//! check what is left, what was said, and that a rerun repairs everything.

use wpstage::postgres::DbUrl;
use wpstage::sync::fault_hook::Phase;

use super::harness::{self, DbState, Finished, Running, database_exists, drop_all, helpers, state};
use crate::fault_proxy::FaultProxy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Sync,
    Up,
    Refresh,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// kill -9 of the binary.
    Kill,
    /// Every connection (to the source and the target) cut by a proxy.
    Cut,
    /// The target server crash-restarts.
    Restart,
    /// The target's volume is full (a 6 MB tmpfs tablespace); no pause.
    DiskFull,
    /// The session holding the advisory lock is ended.
    LockLoss,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No tables (sync) or no environment yet (up).
    Empty,
    /// Old data that must survive (sync), an environment with data (refresh, down).
    NonEmpty,
}

/// One row of the suite (and of the README table).
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub command: Command,
    pub fault: Fault,
    pub phase: Phase,
    pub target: Target,
    /// Why the case is ignored until the engine is fixed (`needs S1: item N`).
    pub needs: Option<&'static str>,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Sync => "sync",
            Command::Up => "up",
            Command::Refresh => "refresh",
            Command::Down => "down",
        }
    }
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Kill => "kill -9",
            Fault::Cut => "connection cut",
            Fault::Restart => "server restart",
            Fault::DiskFull => "disk full",
            Fault::LockLoss => "lock loss",
        }
    }
}

/// The fixed key makes pseudonyms, and so every copy, identical from run to run.
const KEY: &str = "fault-suite-key";
const PR: &str = "1";

/// Where one case writes.
struct Place {
    /// The database the case checks: the sync target or the PR's environment.
    db: String,
    /// The lifecycle prefix (environment = prefix + PR).
    prefix: String,
}

impl Place {
    fn of(case: &Case) -> Place {
        Place {
            db: format!("{}-pr-{PR}", case.name),
            prefix: format!("{}-pr-", case.name),
        }
    }
}

/// Command-line arguments of `command` for `place`, reaching source and target through the
/// given ports (a proxy) or directly.
fn args(command: Command, place: &Place, source: &DbUrl, target: &DbUrl) -> Vec<String> {
    let mut a: Vec<String> = vec![command.name().to_owned()];
    let s = |v: &str| v.to_owned();
    match command {
        Command::Sync => {
            let t = target.with_dbname(&place.db);
            a.extend([
                s("--source"),
                s(source.expose()),
                s("--target"),
                s(t.expose()),
            ]);
        }
        Command::Up | Command::Refresh | Command::Down => {
            a.extend([
                s("--platform"),
                s("local"),
                s("--source-database-url"),
                s(source.expose()),
                s("--server"),
                s(target.with_dbname("postgres").expose()),
                s("--prefix"),
                place.prefix.clone(),
                s("--pr"),
                s(PR),
            ]);
            if command == Command::Up {
                a.extend([s("--sha"), s("abc123")]);
            }
        }
    }
    if command != Command::Down {
        a.extend([s("--anonymize-key"), s(KEY), s("--jobs"), s("2")]);
    }
    a
}

/// The state of a complete copy, made once by an uninterrupted run of the same kind.
async fn reference(lifecycle: bool) -> DbState {
    static SYNC: tokio::sync::OnceCell<DbState> = tokio::sync::OnceCell::const_new();
    static LIFE: tokio::sync::OnceCell<DbState> = tokio::sync::OnceCell::const_new();
    let cell = if lifecycle { &LIFE } else { &SYNC };
    cell.get_or_init(|| async move {
        let case = Case {
            name: if lifecycle { "ref_life" } else { "ref_sync" },
            command: if lifecycle {
                Command::Up
            } else {
                Command::Sync
            },
            fault: Fault::Kill,
            phase: Phase::Swap,
            target: Target::Empty,
            needs: None,
        };
        let place = Place::of(&case);
        drop_all(&place.db).await;
        if !lifecycle {
            create_db(&place.db, None).await;
        }
        let source = harness::small_source().await;
        let target = harness::fault_cluster().url("postgres");
        let done = harness::run(&args(case.command, &place, &source, &target));
        assert_eq!(done.code, Some(0), "reference run failed: {}", done.stderr);
        let url = target.with_dbname(&place.db);
        let s = state(&url).await;
        assert!(s.tables.len() > 5, "the reference copy is too small: {s:?}");
        drop_all(&place.db).await;
        s
    })
    .await
    .clone()
}

async fn create_db(name: &str, tablespace: Option<&str>) {
    let space = tablespace
        .map(|t| format!(" TABLESPACE {t}"))
        .unwrap_or_default();
    harness::admin()
        .await
        .batch_execute(&format!("CREATE DATABASE \"{name}\"{space}"))
        .await
        .unwrap();
}

/// Old data a non-empty target holds: it must survive any failed run byte for byte.
const OLD_DATA: &str = "CREATE TABLE old_data (id serial PRIMARY KEY, v text); \
                        INSERT INTO old_data (v) SELECT md5(g::text) FROM generate_series(1, 300) g;";

/// Runs one case end to end.
pub async fn run_case(case: &Case) {
    let _one_at_a_time = harness::exclusive().await;
    let lifecycle = case.command != Command::Sync;
    let complete = reference(lifecycle).await;
    let place = Place::of(case);
    let cluster = harness::fault_cluster();
    let direct_target = cluster.url("postgres");
    let source = harness::small_source().await;
    drop_all(&place.db).await;
    let disk = if case.fault == Fault::DiskFull {
        Some(super::disk::SmallVolume::mount(case.name).await)
    } else {
        None
    };

    // The state before the faulty run.
    match (case.command, case.target) {
        (Command::Sync, target) => {
            create_db(&place.db, disk.as_ref().map(|d| d.tablespace.as_str())).await;
            if target == Target::NonEmpty {
                crate::support::client(&direct_target.with_dbname(&place.db))
                    .await
                    .batch_execute(OLD_DATA)
                    .await
                    .unwrap();
            }
        }
        (Command::Up, Target::Empty) => {}
        (_, _) => {
            let up = harness::run(&args(Command::Up, &place, &source, &direct_target));
            assert_eq!(up.code, Some(0), "setup up failed: {}", up.stderr);
            crate::support::client(&direct_target.with_dbname(&place.db))
                .await
                .batch_execute(OLD_DATA)
                .await
                .unwrap();
        }
    }
    let url = direct_target.with_dbname(&place.db);
    let before = if database_exists(&place.db).await {
        Some(state(&url).await)
    } else {
        None
    };

    // The faulty run. `down` at a copy phase: a refresh is interrupted, then `down` must clean up.
    let faulty = if case.command == Command::Down && case.phase != Phase::Delete {
        Command::Refresh
    } else {
        case.command
    };
    let proxies = (case.fault == Fault::Cut).then(|| {
        (
            FaultProxy::start(source_port(&source)),
            FaultProxy::start(cluster.port()),
        )
    });
    let (src, dst) = match &proxies {
        Some((ps, pt)) => (
            harness::via(&source, ps.port),
            harness::via(&direct_target, pt.port),
        ),
        None => (source.clone(), direct_target.clone()),
    };
    let argv = args(faulty, &place, &src, &dst);
    let pause = (case.fault != Fault::DiskFull).then_some(case.phase);
    let mut running = Running::start(&argv, pause);
    if let Some(p) = pause {
        running.wait_paused(p);
    }
    let finished = match case.fault {
        Fault::Kill => running.kill9(),
        Fault::Cut => {
            let (ps, pt) = proxies.as_ref().unwrap();
            ps.cut_all();
            pt.cut_all();
            running.resume();
            running.finish()
        }
        Fault::Restart => {
            harness::restart_cluster().await;
            running.resume();
            running.finish()
        }
        Fault::LockLoss => {
            assert!(harness::end_lock_sessions().await > 0, "no lock was held");
            running.resume();
            running.finish()
        }
        Fault::DiskFull => running.finish(),
    };
    drop(proxies);
    let password = cluster.url("postgres").password().unwrap_or_default();
    assert!(
        !finished.stderr.contains(&password) && !finished.stdout.contains(&password),
        "a password was printed"
    );

    // Right after the fault: the old data as it was, or the new copy complete.
    let after = if database_exists(&place.db).await {
        Some(state(&url).await)
    } else {
        None
    };
    let as_before = same_data(case, after.as_ref(), before.as_ref())
        || (case.command == Command::Up && after.as_ref().is_none_or(|s| s.is_empty()));
    let is_complete = if case.command == Command::Down {
        after.is_none()
    } else {
        after.as_ref() == Some(&complete)
    };
    assert!(
        as_before || is_complete,
        "{}: after {} at {} the target is neither as it was nor complete.\nbefore: {}\nafter: {}\nstderr:\n{}",
        case.name,
        case.fault.name(),
        case.phase,
        summary(before.as_ref()),
        summary(after.as_ref()),
        finished.stderr
    );
    if case.fault == Fault::LockLoss {
        // A run that lost its lock may be running beside another: it must stop before the swap.
        assert!(
            finished.code == Some(1) && as_before && finished.stderr.contains("lock"),
            "{}: the run went on without its lock:\n{}",
            case.name,
            finished.stderr
        );
    }
    if case.fault != Fault::Kill {
        message_is_true(case, &place, &finished, as_before && !is_complete).await;
    }

    // A rerun succeeds, leaves no helper database behind and ends complete (down: gone).
    let rerun = harness::run(&args(case.command, &place, &source, &direct_target));
    assert_eq!(
        rerun.code,
        Some(0),
        "{}: the rerun failed:\n{}",
        case.name,
        rerun.stderr
    );
    let left = helpers().await;
    assert!(
        left.is_empty(),
        "{}: helper databases left after the rerun: {left:?}",
        case.name
    );
    if case.command == Command::Down {
        assert!(
            !database_exists(&place.db).await,
            "down left the environment"
        );
    } else {
        assert_eq!(
            state(&url).await,
            complete,
            "{}: the rerun's copy is not complete",
            case.name
        );
    }
    drop_all(&place.db).await;
    if let Some(disk) = disk {
        disk.release().await;
    }
}

/// What the failed run said must match what is left: every helper database it left is named,
/// and a target left as it was is said to be so.
async fn message_is_true(case: &Case, place: &Place, done: &Finished, unchanged: bool) {
    if done.code == Some(0) {
        return;
    }
    assert_ne!(done.code, None, "{}: the run died from a signal", case.name);
    for helper in helpers().await {
        assert!(
            done.stderr.contains(&helper),
            "{}: {helper} was left behind but the message does not name it:\n{}",
            case.name,
            done.stderr
        );
    }
    let says_unchanged = [
        "left as it was",
        "keeps its previous state",
        "was deleted again",
        "nothing was changed",
        "nothing partial was kept",
    ]
    .iter()
    .any(|s| done.stderr.contains(s));
    if unchanged {
        assert!(
            says_unchanged,
            "{}: the target is as it was but the message does not say so:\n{}",
            case.name, done.stderr
        );
    } else {
        assert!(
            !says_unchanged && done.stderr.contains(&place.db),
            "{}: the target changed but the message does not say what is left in {}:\n{}",
            case.name,
            place.db,
            done.stderr
        );
    }
}

/// The old data is still there. After a server crash PostgreSQL moves sequences up to 32 values
/// ahead (they are logged ahead of use), so a restart compares rows and schema only.
fn same_data(case: &Case, after: Option<&DbState>, before: Option<&DbState>) -> bool {
    match (after, before) {
        (Some(a), Some(b)) if case.fault == Fault::Restart => {
            a.tables == b.tables && a.schema == b.schema
        }
        (a, b) => a == b,
    }
}

fn source_port(source: &DbUrl) -> u16 {
    source
        .host_port()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("source port")
}

fn summary(s: Option<&DbState>) -> String {
    match s {
        None => "no database".to_owned(),
        Some(s) => format!(
            "{} tables, {} rows, {} sequences",
            s.tables.len(),
            s.tables.iter().map(|t| t.1).sum::<i64>(),
            s.sequences.len()
        ),
    }
}
