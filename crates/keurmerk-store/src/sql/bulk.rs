//! SQL of [`crate::bulk::BulkStore`]: one transaction, multi-row inserts (see ADR 0019).

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{Any, Transaction};

use super::{Backend, SqlStore};
use crate::bulk::{BulkBatch, BulkSbom, BulkStore};
use crate::codec::{date, json, ts};
use crate::{Result, StoreError};

/// One bound value of a multi-row insert.
enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Blob(Vec<u8>),
}

fn text(s: impl ToString) -> Val {
    Val::Text(s.to_string())
}

/// Most bound values per statement on PostgreSQL (its limit is 65,535).
const MAX_VALUES: usize = 8_000;
/// Most bound values per statement on SQLite (its limit is 32,766). Far lower, because binding
/// `$N` parameters costs time linear in the statement's parameter count per value (SQLite looks
/// each name up in a list): at 8,000 values per statement, binding was 70% of seeding's CPU time.
/// Equal-sized chunks also share one cached prepared statement.
const MAX_VALUES_SQLITE: usize = 400;

/// Inserts `rows` (each `cols` values) with as few statements as the bind limit allows.
/// `head` is `INSERT INTO t (a, b, …)`; `tail` follows the `VALUES` list.
async fn insert_rows(
    tx: &mut Transaction<'static, Any>,
    head: &str,
    tail: &str,
    cols: usize,
    rows: Vec<Vec<Val>>,
) -> Result<()> {
    insert_chunks(tx, head, tail, cols, rows, false).await?;
    Ok(())
}

/// [`insert_rows`] whose `tail` holds a `RETURNING` clause: the rows it returns, in no promised
/// order.
async fn insert_rows_returning(
    tx: &mut Transaction<'static, Any>,
    head: &str,
    tail: &str,
    cols: usize,
    rows: Vec<Vec<Val>>,
) -> Result<Vec<sqlx::any::AnyRow>> {
    insert_chunks(tx, head, tail, cols, rows, true).await
}

async fn insert_chunks(
    tx: &mut Transaction<'static, Any>,
    head: &str,
    tail: &str,
    cols: usize,
    rows: Vec<Vec<Val>>,
    returning: bool,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::new();
    let max = if tx.backend_name().eq_ignore_ascii_case("sqlite") {
        MAX_VALUES_SQLITE
    } else {
        MAX_VALUES
    };
    let per = (max / cols).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let mut sql = String::with_capacity(head.len() + chunk.len() * cols * 6);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (r, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), cols);
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                sql.push('$');
                sql.push_str(&n.to_string());
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::OptText(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::Blob(b) => q.bind(b),
                };
            }
        }
        if returning {
            out.extend(q.fetch_all(&mut **tx).await?);
        } else {
            q.execute(&mut **tx).await?;
        }
    }
    Ok(out)
}

fn to_i64(what: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt {
        what,
        detail: v.to_string(),
    })
}

/// Moves each counter from the value the batch was numbered from, or fails (nothing written).
async fn move_counters(tx: &mut Transaction<'static, Any>, b: &BulkBatch) -> Result<()> {
    for c in &b.counters {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind(c.name.clone())
        .execute(&mut **tx)
        .await?;
        let done = sqlx::query("UPDATE counters SET value = $1 WHERE name = $2 AND value = $3")
            .bind(to_i64("counter", c.to)?)
            .bind(c.name.clone())
            .bind(to_i64("counter", c.from)?)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                what: "counter",
                id: c.name.clone(),
            });
        }
    }
    Ok(())
}

/// Takes `n` consecutive values of a counter that hands out "the next one" (`status_index`),
/// returning the first.
async fn take_range(tx: &mut Transaction<'static, Any>, name: &str, n: i64) -> Result<i64> {
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value",
    )
    .bind(name.to_owned())
    .bind(n)
    .fetch_one(&mut **tx)
    .await?;
    Ok(next - n)
}

