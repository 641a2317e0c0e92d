//! Periodic one-line progress on stderr: no TTY tricks, readable in CI logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counters shared by the copy workers.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub rows: AtomicU64,
    pub jobs_done: AtomicUsize,
    pub jobs_total: AtomicUsize,
    pub estimated_bytes: AtomicU64,
}

impl Progress {
    pub fn add(&self, rows: u64, bytes: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One progress line, e.g. `copy: 3/17 jobs, 412.3 MB of ~980.0 MB, 85.1 MB/s, ETA ~7s`.
    pub fn line(&self, elapsed: Duration) -> String {
        let bytes = self.bytes.load(Ordering::Relaxed);
        let total = self.estimated_bytes.load(Ordering::Relaxed).max(bytes);
        let secs = elapsed.as_secs_f64().max(0.001);
        let rate = bytes as f64 / secs;
        let eta = if rate > 0.0 {
            (total - bytes) as f64 / rate
        } else {
            0.0
        };
        format!(
            "copy: {}/{} jobs, {:.1} MB of ~{:.1} MB, {:.1} MB/s, {} rows, ETA ~{:.0}s",
            self.jobs_done.load(Ordering::Relaxed),
            self.jobs_total.load(Ordering::Relaxed),
            mb(bytes),
            mb(total),
            mb(rate as u64),
            self.rows.load(Ordering::Relaxed),
            eta
        )
    }
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Prints a progress line every `every` until the returned handle is aborted.
pub fn spawn_reporter(
    progress: Arc<Progress>,
    every: Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    if every.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            eprintln!("{}", progress.line(start.elapsed()));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_jobs_volume_rate_and_eta() {
        let p = Progress::default();
        p.jobs_total.store(4, Ordering::Relaxed);
        p.jobs_done.store(1, Ordering::Relaxed);
        p.estimated_bytes.store(40 * 1024 * 1024, Ordering::Relaxed);
        p.add(1000, 10 * 1024 * 1024);
        let line = p.line(Duration::from_secs(2));
        assert_eq!(
            line,
            "copy: 1/4 jobs, 10.0 MB of ~40.0 MB, 5.0 MB/s, 1000 rows, ETA ~6s"
        );
    }
}
