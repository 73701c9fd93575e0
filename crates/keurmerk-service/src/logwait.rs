//! Acknowledging writes only once they are logged (SPEC §7, issue 4 item 2).
//!
//! Every write that records a statement queues it in `log_queue` in the same transaction as the
//! event. With a [`LogWaiter`] set ([`crate::Registry::with_log_waiter`], done by `keurmerk serve`,
//! which runs the transparency log's sequencer), the use case then waits until that entry is
//! committed in a signed checkpoint before it answers; if the log does not take it within
//! [`LOG_WAIT_TIMEOUT`] the caller gets [`crate::ServiceError::LogUnavailable`] (HTTP 503). The
//! write itself stays committed and queued, so it is logged as soon as the sequencer catches up:
//! nothing acknowledged is ever missing from the log.
//!
//! Without a waiter (the CLI working on the database directly) writes stay queued and are logged
//! when a server next runs.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::{ServiceError, ServiceResult};

/// How long a write waits for its log entry before it answers [`ServiceError::LogUnavailable`].
pub const LOG_WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The future returned by [`LogWaiter::wait_for`].
pub type LogWaitFuture<'a> = Pin<Box<dyn Future<Output = Result<u64, String>> + Send + 'a>>;

/// Waits until a queued log entry is committed in a signed checkpoint.
///
/// Implemented over the transparency log's sequencer (`keurmerk_transparency::Sequencer::wait_for`)
/// by `keurmerk serve`; the service does not depend on the log crate.
pub trait LogWaiter: Send + Sync {
    /// Resolves with the entry's log index once the entry queued as `queue_id` (the `log_queue`
    /// row returned by the store) is in a signed checkpoint; `Err` says why it cannot be.
    fn wait_for(&self, queue_id: i64) -> LogWaitFuture<'_>;
}

/// Waits for `queue_id` with `waiter`, mapping failure and timeout to
/// [`ServiceError::LogUnavailable`].
pub(crate) async fn wait_logged(
    waiter: &dyn LogWaiter,
    queue_id: i64,
    timeout: Duration,
) -> ServiceResult<u64> {
    match tokio::time::timeout(timeout, waiter.wait_for(queue_id)).await {
        Ok(Ok(index)) => Ok(index),
        Ok(Err(e)) => Err(ServiceError::LogUnavailable(format!(
            "the change is recorded but its transparency log entry (queue id {queue_id}) failed: {e}"
        ))),
        Err(_) => Err(ServiceError::LogUnavailable(format!(
            "the change is recorded but not yet in the transparency log after {} s \
             (queue id {queue_id}); it will be logged when the log catches up",
            timeout.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    struct Fixed(Result<u64, String>);

    impl LogWaiter for Fixed {
        fn wait_for(&self, _queue_id: i64) -> LogWaitFuture<'_> {
            let r = self.0.clone();
            Box::pin(async move { r })
        }
    }

    struct Never;

    impl LogWaiter for Never {
        fn wait_for(&self, _queue_id: i64) -> LogWaitFuture<'_> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn logged_entry_returns_its_index() {
        let i = wait_logged(&Fixed(Ok(7)), 3, LOG_WAIT_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(i, 7);
    }

    #[tokio::test]
    async fn failure_and_timeout_are_log_unavailable() {
        let e = wait_logged(&Fixed(Err("db gone".into())), 3, LOG_WAIT_TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(&e, ServiceError::LogUnavailable(m) if m.contains("db gone")));
        let e = wait_logged(&Never, 4, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert!(matches!(&e, ServiceError::LogUnavailable(m) if m.contains("queue id 4")));
    }
}
