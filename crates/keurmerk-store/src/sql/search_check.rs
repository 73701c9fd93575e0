//! [`SearchStore::verify_search`]: every search document against what the triggers would write
//! from its certificate's rows now, and (SQLite) the full-text index against the documents.
//!
//! The documents are derived data: the triggers write them in the transaction of each
//! certificate's insert and state change (and, on PostgreSQL, the rows kept beside them for
//! search results in that of a change of the product's image), so no write of the registry
//! makes them drift. An edit made to the database by other means (a document deleted or
//! rewritten by hand, a table restored from another backup, FTS5's shadow tables touched) can
//! hide a label from a search or make a search find it by words it does not have, and (on
//! PostgreSQL) a kept row edited by hand makes a result show a name or an image its rows do not
//! have. Filters never show a label they exclude: the rows decide them.
//!
//! Each finding comes from one statement (one snapshot), and a certificate's document is written
//! in its certificate's transaction, so a write that lands during a check is never a difference.
//! A repair, when a check finds something to repair, runs in one write transaction that holds
//! off other writers (SQLite's write lock; PostgreSQL's `certificates` and `product_images`
//! locked against writes, as migration 0039 does) and stores each certificate the check found
//! again from its rows as they are inside that transaction; the transaction lasts as long as
//! those few writes, not a pass over every document.

use std::collections::{BTreeSet, HashMap};

use sqlx::AnyConnection;

use super::{Backend, SqlStore};
use crate::search::{SearchCheck, SearchDifference, SearchProblem, SEARCH_DIFFERENCES_LISTED};
use crate::{Result, StoreError};

/// SQLite: the rows a document is made from, as the insert trigger joins them (migration 0036):
/// the certificate `c`, its product `p`, its manufacturer `o` and its category's words `w`.
const SQLITE_ROWS: &str = "JOIN products p ON p.id = c.product_id \
                           JOIN organisations o ON o.id = p.manufacturer_id \
                           LEFT JOIN category_words w ON w.category = p.category";

/// SQLite: a document's `body` as the insert trigger writes it (migration 0036).
const SQLITE_BODY: &str = "c.id || ' ' || p.name || ' ' || p.model || ' ' || \
                           COALESCE(p.gtin, '') || ' ' || p.category || ' ' || \
                           COALESCE(w.words, '') || ' ' || o.name";

/// SQLite: a document's `facets` as the insert and state triggers write them (migration 0036).
const SQLITE_FACETS: &str = "'i' || hex(c.id) || ' s' || hex(c.scheme_id) || \
                             ' l' || hex(c.level_id) || ' t' || hex(c.state) || \
                             ' c' || hex(p.category) || ' m' || hex(p.manufacturer_id)";

/// A difference as found: the certificate it names, what differs and (SQLite) the document's
/// rowid when the difference is a document of its own (an orphan).
struct Finding {
    certificate: String,
    problem: SearchProblem,
    orphan_row: Option<i64>,
}

/// The documents read and the differences found in one pass.
struct Pass {
    documents: u64,
    findings: Vec<Finding>,
}

fn found(certificate: String, problem: SearchProblem) -> Finding {
    Finding {
        certificate,
        problem,
        orphan_row: None,
    }
}

/// The certificates `query` names (one id per row), each a finding of `problem`.
async fn certificates_found(
    conn: &mut AnyConnection,
    query: &str,
    problem: SearchProblem,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let ids: Vec<String> = sqlx::query_scalar(query).fetch_all(&mut *conn).await?;
    findings.extend(ids.into_iter().map(|id| found(id, problem)));
    Ok(())
}

/// SQLite: the documents against their certificates' rows.
async fn sqlite_pass(conn: &mut AnyConnection) -> Result<Pass> {
    let documents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certificate_fts")
        .fetch_one(&mut *conn)
        .await?;
    let mut findings = Vec::new();
    // Certificates without a document (the subquery is read once into a temporary index).
    certificates_found(
        conn,
        "SELECT c.id FROM certificates c WHERE c.id NOT IN \
         (SELECT certificate_id FROM certificate_fts WHERE certificate_id IS NOT NULL)",
        SearchProblem::Missing,
        &mut findings,
    )
    .await?;
    // Every document, joined to its certificate's rows by primary key: one naming no
    // certificate, or whose body or facets are not the ones the rows make.
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT f.rowid, COALESCE(CAST(f.certificate_id AS TEXT), ''), \
         CAST(c.id IS NULL AS INTEGER) \
         FROM certificate_fts f LEFT JOIN certificates c ON c.id = f.certificate_id \
         LEFT JOIN products p ON p.id = c.product_id \
         LEFT JOIN organisations o ON o.id = p.manufacturer_id \
         LEFT JOIN category_words w ON w.category = p.category \
         WHERE c.id IS NULL OR f.body IS NOT ({SQLITE_BODY}) \
         OR f.facets IS NOT ({SQLITE_FACETS})"
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (rowid, certificate, orphan) in rows {
        findings.push(if orphan == 1 {
            Finding {
                certificate,
                problem: SearchProblem::Orphan,
                orphan_row: Some(rowid),
            }
        } else {
            found(certificate, SearchProblem::Differs)
        });
    }
    certificates_found(
        conn,
        "SELECT CAST(certificate_id AS TEXT) FROM certificate_fts \
         WHERE certificate_id IN (SELECT id FROM certificates) \
         GROUP BY certificate_id HAVING COUNT(*) > 1",
        SearchProblem::Duplicate,
        &mut findings,
    )
    .await?;
    Ok(Pass {
        documents: u64::try_from(documents).unwrap_or(0),
        findings,
    })
}

