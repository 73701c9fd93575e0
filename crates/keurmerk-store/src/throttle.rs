//! Log lines that a flood of requests would repeat, at most one a second.
//!
//! When the database cannot be used, every request is answered `503` (`docs/OPERATIONS.md`,
//! "When the database cannot be used for the moment"). At the rate QR scans arrive that
//! would be thousands of identical warnings a second: writing them costs the CPU the server is
//! short of, and they bury everything else in the log. A [`Throttle`] lets one line through
//! each second, carrying how many it stands for. Here, beside
//! [`crate::database_unavailable`], for every crate that answers such requests (the registry's
//! routes, the transparency log's).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// At most one line per `every`; counts the events in between.
#[derive(Debug)]
pub struct Throttle {
    every_ms: i64,
    /// When the last line was let through (Unix milliseconds; `i64::MIN`: never).
    last_ms: AtomicI64,
    /// Events since the last line let through, this one included.
    since: AtomicU64,
}

impl Throttle {
    /// One line per `every` at most.
    pub const fn new(every: Duration) -> Self {
        Self {
            every_ms: every.as_millis() as i64,
            last_ms: AtomicI64::new(i64::MIN),
            since: AtomicU64::new(0),
        }
    }

    /// Counts one event at `now_ms`; `Some(n)` when its line is due, `n` the events it stands
    /// for (itself and those kept back since the last line). A clock that went back lets a line
    /// through at once, so a jump never silences the log.
    pub fn admit(&self, now_ms: i64) -> Option<u64> {
        self.since.fetch_add(1, Ordering::AcqRel);
        let last = self.last_ms.load(Ordering::Acquire);
        let due = last == i64::MIN || now_ms < last || now_ms - last >= self.every_ms;
        // One caller wins a due line; the others' events are counted in the next one.
        if !due
            || self
                .last_ms
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return None;
        }
        Some(self.since.swap(0, Ordering::AcqRel).max(1))
    }

    /// [`Throttle::admit`] now.
    pub fn admit_now(&self) -> Option<u64> {
        self.admit(chrono::Utc::now().timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::Throttle;
    use std::time::Duration;

    #[test]
    fn one_line_a_second_counting_the_rest() {
        let t = Throttle::new(Duration::from_secs(1));
        assert_eq!(t.admit(10_000), Some(1));
        for ms in 10_001..10_999 {
            assert_eq!(t.admit(ms), None);
        }
        // The second line stands for itself and the 998 kept back.
        assert_eq!(t.admit(11_000), Some(999));
        assert_eq!(t.admit(11_500), None);
        // A clock that went back lets a line through at once.
        assert_eq!(t.admit(5_000), Some(2));
        assert_eq!(t.admit(5_001), None);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn many_threads_at_once_let_one_line_through_and_lose_no_count() {
        let t = std::sync::Arc::new(Throttle::new(Duration::from_secs(3600)));
        assert_eq!(t.admit(0), Some(1));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || (0..1000).filter(|_| t.admit(1).is_some()).count())
            })
            .collect();
        let through: usize = threads.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(through, 0);
        assert_eq!(t.admit(3_600_000), Some(4001));
    }
}
