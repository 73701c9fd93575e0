//! One build at a time of something reads share (the trust list, the status list), without a
//! queue of waits for a database out of reach.
//!
//! Reads that find the shared value expired take turns: the first builds it, the others wait
//! for that build and take its result. When the build fails because the database cannot be
//! used for the moment ([`keurmerk_store::StoreError::is_unavailable`]: it waited the pool's
//! whole wait for a connection, say), each waiter building again in turn would wait the pool's
//! wait once more, so under a flood of scans during an outage the `n`-th would be answered
//! after `n` waits. Instead a waiter takes the failure of a build that ended after it arrived:
//! the database was out of reach while it waited, and it is answered `503` with the same
//! cause, at once. A failure that ended before it arrived is not taken: that waiter tries
//! itself, so the first read after the database is back builds again.
//!
//! Turns are per store handle (see [`crate::Registry::with_store`]): background work on
//! connections of its own never holds a turn a request waits for, so a request waits its own
//! pool's wait at most, not the background pool's. The server reads its complaint form key
//! once per process in the same turns.

use std::time::Instant;

use keurmerk_store::StoreError;

use crate::{ServiceError, ServiceResult};

/// Taken by the build under way; holds how the last build of this turn's value failed for want
/// of a database, if it did.
#[derive(Debug, Default)]
pub struct BuildTurns(tokio::sync::Mutex<Option<OutOfReach>>);

/// A build that failed because the database could not be used.
#[derive(Debug)]
struct OutOfReach {
    ended: Instant,
    cause: String,
}

/// The turn to build, held until dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    last: tokio::sync::MutexGuard<'a, Option<OutOfReach>>,
    arrived: Instant,
}

impl BuildTurns {
    /// Waits for the turn. Refused at once, with its cause, when a build that ended while this
    /// waited found the database out of reach.
    pub async fn take(&self) -> ServiceResult<Turn<'_>> {
        let arrived = Instant::now();
        let last = self.0.lock().await;
        if let Some(failed) = last.as_ref().filter(|f| f.ended >= arrived) {
            return Err(ServiceError::Unavailable(StoreError::Unavailable(
                failed.cause.clone(),
            )));
        }
        Ok(Turn { last, arrived })
    }
}

impl Turn<'_> {
    /// When this read asked for its turn: a value whose reading began after it is fresh enough
    /// to take.
    pub fn arrived(&self) -> Instant {
        self.arrived
    }

    /// Records how the build done in this turn ended, for those waiting for it.
    pub fn ended<T>(&mut self, built: &ServiceResult<T>) {
        *self.last = match built {
            Err(ServiceError::Unavailable(cause)) => Some(OutOfReach {
                ended: Instant::now(),
                cause: cause.to_string(),
            }),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn out_of_reach() -> ServiceResult<()> {
        Err(ServiceError::Unavailable(StoreError::Database(
            sqlx::Error::PoolTimedOut,
        )))
    }

    /// Waiters behind a build that found the database out of reach are refused with its cause,
    /// and none builds again; the next read after that builds.
    #[tokio::test]
    async fn waiters_take_the_failure_of_the_build_they_waited_for() {
        let turns = Arc::new(BuildTurns::default());
        let builds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut first = turns.take().await.unwrap();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (turns, builds) = (turns.clone(), builds.clone());
                tokio::spawn(async move {
                    let mut turn = turns.take().await?;
                    builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let built = out_of_reach();
                    turn.ended(&built);
                    built
                })
            })
            .collect();
        // The runtime has one thread: while this sleeps, each waiter runs up to its wait for
        // the lock, so all arrived before the first build ends.
        tokio::time::sleep(Duration::from_millis(5)).await;
        first.ended(&out_of_reach());
        drop(first);
        for w in waiters {
            match w.await.unwrap() {
                Err(ServiceError::Unavailable(e)) => {
                    assert!(e.is_unavailable());
                    assert!(e.to_string().contains("pool timed out"), "{e}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 0);
        // A read arriving after the failure ended tries itself.
        let mut turn = turns.take().await.expect("a later read builds");
        turn.ended(&Ok(()));
        drop(turn);
        assert!(
            turns.0.lock().await.is_none(),
            "a success forgets the failure"
        );
    }

    /// A failure other than the database being out of reach is not passed on: the next waiter
    /// builds itself.
    #[tokio::test]
    async fn other_failures_are_not_taken() {
        let turns = BuildTurns::default();
        let mut first = turns.take().await.unwrap();
        first.ended::<()>(&Err(ServiceError::Conflict("x".into())));
        drop(first);
        assert!(turns.take().await.is_ok());
    }
}