/// SQLite: whether FTS5's index holds exactly the documents' words (FTS5's `integrity-check`
/// command). A corrupt index is a finding, not an error; any other failure is an error (never
/// read as sound). The command is an `INSERT`: it holds the database's write lock while it reads
/// the whole index (12.7 s at 1,000,000 labels), so it runs where the lock is held anyway (a
/// repair) or to confirm what [`sqlite_index_read_sound`] doubts.
async fn sqlite_index_sound(conn: &mut AnyConnection) -> Result<bool> {
    match sqlx::query("INSERT INTO certificate_fts (certificate_fts) VALUES ('integrity-check')")
        .execute(&mut *conn)
        .await
    {
        Ok(_) => Ok(true),
        // SQLITE_CORRUPT_VTAB (267) and SQLITE_CORRUPT (11): FTS5's verdict on its index.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("267" | "11")) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// SQLite: the same check without the write lock, in `conn`'s read transaction: `PRAGMA
/// integrity_check` of the table, which runs FTS5's check of its index as a reader. FTS5 keeps
/// the index's structure per connection and the pragma does not read it again (SQLite 3.46.0: a
/// connection that had read the table before another changed it reported "malformed inverted
/// index" for a sound one), so a query of the table first loads the snapshot's. Anything but
/// `ok` is confirmed by the command ([`sqlite_index_sound`]), whose verdict stands.
async fn sqlite_index_read_sound(conn: &mut AnyConnection) -> Result<bool> {
    let _: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT rowid FROM certificate_fts \
         WHERE certificate_fts MATCH 'keurmerk' LIMIT 1)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let said: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(certificate_fts)")
        .fetch_all(&mut *conn)
        .await?;
    Ok(said == ["ok"])
}

/// PostgreSQL: the certificates whose search document's kept hit (migration 0039) is not what
/// the view the triggers write it from makes, column by column (no kept row is a difference too).
pub(super) const HITS_NOT_KEPT: &str = "SELECT s.certificate_id FROM certificate_search s \
     LEFT JOIN certificate_search_hits h ON h.seq = s.seq \
     LEFT JOIN certificate_search_hit_rows v ON v.certificate_id = s.certificate_id \
     WHERE ROW(h.*) IS DISTINCT FROM ROW(s.seq, v.*)";

/// PostgreSQL: the documents against `certificate_search_doc` (the function the triggers call),
/// the states kept beside them against the certificates', and the rows kept for their hits
/// against `certificate_search_hit_rows` (the view the triggers write them from).
/// `certificate_id` is unique and references `certificates`, so a document can be neither a
/// duplicate nor an orphan.
async fn postgres_pass(conn: &mut AnyConnection) -> Result<Pass> {
    let documents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certificate_search")
        .fetch_one(&mut *conn)
        .await?;
    let mut findings = Vec::new();
    let queries = [
        (
            "SELECT c.id FROM certificates c WHERE NOT EXISTS \
             (SELECT 1 FROM certificate_search s WHERE s.certificate_id = c.id)",
            SearchProblem::Missing,
        ),
        (
            "SELECT s.certificate_id FROM certificate_search s \
             WHERE s.doc IS DISTINCT FROM certificate_search_doc(s.certificate_id)",
            SearchProblem::Differs,
        ),
        (
            "SELECT s.certificate_id FROM certificate_search s \
             JOIN certificates c ON c.id = s.certificate_id \
             LEFT JOIN certificate_search_states t ON t.seq = s.seq \
             WHERE t.state IS DISTINCT FROM c.state",
            SearchProblem::State,
        ),
        (HITS_NOT_KEPT, SearchProblem::Hit),
    ];
    for (query, problem) in queries {
        certificates_found(conn, query, problem, &mut findings).await?;
    }
    Ok(Pass {
        documents: u64::try_from(documents).unwrap_or(0),
        findings,
    })
}

impl SqlStore {
    /// [`crate::SearchStore::verify_search`]: a check, and (with `repair`) when it finds
    /// something to repair, the repair of what it found (so writers are held off only then, and
    /// only while those certificates' documents are stored again).
    pub(super) async fn verify_search_documents(&self, repair: bool) -> Result<SearchCheck> {
        let (index_sound, pass) = self.check_search_documents().await?;
        let mut check = SearchCheck {
            index_sound,
            ..SearchCheck::default()
        };
        if repair && !(index_sound && pass.findings.is_empty()) {
            (check.repaired, check.rebuilt) = self
                .repair_search_documents(index_sound, &pass.findings)
                .await?;
        }
        Ok(reported(check, pass))
    }

    /// The check, on one connection of the pool: on SQLite in one read transaction (one
    /// snapshot, writers go on); on PostgreSQL each finding from one statement. Whether the
    /// index is sound, and the pass.
    async fn check_search_documents(&self) -> Result<(bool, Pass)> {
        use sqlx::Connection as _;
        let mut conn = self.pool.acquire().await?;
        Ok(match self.backend() {
            Backend::Sqlite => {
                let mut read = conn.begin().await?;
                let sound = sqlite_index_read_sound(&mut read).await?;
                let pass = sqlite_pass(&mut read).await?;
                read.commit().await?;
                // A doubt is confirmed (or not) by FTS5's command, under the write lock.
                let sound = sound || sqlite_index_sound(&mut conn).await?;
                (sound, pass)
            }
            Backend::Postgres => (true, postgres_pass(&mut conn).await?),
        })
    }

    /// The repair of what a check found, in one write transaction that holds off other writers:
    /// an unsound index rebuilt (SQLite), and each certificate found stored again from its rows
    /// as they are inside the transaction (one found sound again meanwhile is stored again all
    /// the same: the same document, the newest). A difference made after the check is left to
    /// the next one. Returns the certificates stored again and whether the index was rebuilt.
    async fn repair_search_documents(
        &self,
        index_sound: bool,
        findings: &[Finding],
    ) -> Result<(u64, bool)> {
        let mut w = self.write().await?;
        let conn: &mut AnyConnection = &mut w.tx;
        let mut rebuilt = false;
        let repaired = match self.backend() {
            Backend::Sqlite => {
                if !index_sound {
                    sqlx::query("INSERT INTO certificate_fts (certificate_fts) VALUES ('rebuild')")
                        .execute(&mut *conn)
                        .await?;
                    rebuilt = true;
                }
                sqlite_repair(conn, findings).await?
            }
            Backend::Postgres => {
                // Writers wait (readers go on): none can change a certificate's state or its
                // product's image between its document and hit read from the rows and the
                // commit.
                sqlx::query("LOCK TABLE certificates, product_images IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *conn)
                    .await?;
                // A transaction id before any `seq` is drawn, as the insert trigger's
                // transaction has one (its certificate's row): a reading of the words that finds
                // a `seq` of this transaction missing waits for it (`read_postgres`).
                sqlx::query("SELECT CAST(pg_current_xact_id() AS TEXT)")
                    .execute(&mut *conn)
                    .await?;
                postgres_repair(conn, findings).await?
            }
        };
        // Every reading of the words in memory made before this no longer describes the
        // documents (`WordIndex::describes`): searches ask the full-text index until it is read
        // again.
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('search_repairs', 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
        )
        .execute(&mut *conn)
        .await?;
        w.commit().await?;
        Ok((repaired, rebuilt))
    }
}

/// `check` with a pass's documents and differences (the first [`SEARCH_DIFFERENCES_LISTED`] by
/// certificate, all counted).
fn reported(mut check: SearchCheck, pass: Pass) -> SearchCheck {
    check.documents = pass.documents;
    check.different = pass.findings.len() as u64;
    let mut listed: Vec<SearchDifference> = pass
        .findings
        .into_iter()
        .map(|f| SearchDifference {
            certificate: f.certificate,
            problem: f.problem,
        })
        .collect();
    listed.sort_by(|a, b| (&a.certificate, a.problem).cmp(&(&b.certificate, b.problem)));
    listed.truncate(SEARCH_DIFFERENCES_LISTED);
    check.differences = listed;
    check
}

/// The certificates whose documents are stored again: every one a finding names, orphans aside.
fn to_store_again(findings: &[Finding]) -> BTreeSet<&str> {
    findings
        .iter()
        .filter(|f| f.problem != SearchProblem::Orphan)
        .map(|f| f.certificate.as_str())
        .collect()
}

/// SQLite: each certificate of `findings` gets one new document above every rowid there is, then
/// its old ones are deleted (so a reading of the words in memory that covered an old one finds
/// its number gone); a document found naming no certificate is deleted if it still names none.
/// Returns the certificates stored again.
async fn sqlite_repair(conn: &mut AnyConnection, findings: &[Finding]) -> Result<u64> {
    let again = to_store_again(findings);
    let orphans: Vec<i64> = findings.iter().filter_map(|f| f.orphan_row).collect();
    let mut old: HashMap<String, Vec<i64>> = HashMap::new();
    if !again.is_empty() {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT rowid, CAST(certificate_id AS TEXT) FROM certificate_fts \
             WHERE certificate_id IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        for (rowid, id) in rows {
            if again.contains(id.as_str()) {
                old.entry(id).or_default().push(rowid);
            }
        }
    }
    let mut next: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(rowid), 0) AS INTEGER) FROM certificate_fts")
            .fetch_one(&mut *conn)
            .await?;
    let insert = format!(
        "INSERT INTO certificate_fts (rowid, certificate_id, body, facets) \
         SELECT $1, c.id, {SQLITE_BODY}, {SQLITE_FACETS} FROM certificates c {SQLITE_ROWS} \
         WHERE c.id = $2"
    );
    for id in &again {
        next += 1;
        let stored = sqlx::query(&insert)
            .bind(next)
            .bind(*id)
            .execute(&mut *conn)
            .await?;
        if stored.rows_affected() != 1 {
            return Err(StoreError::Corrupt {
                what: "search document",
                detail: format!("{id}: its product or manufacturer is missing"),
            });
        }
        for rowid in old.get(*id).into_iter().flatten() {
            sqlx::query("DELETE FROM certificate_fts WHERE rowid = $1")
                .bind(*rowid)
                .execute(&mut *conn)
                .await?;
        }
    }
    // A document found naming no certificate is deleted if it still names none.
    for rowid in orphans {
        sqlx::query(
            "DELETE FROM certificate_fts WHERE rowid = $1 AND (certificate_id IS NULL \
             OR certificate_id NOT IN (SELECT id FROM certificates))",
        )
        .bind(rowid)
        .execute(&mut *conn)
        .await?;
    }
    Ok(again.len() as u64)
}