async fn write_records(tx: &mut Transaction<'static, Any>, b: &BulkBatch) -> Result<()> {
    insert_rows(
        tx,
        "INSERT INTO products (id, manufacturer_id, name, model, category, gtin, purl, cpe, created_at)",
        "",
        9,
        b.products
            .iter()
            .map(|p| {
                vec![
                    text(&p.id),
                    text(&p.manufacturer),
                    text(&p.name),
                    text(&p.model),
                    text(p.category.as_str()),
                    Val::OptText(p.identifiers.gtin.clone()),
                    Val::OptText(p.identifiers.purl.clone()),
                    Val::OptText(p.identifiers.cpe.clone()),
                    Val::Text(ts(p.created_at)),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO product_versions (id, product_id, version, released_on, security_update, notes)",
        "",
        6,
        b.versions
            .iter()
            .map(|v| {
                vec![
                    text(&v.id),
                    text(&v.product),
                    text(&v.version),
                    Val::Text(date(v.released_on)),
                    Val::Int(i64::from(v.security_update)),
                    Val::OptText(v.notes.clone()),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO support_commitments (product_id, support_until, update_policy, \
         vulnerability_contact, disclosure_policy_url, password_setup, updates_url)",
        "",
        7,
        b.support
            .iter()
            .map(|(p, s)| {
                vec![
                    text(p),
                    Val::Text(date(s.support_until)),
                    text(s.update_policy.as_str()),
                    text(&s.vulnerability_contact),
                    Val::OptText(s.disclosure_policy_url.clone()),
                    Val::OptText(s.password.map(|p| p.as_str().to_owned())),
                    Val::OptText(s.updates_url.clone()),
                ]
            })
            .collect(),
    )
    .await?;
    let mut sboms = Vec::new();
    let mut components = Vec::new();
    for s in &b.sboms {
        sboms.push(vec![
            text(&s.version),
            text(&s.name),
            text(&s.format),
            Val::Blob(s.document.to_vec()),
            Val::Text(ts(s.uploaded_at)),
            Val::Blob(s.record.to_vec()),
            Val::Text(s.sha256.to_string()),
        ]);
        for c in &s.components {
            components.push(vec![
                text(&s.version),
                Val::Int(c.idx),
                text(&c.pkg_key),
                text(&c.purl),
                text(&c.version),
            ]);
        }
    }
    insert_rows(
        tx,
        "INSERT INTO sboms (version_id, name, format, document, uploaded_at, record, sha256)",
        "",
        7,
        sboms,
    )
    .await?;
    // Each list's signed record is queued for the log as `put_sbom` queues it, and
    // `software_list_records` names the queue row it took (each record names its version, so
    // its bytes tell which list a returned row is).
    let mut of_record: HashMap<&[u8], &BulkSbom> = HashMap::with_capacity(b.sboms.len());
    let mut records = Vec::with_capacity(b.sboms.len());
    for s in &b.sboms {
        if of_record.insert(&s.record, s).is_some() {
            return Err(StoreError::Corrupt {
                what: "bulk software list record",
                detail: format!("the record of {} is given twice", s.version),
            });
        }
        records.push(vec![
            Val::Int(0),
            Val::Blob(s.record.to_vec()),
            Val::Text(ts(s.uploaded_at)),
        ]);
    }
    let queued = insert_rows_returning(
        tx,
        "INSERT INTO log_queue (event_seq, entry, queued_at)",
        "RETURNING id, entry",
        3,
        records,
    )
    .await?;
    if queued.len() != b.sboms.len() {
        return Err(StoreError::Corrupt {
            what: "bulk software list records",
            detail: format!("{} queued for {} lists", queued.len(), b.sboms.len()),
        });
    }
    let mut named = Vec::with_capacity(queued.len());
    for row in &queued {
        use sqlx::Row;
        let id: i64 = row.try_get("id")?;
        let entry: Vec<u8> = row.try_get("entry")?;
        let s = of_record
            .get(entry.as_slice())
            .ok_or_else(|| StoreError::Corrupt {
                what: "bulk software list record",
                detail: format!("queue row {id} holds no record of this batch"),
            })?;
        named.push(vec![
            Val::Int(id),
            text(&s.version),
            Val::Text(ts(s.uploaded_at)),
        ]);
    }
    insert_rows(
        tx,
        "INSERT INTO software_list_records (queue_id, version_id, recorded_at)",
        "",
        3,
        named,
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO sbom_components (version_id, idx, pkg_key, purl, version)",
        "",
        5,
        components,
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO dependencies (id, product_id, kind, provider, service, certificate_id)",
        "",
        6,
        b.dependencies
            .iter()
            .map(|d| {
                vec![
                    text(&d.id),
                    text(&d.product),
                    text(d.kind.as_str()),
                    text(&d.provider),
                    text(&d.service),
                    Val::OptText(d.certificate.as_ref().map(ToString::to_string)),
                ]
            })
            .collect(),
    )
    .await?;
    let mut assessments = Vec::new();
    for a in &b.assessments {
        assessments.push(vec![
            text(&a.id),
            text(&a.product),
            text(&a.version),
            text(&a.scheme),
            text(&a.level),
            text(&a.assessor),
            text(a.assessor_kind.as_str()),
            Val::Text(json(&a.verdicts)?),
            Val::Text(json(&a.evidence)?),
            Val::Text(ts(a.assessed_at)),
            Val::Int(i64::from(a.passed)),
            Val::OptText(a.approved_by.as_ref().map(ToString::to_string)),
        ]);
    }
    insert_rows(
        tx,
        "INSERT INTO assessments (id, product_id, version_id, scheme_id, level_id, assessor_id, \
         assessor_kind, verdicts, evidence, assessed_at, passed, approved_by)",
        "",
        12,
        assessments,
    )
    .await
}

async fn write_certificates(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    b: &BulkBatch,
) -> Result<()> {
    if b.certificates.is_empty() {
        return Ok(());
    }
    if backend == Backend::Postgres {
        // Event numbers are taken below from MAX(seq): no other writer may append meanwhile
        // (readers are not blocked). SQLite's write lock already gives this.
        sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
    }
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
        .fetch_one(&mut **tx)
        .await?;
    // The service numbered the events (a report may name them) after the last one it saw.
    if last != b.events_after {
        return Err(StoreError::Conflict {
            what: "event sequence",
            id: format!("{last} (the batch was numbered after {})", b.events_after),
        });
    }
    let count = i64::try_from(b.certificates.len()).unwrap_or(i64::MAX);
    let first_index = take_range(tx, "status_index", count).await?;
    let mut seq = last;
    let mut certs = Vec::new();
    let mut events = Vec::new();
    let mut queue = Vec::new();
    let mut statuses = Vec::new();
    let mut pages = Vec::new();
    for (k, c) in b.certificates.iter().enumerate() {
        let cert = &c.certificate;
        for (e, statement) in &c.events {
            seq += 1;
            if e.seq != seq || e.certificate != cert.id {
                return Err(StoreError::Corrupt {
                    what: "bulk event",
                    detail: format!(
                        "event {} of {} listed as {seq} under {}",
                        e.seq, e.certificate, cert.id
                    ),
                });
            }
            events.push(vec![
                Val::Int(seq),
                text(&e.certificate),
                Val::Text(ts(e.at)),
                text(&e.actor),
                text(e.role.as_str()),
                text(e.kind.name()),
                Val::Text(json(&e.kind)?),
            ]);
            queue.push(vec![
                Val::Int(seq),
                Val::Blob(statement.clone()),
                Val::Text(ts(e.at)),
            ]);
        }
        if c.events.is_empty() {
            return Err(StoreError::Corrupt {
                what: "bulk certificate",
                detail: format!("{} has no events", cert.id),
            });
        }
        certs.push(vec![
            text(&cert.id),
            text(&cert.product),
            text(&cert.holder),
            text(&cert.scheme),
            text(&cert.level),
            text(&cert.issuer),
            text(cert.issuer_kind.as_str()),
            Val::OptText(cert.authority.as_ref().map(ToString::to_string)),
            text(&cert.assessment),
            Val::Text(ts(cert.issued_at)),
            Val::Text(date(cert.valid_until)),
            text(cert.state.as_str()),
            Val::Int(seq),
            Val::Int(first_index + i64::try_from(k).unwrap_or(i64::MAX)),
            Val::Text(
                c.next_due
                    .map_or_else(|| super::schedule::NEVER.to_owned(), ts),
            ),
        ]);
        statuses.push(vec![
            text(&cert.id),
            Val::Int(seq),
            Val::Text(json(&c.report)?),
            Val::Text(ts(c.computed_at)),
            Val::OptText(c.stale_after.map(ts)),
            text(&c.policy),
            text(&c.trust),
            text(c.report.status.as_str()),
        ]);
        if let Some(page) = &c.page {
            pages.push(vec![
                text(&cert.id),
                text(&c.trust),
                text(&page.format),
                text(&page.body),
            ]);
        }
    }
    insert_rows(
        tx,
        "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, issuer_id, \
         issuer_kind, authority_id, assessment_id, issued_at, valid_until, state, last_seq, \
         status_index, next_due)",
        "",
        15,
        certs,
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO events (seq, certificate_id, at, actor_id, role, kind, payload)",
        "",
        7,
        events,
    )
    .await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT setval(pg_get_serial_sequence('events', 'seq'), $1)")
            .bind(seq)
            .execute(&mut **tx)
            .await?;
    }
    // The statements table is filled from the queue by its trigger, as for every write.
    insert_rows(
        tx,
        "INSERT INTO log_queue (event_seq, entry, queued_at)",
        "",
        3,
        queue,
    )
    .await?;
    // The triggers of migration 0021 created each row (and bumped `gen`) as the events and
    // statements went in; the report folded from exactly those rows is stored over it.
    insert_rows(
        tx,
        "INSERT INTO label_status (certificate_id, seq, report, computed_at, stale_after, policy, \
         trust, status)",
        "ON CONFLICT (certificate_id) DO UPDATE SET seq = excluded.seq, report = excluded.report, \
         computed_at = excluded.computed_at, stale_after = excluded.stale_after, \
         policy = excluded.policy, trust = excluded.trust, status = excluded.status",
        8,
        statuses,
    )
    .await?;
    // Each page under its status row's generation, as `put_status_and_page` stores it.
    insert_rows(
        tx,
        "INSERT INTO certificate_page (certificate_id, gen, trust, format, body) \
         SELECT v.column1, s.gen, v.column2, v.column3, v.column4 FROM (",
        ") v JOIN label_status s ON s.certificate_id = v.column1",
        4,
        pages,
    )
    .await
}

#[async_trait]
impl BulkStore for SqlStore {
    async fn last_event_seq(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn bulk_load_done(&self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            // The tables a bulk write fills (directly or by trigger), in this registry's schema:
            // a bare `VACUUM` would also walk every other schema of the database. Vacuumed as
            // well as analysed, as autovacuum would have (a server may run without it): the
            // visibility map lets a search's state walk read its index alone
            // (`certificate_search_states`: a heap page per document before), and the rows the
            // load rewrote are reclaimed. `VACUUM` is refused in a transaction, so it is sent
            // as a plain statement.
            sqlx::raw_sql(
                "VACUUM (ANALYZE) organisations, products, product_versions, \
                 support_commitments, dependencies, sboms, sbom_components, \
                 software_list_records, assessments, \
                 certificates, events, statements, log_queue, label_status, certificate_page, \
                 certificate_search, certificate_search_states, certificate_search_hits, audit_log, \
                 counters",
            )
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn write_bulk(&self, b: &BulkBatch) -> Result<()> {
        let mut w = self.write().await?;
        // A watch-list's deliveries are queued only by the single-event path: a registry with
        // watch-lists is never bulk-written (nothing a follower expects may be missed).
        let watched: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM watch_items")
            .fetch_one(&mut *w.tx)
            .await?;
        if watched > 0 {
            return Err(StoreError::Conflict {
                what: "bulk write",
                id: "the registry has watch-lists".into(),
            });
        }
        move_counters(&mut w.tx, b).await?;
        write_records(&mut w.tx, b).await?;
        write_certificates(&mut w.tx, self.backend, b).await?;
        let mut audits = Vec::new();
        for a in &b.audits {
            audits.push(vec![
                Val::Text(ts(a.at)),
                text(a.actor.as_ref().map_or("", |o| o.as_str())),
                text(&a.credential),
                text(&a.action),
                text(&a.subject),
                Val::Text(json(&a.detail)?),
            ]);
        }
        insert_rows(
            &mut w.tx,
            "INSERT INTO audit_log (at, actor_id, credential, action, subject, detail)",
            "",
            6,
            audits,
        )
        .await?;
        w.commit().await
    }
}
