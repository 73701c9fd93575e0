//! Open files `keurmerk serve` may need at once, against the process's limit (`RLIMIT_NOFILE`).
//!
//! Every HTTP connection is a file descriptor, and so is every PostgreSQL connection and every
//! SQLite file a connection has open. Many systems start a process with a soft limit of 1,024
//! open files, which the default `serve.max_connections` (1,024) alone would fill: past it,
//! accepting fails (the listener pauses 100 ms each time), and so would anything else that
//! needs a descriptor then: opening the database file, a connection to PostgreSQL, a webhook
//! delivery. At start `serve` therefore raises the soft limit as far as
//! the settings need (an unprivileged process may, up to the hard limit). When even the hard
//! limit is too low, it serves fewer connections at once (the rest wait in the kernel's accept
//! queue, as past `max_connections`) and says so; when not even [`FEWEST`] fit, it refuses to
//! start.

use anyhow::{bail, Result};

/// Descriptors kept for everything but the HTTP and PostgreSQL connections: the listener, the
/// standard streams, the SQLite files (the writers' pool and the point reader, each connection
/// with the database and its `-wal`, and the `-shm`), the runtimes' event queues, key and log
/// files, webhook deliveries. `serve` on SQLite held 28 descriptors idle and 37 besides its 320
/// HTTP connections under a flood of searches and lookups (`docs/OPERATIONS.md`).
const RESERVED: u64 = 256;

/// The fewest HTTP connections `serve` starts with when the limit is lower than its setting.
const FEWEST: u64 = 16;

/// What to do about the open-files limit for a number of HTTP and database connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// The soft limit allows them.
    Fits,
    /// Raise the soft limit to this, which the hard limit allows.
    Raise(u64),
    /// The hard limit allows only `connections` HTTP connections at once: raise the soft limit
    /// to the hard one (`raise_to`, when it is lower) and serve that many.
    Cap {
        /// HTTP connections served at once.
        connections: u64,
        /// The hard limit, when the soft one is lower.
        raise_to: Option<u64>,
    },
    /// Not even [`FEWEST`] HTTP connections fit under the hard limit.
    Refuse,
}

/// Descriptors `serve` may hold with `http` connections served at once and `database`
/// connections to PostgreSQL (0 on SQLite).
fn needed(http: u64, database: u64) -> u64 {
    http.saturating_add(database).saturating_add(RESERVED)
}

/// [`Fit`] for `http` and `database` connections under a soft and a hard limit (`None`:
/// unlimited).
fn fit(http: u64, database: u64, soft: Option<u64>, hard: Option<u64>) -> Fit {
    let needed = needed(http, database);
    if soft.is_none_or(|s| s >= needed) {
        return Fit::Fits;
    }
    match hard {
        None => Fit::Raise(needed),
        Some(h) if h >= needed => Fit::Raise(needed),
        Some(h) => {
            let room = h.saturating_sub(database).saturating_sub(RESERVED);
            if room < FEWEST {
                Fit::Refuse
            } else {
                Fit::Cap {
                    connections: room,
                    raise_to: soft.filter(|&s| s < h).map(|_| h),
                }
            }
        }
    }
}

/// Fits `serve` with `http` connections at once and `database` PostgreSQL connections under
/// the process's open-files limit, raising its soft limit where needed: the HTTP connections to
/// serve at once (`http`, or fewer, with a warning in the log), or an error naming the setting
/// and the limit when not even [`FEWEST`] fit.
pub fn fit_process(http: usize, database: u32) -> Result<usize> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let http_u64 = u64::try_from(http).unwrap_or(u64::MAX);
    let now = getrlimit(Resource::Nofile);
    let raise = |to: u64| -> Result<()> {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(to),
                maximum: now.maximum,
            },
        )
        .map_err(|e| anyhow::anyhow!("raising the open-files limit (RLIMIT_NOFILE) to {to}: {e}"))
    };
    let names = || crate::config::by_key("serve.max_connections").map(|s| s.names());
    let postgres = if database > 0 {
        format!(" and {database} for PostgreSQL")
    } else {
        String::new()
    };
    match fit(http_u64, u64::from(database), now.current, now.maximum) {
        Fit::Fits => Ok(http),
        Fit::Raise(to) => {
            raise(to)?;
            tracing::info!(
                from = now.current,
                to,
                "open-files limit (RLIMIT_NOFILE) raised for serve.max_connections"
            );
            Ok(http)
        }
        Fit::Cap {
            connections,
            raise_to,
        } => {
            if let Some(to) = raise_to {
                raise(to)?;
            }
            tracing::warn!(
                "{} is {http}, but this process may open at most {} files (RLIMIT_NOFILE, hard \
                 limit), {RESERVED} of them kept for the database and the rest{}: serving \
                 {connections} connections at once, the others wait to be accepted; raise the \
                 limit (ulimit -Hn, systemd's LimitNOFILE=) or lower the setting",
                names()?,
                now.maximum.unwrap_or(u64::MAX),
                postgres,
            );
            Ok(usize::try_from(connections).unwrap_or(usize::MAX))
        }
        Fit::Refuse => bail!(
            "this process may open at most {} files (RLIMIT_NOFILE, hard limit), and `serve` \
             needs {RESERVED} for the database and the rest{} besides its HTTP connections, so \
             not even {FEWEST} connections fit ({} is {http}): raise the limit (ulimit -Hn, \
             systemd's LimitNOFILE=)",
            now.maximum.unwrap_or(u64::MAX),
            postgres,
            names()?,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_soft_limit_that_allows_them_is_left_alone() {
        assert_eq!(fit(1024, 0, Some(1280), Some(1280)), Fit::Fits);
        assert_eq!(fit(1024, 21, None, None), Fit::Fits);
    }

    /// The usual case: a soft limit of 1,024, a high hard one; raised just as far as needed.
    #[test]
    fn a_low_soft_limit_is_raised_as_far_as_needed() {
        assert_eq!(fit(1024, 0, Some(1024), Some(524_288)), Fit::Raise(1280));
        assert_eq!(fit(1024, 21, Some(1024), None), Fit::Raise(1301));
        assert_eq!(fit(1024, 21, Some(1024), Some(1301)), Fit::Raise(1301));
    }

    /// A hard limit too low for the setting: as many connections as fit beside the reserve and
    /// PostgreSQL's, the soft limit raised to the hard one; fewer than `FEWEST`: refused.
    #[test]
    fn a_low_hard_limit_serves_fewer_or_refuses() {
        assert_eq!(
            fit(1024, 0, Some(400), Some(400)),
            Fit::Cap {
                connections: 144,
                raise_to: None
            }
        );
        assert_eq!(
            fit(1024, 21, Some(300), Some(1024)),
            Fit::Cap {
                connections: 747,
                raise_to: Some(1024)
            }
        );
        assert_eq!(
            fit(1024, 0, Some(271), Some(272)),
            Fit::Cap {
                connections: 16,
                raise_to: Some(272)
            }
        );
        assert_eq!(fit(1024, 0, Some(271), Some(271)), Fit::Refuse);
        assert_eq!(fit(u64::MAX, u64::MAX, Some(1024), Some(1024)), Fit::Refuse);
    }
}
