use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Where the registry gets the time from (a trait so tests and the demo can set it).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// Starts at `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }

    /// Sets the time.
    pub fn set(&self, t: DateTime<Utc>) {
        // A poisoned lock only means another thread panicked mid-set; the value is still a time.
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *guard = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How far, at most, `serve` and the command line let their clock be from the database's
/// before they refuse to sign a status list or act on time (`Registry::with_clock_check`). An
/// instance whose clock ran ahead would otherwise publish lists from the future (which verifiers
/// refuse past their 300 s skew, and which make every other instance publish again), steal the
/// leases of the others, and expire or suspend labels early; one behind would sign lists that
/// are stale when served. Clocks kept by NTP are within milliseconds of each other.
pub const MAX_CLOCK_OFFSET_SECS: i64 = 30;

/// This registry's clock against the database's, the clock every instance shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockOffset {
    /// The registry's clock minus the database's (positive: this clock is ahead), measured at
    /// the middle of the round trip that read the database's.
    pub offset: chrono::Duration,
    /// Half that round trip: how far off the measurement itself may be.
    pub uncertainty: chrono::Duration,
}

impl ClockOffset {
    /// Whether the clocks may be within `max` of each other (the measurement's uncertainty
    /// counts in the clock's favour: a slow database is no reason to stop).
    pub fn within(&self, max: chrono::Duration) -> bool {
        self.offset.abs() <= max + self.uncertainty
    }
}

impl std::fmt::Display for ClockOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.offset.num_milliseconds();
        write!(
            f,
            "{}.{:03} s {} the database's (± {} ms)",
            ms.unsigned_abs() / 1000,
            ms.unsigned_abs() % 1000,
            if ms >= 0 { "ahead of" } else { "behind" },
            self.uncertainty.num_milliseconds()
        )
    }
}

impl<S: keurmerk_store::RegistryStore> crate::Registry<S> {
    /// Measures this registry's clock against the database's.
    pub async fn clock_offset(&self) -> crate::ServiceResult<ClockOffset> {
        let before = self.now();
        let database = self.store().database_now().await?;
        let after = self.now();
        let half = (after - before) / 2;
        Ok(ClockOffset {
            offset: (before + half) - database,
            uncertainty: half.abs(),
        })
    }

    /// With a clock check (`Registry::with_clock_check`), fails with `Unavailable` while this
    /// registry's clock is further from the database's than allowed; without one, does
    /// nothing.
    pub async fn check_clock(&self) -> crate::ServiceResult<()> {
        let Some(max) = self.clock_check else {
            return Ok(());
        };
        let o = self.clock_offset().await?;
        if o.within(max) {
            return Ok(());
        }
        let message = format!(
            "this instance's clock is {o}, more than the {} s allowed: it does not sign status \
             lists or act on time until its clock is set right",
            max.num_seconds()
        );
        tracing::error!(offset_ms = o.offset.num_milliseconds(), "{message}");
        Err(crate::ServiceError::Unavailable(
            keurmerk_store::StoreError::Unavailable(message),
        ))
    }
}
