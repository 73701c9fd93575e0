//! SQL rows of the label status read model (see [`crate::label_status`], migration 0021).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt as _;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::status::LabelStatus;

use super::certificates::{certificate_from_row, certificate_product_index};
use super::point::Point;
use super::products::product_from_cols;
use super::SqlStore;
use crate::codec::{
    get_i64, get_json, get_opt, get_opt_ts, get_str, get_ts, json, parse_json, parse_ts, ts, Cols,
};
use crate::label_status::{
    ListSlot, PageBody, ServedRule, StatusStore, StatusWithCertificate, StoredPage, StoredStatus,
};
use crate::{Result, StoreError};

fn word(what: &str, s: &str) -> Result<LabelStatus> {
    s.parse().map_err(|e| StoreError::Corrupt {
        what: "label status word",
        detail: format!("{what}: {e}"),
    })
}

/// Whether `t` has the one fixed-width form [`ts`] stores instants in
/// (`2026-12-06T14:20:00.000000Z`), in which text order is time order.
fn stored_instant(t: &str) -> bool {
    const FORM: &[u8; 27] = b"0000-00-00T00:00:00.000000Z";
    t.len() == FORM.len()
        && t.bytes().zip(FORM).all(|(c, f)| {
            if *f == b'0' {
                c.is_ascii_digit()
            } else {
                c == *f
            }
        })
}

/// A row of [`LIST_STATUSES`] as a slot, with its `stale_after` (as stored) when the slot has
/// the stored status.
fn list_slot(row: &(impl Cols + ?Sized)) -> (Result<ListSlot>, Option<String>) {
    let index = match get_i64(row, "idx").and_then(|i| {
        u64::try_from(i).map_err(|e| StoreError::Corrupt {
            what: "status index",
            detail: format!("{i}: {e}"),
        })
    }) {
        Ok(index) => index,
        Err(e) => return (Err(e), None),
    };
    // A word that is not a status is not trusted: the caller evaluates that one.
    // So is a row whose `stale_after` is not in the stored form (an edit by hand): the SQL
    // compared it as text, so it may read as current; evaluated, it is stored again whole.
    if get_i64(row, "ok").is_ok_and(|ok| ok == 1) {
        if let (Ok(Some(Ok(status))), Ok(stale)) = (
            row.text("word")
                .map(|w| w.as_deref().map(str::parse::<LabelStatus>)),
            row.text("stale_after"),
        ) {
            if stale.as_deref().is_none_or(stored_instant) {
                return (
                    Ok(ListSlot {
                        index,
                        status: Ok(status),
                    }),
                    stale,
                );
            }
        }
    }
    let slot = get_str(row, "id").and_then(|id| {
        id.parse().map_err(|e| StoreError::Corrupt {
            what: "certificate id",
            detail: format!("{id}: {e}"),
        })
    });
    (
        slot.map(|id| ListSlot {
            index,
            status: Err(id),
        }),
        None,
    )
}

/// Each certificate with a status index (every certificate has a row holding it, migration
/// 0031); its row's word when the row is current under the rule (`$1` policy, `$2` trust, `$3`
/// now: timestamps are stored in one fixed-width UTC form, so text order is time order). The
/// conditions are `readmodel::servable`'s (a row has a word only while it has a report,
/// migration 0031); on SQLite the index `label_status_list` holds every column read here, so no
/// row (nor its report) is visited.
const LIST_STATUSES: &str = "SELECT idx, certificate_id AS id, status AS word, stale_after, \
     CASE WHEN status IS NOT NULL AND policy = $1 AND trust = $2 \
          AND computed_at <= $3 AND (stale_after IS NULL OR stale_after > $3) \
     THEN 1 ELSE 0 END AS ok \
     FROM label_status WHERE idx IS NOT NULL";

fn status_from_row(row: &(impl Cols + ?Sized)) -> Result<StoredStatus> {
    Ok(StoredStatus {
        generation: get_i64(row, "gen")?,
        seq: get_i64(row, "seq")?,
        report: get_json(row, "report")?,
        computed_at: get_ts(row, "computed_at")?,
        stale_after: get_opt_ts(row, "stale_after")?,
        policy: get_str(row, "policy")?,
        trust: get_str(row, "trust")?,
    })
}