/// PostgreSQL: each certificate of `findings` gets its documents deleted (its kept state and hit
/// with them) and one new document, with a new `seq`, written as the insert trigger writes it.
/// Returns the certificates stored again.
async fn postgres_repair(conn: &mut AnyConnection, findings: &[Finding]) -> Result<u64> {
    let again = to_store_again(findings);
    for id in &again {
        sqlx::query("DELETE FROM certificate_search WHERE certificate_id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
        // As the insert trigger writes them (migration 0040): the document, its kept state and
        // its kept hit, under a new `seq`; no row if there is no such certificate.
        let stored: Option<i64> = sqlx::query_scalar(
            "SELECT certificate_search_store(id, product_id, state) FROM certificates \
             WHERE id = $1",
        )
        .bind(*id)
        .fetch_optional(&mut *conn)
        .await?;
        if stored.is_none() {
            return Err(StoreError::Corrupt {
                what: "search document",
                detail: format!("{id}: there is no such certificate"),
            });
        }
    }
    Ok(again.len() as u64)
}

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    /// [`super::sqlite_index_read_sound`] in a read transaction of its own.
    async fn read_sound(conn: &mut sqlx::AnyConnection) -> bool {
        let mut tx = conn.begin().await.unwrap();
        let sound = super::sqlite_index_read_sound(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        sound
    }

    /// The reader's check of FTS5's index agrees with FTS5's command on a connection that read
    /// the table before another connection changed it (without the query that loads the
    /// snapshot's structure, SQLite 3.46.0's pragma called that index malformed), and finds an
    /// edit of the content table.
    #[tokio::test]
    async fn the_readers_index_check_sees_what_other_connections_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            super::SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
                .await
                .unwrap();
        let mut reader = store.pool().acquire().await.unwrap();
        let mut writer = store.pool().acquire().await.unwrap();
        for q in [
            "INSERT INTO certificate_fts (certificate_id, body, facets) \
             VALUES ('KM-1', 'cosy cam', 'i4b4d2d31')",
            "UPDATE certificate_fts SET body = 'forged words'",
            "INSERT INTO certificate_fts (certificate_id, body, facets) \
             VALUES ('KM-2', 'slimme deurbel', 'i4b4d2d32')",
            "DELETE FROM certificate_fts WHERE certificate_id = 'KM-1'",
        ] {
            assert!(read_sound(&mut reader).await, "before {q}");
            sqlx::query(q).execute(&mut *writer).await.unwrap();
            assert!(read_sound(&mut reader).await, "after {q}");
            assert!(super::sqlite_index_sound(&mut reader).await.unwrap());
        }
        sqlx::query("UPDATE certificate_fts_content SET c1 = 'other words'")
            .execute(&mut *writer)
            .await
            .unwrap();
        assert!(!read_sound(&mut reader).await);
        assert!(!super::sqlite_index_sound(&mut reader).await.unwrap());
    }
}
