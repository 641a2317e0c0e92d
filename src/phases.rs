//! How long each phase of an operation took: the clock `sync` and the lifecycle both keep, and
//! the [`PhaseTime`] rows their reports carry.

use std::time::Instant;

use serde::Serialize;

/// One finished phase and its wall-clock seconds.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: String,
    pub seconds: f64,
}

/// Started when the operation starts; each [`mark`](Self::mark) closes the phase running since
/// the previous mark.
#[derive(Debug)]
pub struct PhaseClock {
    start: Instant,
    last: Instant,
    done: Vec<PhaseTime>,
    log: bool,
}

impl PhaseClock {
    /// A clock that records silently.
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            done: Vec::new(),
            log: false,
        }
    }

    /// A clock that also logs `done` with the phase's name as each one ends.
    pub fn logged() -> Self {
        Self {
            log: true,
            ..Self::new()
        }
    }

    /// Ends the phase running since the previous mark (or the start) under `phase`.
    pub fn mark(&mut self, phase: &str) {
        let now = Instant::now();
        self.done.push(PhaseTime {
            phase: phase.to_owned(),
            seconds: (now - self.last).as_secs_f64(),
        });
        self.last = now;
        if self.log {
            tracing::info!(phase, "done");
        }
    }

    /// The phases ended so far, in order.
    pub fn phases(&self) -> &[PhaseTime] {
        &self.done
    }

    /// Seconds since the clock started.
    pub fn total_seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub fn into_phases(self) -> Vec<PhaseTime> {
        self.done
    }
}

impl Default for PhaseClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mark_closes_the_phase_since_the_previous_one() {
        let mut clock = PhaseClock::new();
        std::thread::sleep(std::time::Duration::from_millis(20));
        clock.mark("first");
        clock.mark("second");
        let phases = clock.phases();
        let names: Vec<&str> = phases.iter().map(|p| p.phase.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        assert!(phases[0].seconds >= 0.02, "{phases:?}");
        assert!(phases[1].seconds < phases[0].seconds, "{phases:?}");
        assert!(clock.total_seconds() >= phases[0].seconds + phases[1].seconds);
        assert_eq!(clock.into_phases().len(), 2);
    }

    #[test]
    fn a_phase_serializes_as_name_and_seconds() {
        let row = PhaseTime {
            phase: "copy".to_owned(),
            seconds: 1.5,
        };
        assert_eq!(
            serde_json::to_string(&row).expect("serializes"),
            r#"{"phase":"copy","seconds":1.5}"#
        );
    }
}