/// The stored status of a certificate (`$1`: the id). A row holds a report only while it is
/// folded from the certificate's last event (migration 0031's triggers and the guard of
/// `put_status`), so this is one primary-key read with no join.
const CURRENT_STATUS: &str = "SELECT gen, seq, report, computed_at, stale_after, policy, trust \
     FROM label_status WHERE certificate_id = $1 AND report IS NOT NULL";

/// [`CURRENT_STATUS`] with the certificate page's row of the same generation (migration 0032).
/// The status row, the page row of its generation, the certificate and its product: everything
/// a page view reads about the certificate, in one statement (one snapshot, one round trip).
const CURRENT_PAGE: &str = "SELECT s.gen, s.seq, s.report, s.computed_at, s.stale_after, \
     s.policy, s.trust, p.gen AS page_gen, p.trust AS page_trust, p.format AS page_format, \
     p.body AS page_body, c.*, pr.manufacturer_id, pr.name, pr.model, pr.category, pr.gtin, \
     pr.purl, pr.cpe, pr.created_at AS product_created_at, \
     (SELECT CAST(MIN(l.log_index) AS BIGINT) FROM log_entries l \
       WHERE l.event_seq = c.last_seq) AS last_log_index, \
     (SELECT a.verdicts FROM assessments a WHERE a.id = c.assessment_id) AS assessment_verdicts \
     FROM label_status s JOIN certificate_page p \
       ON p.certificate_id = s.certificate_id AND p.gen = s.gen \
     JOIN certificates c ON c.id = s.certificate_id \
     JOIN products pr ON pr.id = c.product_id \
     WHERE s.certificate_id = $1 AND s.report IS NOT NULL";

/// [`CURRENT_STATUS`] beside the certificate, its product and its status-list index: a signed
/// status response in one statement. The status row is joined only when it holds a report.
const STATUS_WITH_CERTIFICATE: &str = "SELECT s.gen, s.seq, s.report, s.computed_at, \
     s.stale_after, s.policy, s.trust, c.*, pr.manufacturer_id, pr.name, pr.model, pr.category, \
     pr.gtin, pr.purl, pr.cpe, pr.created_at AS product_created_at \
     FROM certificates c JOIN products pr ON pr.id = c.product_id \
     LEFT JOIN label_status s ON s.certificate_id = c.id AND s.report IS NOT NULL \
     WHERE c.id = $1";

fn page_from_row(row: &(impl Cols + ?Sized)) -> Result<(StoredStatus, StoredPage)> {
    Ok((
        status_from_row(row)?,
        StoredPage {
            generation: get_i64(row, "page_gen")?,
            trust: get_str(row, "page_trust")?,
            body: PageBody {
                format: get_str(row, "page_format")?,
                body: get_str(row, "page_body")?,
            },
            certificate: certificate_from_row(row)?,
            last_seq: get_i64(row, "last_seq")?,
            product: product_from_cols(row, "product_id", "product_created_at")?,
            last_log_index: row.int("last_log_index")?,
            // Unreadable verdicts are not the page's problem: `None`, and the service reads
            // the assessment itself (which then reports what is wrong with it).
            verdicts: get_opt(row, "assessment_verdicts")?
                .and_then(|v| parse_json("assessment_verdicts", &v).ok()),
        },
    ))
}

