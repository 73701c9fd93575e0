//! How many connections PostgreSQL lets this store's role hold in its database, and how many of
//! those others hold now: `keurmerk serve` checks its pools fit before it answers anything, so
//! a pool larger than the database allows is refused at start, naming the setting, instead of
//! failing requests with "too many clients" at the first peak.

use sqlx::Row as _;

use super::{Backend, SqlStore};
use crate::Result;

/// One of PostgreSQL's limits on this store's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimit {
    /// Which limit, in PostgreSQL's words: `max_connections` (less the slots reserved for
    /// superusers and for `pg_use_reserved_connections` when the role may not use them), the
    /// role's `CONNECTION LIMIT`, or the database's.
    pub name: String,
    /// The most connections the limit allows this store's role in this database.
    pub allows: u32,
    /// Connections counted against it now that are not this store's pool's (other instances,
    /// other programs, and this process's other pools).
    pub held_by_others: u32,
}

impl ConnectionLimit {
    /// Connections still free under this limit for this store's pool, counting what the pool
    /// holds now as its own.
    pub fn free(&self) -> u32 {
        self.allows.saturating_sub(self.held_by_others)
    }
}

/// PostgreSQL's limits on this store's connections, tightest first ([`SqlStore::connection_room`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRoom {
    /// Every limit that applies (`max_connections` always; the role's and the database's when
    /// set), the one allowing fewest first.
    pub limits: Vec<ConnectionLimit>,
}

impl ConnectionRoom {
    /// The limit allowing fewest connections, however few others hold.
    pub fn tightest(&self) -> Option<&ConnectionLimit> {
        self.limits.first()
    }

    /// The limit with fewest connections free now.
    pub fn fullest(&self) -> Option<&ConnectionLimit> {
        self.limits.iter().min_by_key(|l| l.free())
    }
}

/// The limits and the connections counted against each, in one statement. A role that is not a
/// superuser cannot use `superuser_reserved_connections`, nor `reserved_connections`
/// (PostgreSQL 16 and later; missing before, so read with `missing_ok`) unless it is a member of
/// `pg_use_reserved_connections`. Only client backends count: background workers, autovacuum
/// and WAL senders have slots of their own. A role without `pg_read_all_stats` sees another
/// role's session without its kind (NULL) but with its database: one in a database is counted
/// (an autovacuum or parallel worker too, so a count may be high but never low), one in none is
/// a server process (checkpointer, background writer).
const ROOM: &str = "\
WITH clients AS ( \
  SELECT usesysid, datid FROM pg_stat_activity \
  WHERE backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)) \
SELECT current_setting('max_connections')::int4 AS max_connections, \
       current_setting('superuser_reserved_connections')::int4 AS superuser_reserved, \
       COALESCE(current_setting('reserved_connections', true), '0')::int4 AS reserved, \
       r.rolsuper AS superuser, \
       EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
               WHERE g.rolname = 'pg_use_reserved_connections' AND m.member = r.oid) \
         AS may_use_reserved, \
       r.rolconnlimit AS role_limit, \
       d.datconnlimit AS database_limit, \
       (SELECT count(*) FROM clients)::int4 AS held_all, \
       (SELECT count(*) FROM clients c WHERE c.usesysid = r.oid)::int4 AS held_by_role, \
       (SELECT count(*) FROM clients c WHERE c.datid = d.oid)::int4 AS held_in_database \
FROM pg_roles r, pg_database d \
WHERE r.rolname = session_user AND d.datname = current_database()";

/// A pool's connections at one moment ([`SqlStore::pool_use`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Open and handed out.
    pub in_use: u32,
    /// Open and waiting to be handed out.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl SqlStore {
    /// This store's pool now: on PostgreSQL at most `serve.database_connections` for
    /// requests, so an operator sees whether it is full under load (every connection in use:
    /// requests wait for one); on SQLite the writers' pool (its point reads hold none). The
    /// open and idle counts are read one after the other, not as one snapshot: in use is the
    /// open ones less the idle ones, never below 0.
    pub fn pool_use(&self) -> PoolUse {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle())
            .unwrap_or(u32::MAX)
            .min(open);
        PoolUse {
            in_use: open - idle,
            idle,
            max: self.pool.options().get_max_connections(),
        }
    }

    /// On PostgreSQL, the limits on how many connections this store's role may hold in its
    /// database, and how many of them others hold now; `None` on SQLite, which has no such
    /// limit. "Others" are every connection counted against a limit less the connections this
    /// store's pool has open when it asks (so a process with several pools counts its other
    /// pools as others).
    pub async fn connection_room(&self) -> Result<Option<ConnectionRoom>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        // Read while this pool's connection is held, so it is among both counts.
        let own = self.pool.size();
        let row = sqlx::query(ROOM).fetch_one(&mut *conn).await?;
        drop(conn);
        let int = |name: &str| -> Result<i64> { Ok(i64::from(row.try_get::<i32, _>(name)?)) };
        let others = |held: i64| u32::try_from((held - i64::from(own)).max(0)).unwrap_or(0);
        let allows = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        let superuser: bool = row.try_get("superuser")?;
        let may_use_reserved: bool = row.try_get("may_use_reserved")?;
        let (max, su_reserved, reserved) = (
            int("max_connections")?,
            int("superuser_reserved")?,
            int("reserved")?,
        );
        let (name, slots) = match (superuser, may_use_reserved) {
            (true, _) => ("max_connections".to_owned(), max),
            (false, true) => (
                format!(
                    "max_connections ({max}) less superuser_reserved_connections ({su_reserved})"
                ),
                max - su_reserved,
            ),
            (false, false) => (
                format!(
                    "max_connections ({max}) less superuser_reserved_connections \
                     ({su_reserved}) and reserved_connections ({reserved})"
                ),
                max - su_reserved - reserved,
            ),
        };
        let mut limits = vec![ConnectionLimit {
            name,
            allows: allows(slots),
            held_by_others: others(int("held_all")?),
        }];
        // A superuser is held to neither its role's limit nor the database's.
        for (name, limit, held) in [
            ("the role's CONNECTION LIMIT", "role_limit", "held_by_role"),
            (
                "the database's CONNECTION LIMIT",
                "database_limit",
                "held_in_database",
            ),
        ] {
            let limit = int(limit)?;
            // -1: no limit of its own.
            if limit >= 0 && !superuser {
                limits.push(ConnectionLimit {
                    name: name.to_owned(),
                    allows: allows(limit),
                    held_by_others: others(int(held)?),
                });
            }
        }
        limits.sort_by_key(|l| l.allows);
        Ok(Some(ConnectionRoom { limits }))
    }
}