impl SqlStore {
    /// `put_status`'s guarded upsert and, when it stored the row, the page in the same
    /// transaction.
    async fn put_row(
        &self,
        id: &CertificateId,
        s: &StoredStatus,
        page: Option<&PageBody>,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        // Two guards. The SELECT stores nothing unless `seq` is the certificate's current last
        // event; the WHERE of the upsert refuses a row if a trigger bumped `gen` after the
        // caller read it (an input changed, so this report may be stale).
        let done = sqlx::query(
            "INSERT INTO label_status \
                 (certificate_id, gen, seq, report, computed_at, stale_after, policy, trust, \
                  status, idx) \
             SELECT c.id, $2, $3, $4, $5, $6, $7, $8, $9, c.status_index FROM certificates c \
             WHERE c.id = $1 AND c.last_seq = $3 \
             ON CONFLICT (certificate_id) DO UPDATE SET seq = excluded.seq, \
                 report = excluded.report, computed_at = excluded.computed_at, \
                 stale_after = excluded.stale_after, policy = excluded.policy, \
                 trust = excluded.trust, status = excluded.status \
             WHERE label_status.gen = excluded.gen",
        )
        .bind(id.to_string())
        .bind(s.generation)
        .bind(s.seq)
        .bind(json(&s.report)?)
        .bind(ts(s.computed_at))
        .bind(s.stale_after.map(ts))
        .bind(s.policy.clone())
        .bind(s.trust.clone())
        .bind(s.report.status.as_str())
        .execute(&mut *w.tx)
        .await?;
        let stored = done.rows_affected() == 1;
        if let (true, Some(page)) = (stored, page) {
            // Under the generation just checked; the row's own `gen` is taken so that a page
            // can never name one its status row does not have.
            sqlx::query(
                "INSERT INTO certificate_page (certificate_id, gen, trust, format, body) \
                 SELECT s.certificate_id, s.gen, $3, $4, $5 FROM label_status s \
                 WHERE s.certificate_id = $1 AND s.gen = $2 \
                 ON CONFLICT (certificate_id) DO UPDATE SET gen = excluded.gen, \
                     trust = excluded.trust, format = excluded.format, body = excluded.body",
            )
            .bind(id.to_string())
            .bind(s.generation)
            .bind(s.trust.clone())
            .bind(page.format.clone())
            .bind(page.body.clone())
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await?;
        Ok(stored)
    }
}

#[async_trait]
impl StatusStore for SqlStore {
    async fn current_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>> {
        // The QR hot path on SQLite: one indexed read on this thread (ADR 0020).
        self.row_by_key(CURRENT_STATUS, id.as_str(), |r| status_from_row(r))
            .await
    }

    async fn current_statuses(&self, ids: &[CertificateId]) -> Result<Vec<StoredStatus>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT gen, seq, report, computed_at, stale_after, policy, trust \
             FROM label_status WHERE certificate_id IN ({}) AND report IS NOT NULL",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(status_from_row).collect()
    }

    async fn status_generation(&self, id: &CertificateId) -> Result<i64> {
        let generation: Option<i64> =
            sqlx::query_scalar("SELECT gen FROM label_status WHERE certificate_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(generation.unwrap_or(0))
    }

    async fn put_status(&self, id: &CertificateId, s: &StoredStatus) -> Result<bool> {
        self.put_row(id, s, None).await
    }

    async fn put_status_and_page(
        &self,
        id: &CertificateId,
        s: &StoredStatus,
        page: &PageBody,
    ) -> Result<bool> {
        self.put_row(id, s, Some(page)).await
    }

    async fn current_page(&self, id: &CertificateId) -> Result<Option<(StoredStatus, StoredPage)>> {
        self.row_by_key(CURRENT_PAGE, id.as_str(), |r| page_from_row(r))
            .await
    }

    async fn status_with_certificate(
        &self,
        id: &CertificateId,
    ) -> Result<Option<StatusWithCertificate>> {
        self.row_by_key(STATUS_WITH_CERTIFICATE, id.as_str(), |r| {
            // `gen` is NOT NULL in every status row, so NULL only where the join found none
            // (and reading it does not copy the report).
            let status = match r.int("gen")? {
                Some(_) => Some(status_from_row(r)?),
                None => None,
            };
            let (certificate, product, index) = certificate_product_index(r)?;
            Ok((status, certificate, product, index))
        })
        .await
    }

    async fn clear_status(&self, id: &CertificateId) -> Result<()> {
        let mut w = self.write().await?;
        // The index is taken from the certificate again (what `certificate verify --repair`
        // relies on for a row edited by hand), from any other row that took it by hand first:
        // one label per index (migration 0044); that row gets its own back when its
        // certificate is repaired, and until then its label is not in the list (not valid).
        sqlx::query(
            "UPDATE label_status SET idx = NULL WHERE certificate_id <> $1 \
             AND idx = (SELECT c.status_index FROM certificates c WHERE c.id = $1)",
        )
        .bind(id.to_string())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "UPDATE label_status SET report = NULL, \
             idx = (SELECT c.status_index FROM certificates c WHERE c.id = $1) \
             WHERE certificate_id = $1",
        )
        .bind(id.to_string())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM certificate_page WHERE certificate_id = $1")
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }

    async fn status_word(&self, id: &CertificateId) -> Result<Option<LabelStatus>> {
        let w: Option<Option<String>> =
            sqlx::query_scalar("SELECT status FROM label_status WHERE certificate_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        w.flatten().map(|w| word(id.as_str(), &w)).transpose()
    }

    async fn status_list_index(&self, id: &CertificateId) -> Result<Option<i64>> {
        let idx: Option<Option<i64>> =
            sqlx::query_scalar("SELECT idx FROM label_status WHERE certificate_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(idx.flatten())
    }

    async fn list_statuses(
        &self,
        rule: &ServedRule,
        each: &mut (dyn FnMut(Result<ListSlot>) -> Result<()> + Send),
    ) -> Result<Option<DateTime<Utc>>> {
        let params = vec![rule.policy.clone(), rule.trust.clone(), ts(rule.now)];
        // Timestamps are stored in one fixed-width UTC form: text order is time order, so the
        // earliest is kept as text and parsed once.
        let mut earliest: Option<String> = None;
        let mut handed = |(slot, stale): (Result<ListSlot>, Option<String>)| {
            if let Some(t) = stale {
                // Parsed only when it is a new earliest: an instant of the stored form that is
                // no date (a month 13, by hand) is not taken, rather than failing the list.
                if earliest.as_ref().is_none_or(|e| t < *e) {
                    match parse_ts("label_status.stale_after", &t) {
                        Ok(_) => earliest = Some(t),
                        Err(e) => tracing::warn!(error = %e, "a stored status's end not read"),
                    }
                }
            }
            each(slot)
        };
        let mut scanned = false;
        // SQLite: a million rows decoded on a blocking thread straight from the file (ADR 0020),
        // not handed one by one from sqlx's worker.
        if let Some(point) = &self.point {
            if let Point::Done(()) = point
                .scan(
                    LIST_STATUSES,
                    params.clone(),
                    |r| Ok(list_slot(r)),
                    &mut handed,
                )
                .await?
            {
                scanned = true;
            }
        }
        if !scanned {
            let mut rows = sqlx::query(LIST_STATUSES)
                .bind(params[0].clone())
                .bind(params[1].clone())
                .bind(params[2].clone())
                .fetch(&self.pool);
            while let Some(row) = rows.try_next().await? {
                handed(list_slot(&row))?;
            }
        }
        earliest
            .map(|t| parse_ts("label_status.stale_after", &t))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Executor as _;

    /// A `label_status` row: certificate, generation, report, word, index.
    type Row = (String, i64, Option<String>, Option<String>, Option<i64>);

    /// Migration 0031 on rows stored before it: a report the old join would not have served
    /// (folded from another event, or of no certificate) is cleared, every certificate gets a
    /// row, and every row its certificate's index.
    #[tokio::test]
    async fn migration_0031_keeps_only_what_the_join_served() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool_before(dir.path(), 31).await;
        pool.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        for (id, last, idx) in [
            ("KM-A", 5, 0),
            ("KM-B", 7, 1),
            ("KM-C", 9, 2),
            ("KM-D", 4, 3),
            ("KM-E", 3, 4),
        ] {
            sqlx::query(
                "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
                 issuer_id, issuer_kind, assessment_id, issued_at, valid_until, state, last_seq, \
                 status_index) VALUES ($1, 'p', 'h', 's', 'l', 'i', 'k', 'a', 't', 'v', \
                 'active', $2, $3)",
            )
            .bind(id)
            .bind(last)
            .bind(idx)
            .execute(&pool)
            .await
            .unwrap();
        }
        // A: current; B: folded from an older event; Z: no certificate; C: no row; D: stored
        // before the word existed; E: a word without a report.
        for (id, seq, report, word) in [
            ("KM-A", 5, Some("r"), Some("valid")),
            ("KM-B", 6, Some("r"), Some("valid")),
            ("KM-Z", 1, Some("r"), Some("valid")),
            ("KM-D", 4, Some("r"), None),
            ("KM-E", 3, None, Some("valid")),
        ] {
            sqlx::query(
                "INSERT INTO label_status (certificate_id, gen, seq, report, status) \
                 VALUES ($1, 3, $2, $3, $4)",
            )
            .bind(id)
            .bind(seq)
            .bind(report)
            .bind(word)
            .execute(&pool)
            .await
            .unwrap();
        }
        super::super::SQLITE_MIGRATIONS.run(&pool).await.unwrap();
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT certificate_id, gen, report, status, idx FROM label_status \
                 ORDER BY certificate_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let kept = (Some("r".to_owned()), Some("valid".to_owned()));
        assert_eq!(
            rows,
            vec![
                ("KM-A".into(), 3, kept.0, kept.1, Some(0)),
                ("KM-B".into(), 4, None, None, Some(1)),
                ("KM-C".into(), 1, None, None, Some(2)),
                ("KM-D".into(), 4, None, None, Some(3)),
                ("KM-E".into(), 3, None, None, Some(4)),
                ("KM-Z".into(), 4, None, None, None),
            ]
        );
        // From now on a word never outlives its report, nor is set without one.
        pool.execute("UPDATE label_status SET report = NULL WHERE certificate_id = 'KM-A'")
            .await
            .unwrap();
        pool.execute("UPDATE label_status SET status = 'valid' WHERE certificate_id = 'KM-B'")
            .await
            .unwrap();
        let words: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM label_status WHERE status IS NOT NULL")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(words, 0);
        // The list's pass reads the index alone, never a row.
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", super::LIST_STATUSES))
                .bind("p")
                .bind("t")
                .bind("n")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.3.contains("COVERING INDEX label_status_list")),
            "{plan:?}"
        );
    }

    /// Migration 0044 on rows edited by hand before it: every row takes its certificate's index
    /// again (a row of no certificate none), so two rows at one index cannot stop the unique
    /// index; from then on the database refuses a second row at an index.
    #[tokio::test]
    async fn migration_0044_takes_each_index_from_its_certificate_then_keeps_one_per_index() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool_before(dir.path(), 44).await;
        pool.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        for (id, idx) in [("KM-A", 0), ("KM-B", 1), ("KM-C", 2)] {
            sqlx::query(
                "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
                 issuer_id, issuer_kind, assessment_id, issued_at, valid_until, state, last_seq, \
                 status_index) VALUES ($1, 'p', 'h', 's', 'l', 'i', 'k', 'a', 't', 'v', \
                 'active', 1, $2)",
            )
            .bind(id)
            .bind(idx)
            .execute(&pool)
            .await
            .unwrap();
        }
        let again = edited_then_migrated(&pool, &super::super::SQLITE_MIGRATIONS).await;
        assert!(again.contains("UNIQUE"), "{again}");
        // Rows without an index are many.
        pool.execute("UPDATE label_status SET idx = NULL WHERE certificate_id IN ('KM-A', 'KM-B')")
            .await
            .unwrap();
    }

    /// [`migration_0044_takes_each_index_from_its_certificate_then_keeps_one_per_index`] on
    /// PostgreSQL, whose statement differs (`IS DISTINCT FROM`).
    #[tokio::test]
    async fn migration_0044_takes_each_index_from_its_certificate_on_postgres() {
        use super::super::search::tests::{pg_certificate, pg_product, pg_registry_before};

        let Some((pool, schema)) = pg_registry_before(44, 1).await else {
            return;
        };
        for (n, idx) in [("A", 0), ("B", 1), ("C", 2)] {
            let (id, product) = (format!("KM-{n}"), format!("PRD-{n}"));
            pg_product(&pool, &product, "m1", "Slimme deurbel", "router").await;
            pg_certificate(&pool, &id, &product, "eu-iot", "basic").await;
            sqlx::query("UPDATE certificates SET status_index = $1 WHERE id = $2")
                .bind(idx)
                .bind(&id)
                .execute(&pool)
                .await
                .unwrap();
        }
        let again = edited_then_migrated(&pool, &super::super::POSTGRES_MIGRATIONS).await;
        assert!(again.contains("label_status_one_per_index"), "{again}");
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// Migration 0047 on a registry with a software list stored before records existed: the
    /// list is left without a record (so its version reads as not monitored) and the stored
    /// status of every certificate of its product is cleared, so none is served as it was
    /// folded when any list counted; a certificate of another product keeps its stored status.
    #[tokio::test]
    async fn migration_0047_clears_the_statuses_that_counted_an_unrecorded_list() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool_before(dir.path(), 47).await;
        pool.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        for (id, product) in [("KM-A", "PRD-A"), ("KM-B", "PRD-B")] {
            sqlx::query(
                "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
                 issuer_id, issuer_kind, assessment_id, issued_at, valid_until, state, last_seq) \
                 VALUES ($1, $2, 'h', 's', 'l', 'i', 'k', 'a', 't', 'v', 'active', 1)",
            )
            .bind(id)
            .bind(product)
            .execute(&pool)
            .await
            .unwrap();
        }
        unrecorded_list_then_migrated(&pool, &super::super::SQLITE_MIGRATIONS).await;
    }

    /// [`migration_0047_clears_the_statuses_that_counted_an_unrecorded_list`] on PostgreSQL,
    /// whose trigger is its own function.
    #[tokio::test]
    async fn migration_0047_clears_the_statuses_that_counted_an_unrecorded_list_on_postgres() {
        use super::super::search::tests::{pg_certificate, pg_product, pg_registry_before};

        let Some((pool, schema)) = pg_registry_before(47, 1).await else {
            return;
        };
        for (id, product) in [("KM-A", "PRD-A"), ("KM-B", "PRD-B")] {
            pg_product(&pool, product, "m1", "Slimme deurbel", "router").await;
            pg_certificate(&pool, id, product, "eu-iot", "basic").await;
        }
        unrecorded_list_then_migrated(&pool, &super::super::POSTGRES_MIGRATIONS).await;
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// Both migration 0047 tests, on certificates KM-A (of PRD-A) and KM-B (of PRD-B): a list
    /// for PRD-A's version and a stored status for both, then every migration.
    async fn unrecorded_list_then_migrated(pool: &sqlx::AnyPool, all: &sqlx::migrate::Migrator) {
        for edit in [
            "INSERT INTO product_versions (id, product_id, version, released_on, security_update) \
             VALUES ('VER-A', 'PRD-A', '1.0', '2026-01-01', 0)",
            "UPDATE label_status SET seq = 1, report = '{}', computed_at = 't'",
        ] {
            pool.execute(edit).await.unwrap();
        }
        sqlx::query(
            "INSERT INTO sboms (version_id, name, format, document, uploaded_at) \
             VALUES ('VER-A', 'bom.json', 'CycloneDxJson', $1, 't')",
        )
        .bind(b"{}".to_vec())
        .execute(pool)
        .await
        .unwrap();
        pool.execute("UPDATE label_status SET report = '{}'")
            .await
            .unwrap();
        let gens = || async {
            sqlx::query_as::<_, (String, i64, Option<String>)>(
                "SELECT certificate_id, gen, report FROM label_status ORDER BY certificate_id",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        };
        let before = gens().await;
        assert!(before.iter().all(|r| r.2.is_some()), "{before:?}");
        all.run(pool).await.unwrap();
        let after = gens().await;
        assert_eq!(after[0].0, "KM-A");
        assert!(
            after[0].1 > before[0].1 && after[0].2.is_none(),
            "{after:?}"
        );
        assert_eq!(after[1], before[1], "{after:?}");
        let record: Option<Vec<u8>> = sqlx::query_scalar("SELECT record FROM sboms")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(record, None);
    }

    /// The edits both migration 0044 tests make before it, on certificates KM-A, KM-B and KM-C
    /// at indices 0, 1 and 2 (A moved onto B's index, C below zero, Z of no certificate onto
    /// A's); then every migration, the rows' indices checked, and the error of a second row
    /// moved onto an index.
    async fn edited_then_migrated(pool: &sqlx::AnyPool, all: &sqlx::migrate::Migrator) -> String {
        for edit in [
            "UPDATE label_status SET idx = 1 WHERE certificate_id = 'KM-A'",
            "UPDATE label_status SET idx = -3 WHERE certificate_id = 'KM-C'",
            "INSERT INTO label_status (certificate_id, gen, idx) VALUES ('KM-Z', 1, 0)",
        ] {
            pool.execute(edit).await.unwrap();
        }
        all.run(pool).await.unwrap();
        let rows: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT certificate_id, idx FROM label_status ORDER BY certificate_id")
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![
                ("KM-A".into(), Some(0)),
                ("KM-B".into(), Some(1)),
                ("KM-C".into(), Some(2)),
                ("KM-Z".into(), None),
            ]
        );
        pool.execute("UPDATE label_status SET idx = 1 WHERE certificate_id = 'KM-A'")
            .await
            .unwrap_err()
            .to_string()
    }
}
