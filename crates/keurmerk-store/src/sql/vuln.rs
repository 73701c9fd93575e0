use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::RecordId;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{write_audit, SqlStore};
use crate::codec::{get_i64, get_json, get_opt, get_opt_ts, get_parse, get_str, get_ts, json, ts};
use crate::traits::Audit;
use crate::vuln::{
    AdvisoryAlias, StoredAdvisory, StoredComponent, Upserted, VexDecision, VulnMatch, VulnStore,
};
use crate::{Result, StoreError};

/// Keys are bound one query per chunk to stay under both backends' parameter limits.
const CHUNK: usize = 500;

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn component(row: &AnyRow) -> Result<StoredComponent> {
    Ok(StoredComponent {
        version_id: get_parse(row, "version_id")?,
        idx: get_i64(row, "idx")?,
        pkg_key: get_str(row, "pkg_key")?,
        purl: get_str(row, "purl")?,
        version: get_str(row, "version")?,
    })
}

fn advisory(row: &AnyRow) -> Result<StoredAdvisory> {
    Ok(StoredAdvisory {
        id: get_str(row, "id")?,
        source_name: get_str(row, "source_name")?,
        modified: get_str(row, "modified")?,
        document: row.try_get::<Vec<u8>, _>("document")?,
    })
}

fn vuln_match(row: &AnyRow) -> Result<VulnMatch> {
    Ok(VulnMatch {
        version_id: get_parse(row, "version_id")?,
        advisory_id: get_str(row, "advisory_id")?,
        vulnerability: get_str(row, "vulnerability")?,
        aliases: get_json(row, "aliases")?,
        pkg_key: get_str(row, "pkg_key")?,
        purl: get_str(row, "purl")?,
        installed: get_str(row, "installed")?,
        severity: get_str(row, "severity")?,
        fixed: get_json(row, "fixed")?,
        first_seen: get_ts(row, "first_seen")?,
        closed_at: get_opt_ts(row, "closed_at")?,
    })
}

type MatchKey = (String, String, String);

#[async_trait]
impl VulnStore for SqlStore {
    async fn put_sbom(
        &self,
        version: &RecordId,
        name: &str,
        format: &str,
        document: &[u8],
        sha256: &str,
        record: &[u8],
        components: &[StoredComponent],
        audit: &Audit,
    ) -> Result<i64> {
        let mut w = self.write().await?;
        let v = version.to_string();
        sqlx::query("DELETE FROM sbom_components WHERE version_id = $1")
            .bind(v.clone())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM sboms WHERE version_id = $1")
            .bind(v.clone())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO sboms (version_id, name, format, document, uploaded_at, record, sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(v.clone())
        .bind(name.to_owned())
        .bind(format.to_owned())
        .bind(document.to_vec())
        .bind(ts(audit.at))
        .bind(record.to_vec())
        .bind(sha256.to_owned())
        .execute(&mut *w.tx)
        .await?;
        // event_seq 0: no event has it; `software_list_records` accounts for the entry.
        let queue_id: i64 = sqlx::query_scalar(
            "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES (0, $1, $2) RETURNING id",
        )
        .bind(record.to_vec())
        .bind(ts(audit.at))
        .fetch_one(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO software_list_records (queue_id, version_id, recorded_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(queue_id)
        .bind(v.clone())
        .bind(ts(audit.at))
        .execute(&mut *w.tx)
        .await?;
        for c in components {
            sqlx::query("INSERT INTO sbom_components (version_id, idx, pkg_key, purl, version) VALUES ($1, $2, $3, $4, $5)")
                .bind(v.clone())
                .bind(c.idx)
                .bind(c.pkg_key.clone())
                .bind(c.purl.clone())
                .bind(c.version.clone())
                .execute(&mut *w.tx)
                .await?;
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(queue_id)
    }

    async fn newest_software_list_record(
        &self,
        version: &RecordId,
    ) -> Result<Option<crate::vuln::QueuedRecord>> {
        use crate::vuln::QueuedRecord;
        let row = sqlx::query(
            "SELECT q.entry, l.log_index FROM software_list_records r \
             LEFT JOIN log_queue q ON q.id = r.queue_id \
             LEFT JOIN log_entries l ON l.queue_id = r.queue_id \
             WHERE r.version_id = $1 ORDER BY r.queue_id DESC LIMIT 1",
        )
        .bind(version.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let entry: Option<Vec<u8>> = row.try_get("entry")?;
        let index: Option<i64> = row.try_get("log_index")?;
        Ok(Some(match (index, entry) {
            (Some(i), _) => {
                QueuedRecord::Logged(u64::try_from(i).map_err(|_| crate::StoreError::Corrupt {
                    what: "log_entries.log_index",
                    detail: i.to_string(),
                })?)
            }
            (None, Some(bytes)) => QueuedRecord::Queued(bytes),
            (None, None) => QueuedRecord::Lost,
        }))
    }

    async fn components(&self, version: &RecordId) -> Result<Vec<StoredComponent>> {
        let rows = sqlx::query("SELECT * FROM sbom_components WHERE version_id = $1 ORDER BY idx")
            .bind(version.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(component).collect()
    }

    async fn components_with_keys(&self, keys: &[String]) -> Result<Vec<StoredComponent>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT * FROM sbom_components WHERE pkg_key IN ({}) ORDER BY version_id, idx",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.clone());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(component(&row)?);
            }
        }
        Ok(out)
    }

    async fn upsert_advisory(
        &self,
        adv: &StoredAdvisory,
        keys: &[String],
        aliases: &[AdvisoryAlias],
        audit: &Audit,
    ) -> Result<Upserted> {
        let mut w = self.write().await?;
        let old: Option<String> =
            sqlx::query_scalar("SELECT modified FROM advisories WHERE id = $1")
                .bind(adv.id.clone())
                .fetch_optional(&mut *w.tx)
                .await?;
        if old.as_deref() == Some(adv.modified.as_str()) {
            // Unchanged; an advisory stored before aliases were indexed gets them now.
            let have: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM vulnerability_aliases WHERE advisory_id = $1",
            )
            .bind(adv.id.clone())
            .fetch_one(&mut *w.tx)
            .await?;
            if have == 0 && !aliases.is_empty() {
                insert_aliases(&mut w.tx, &adv.id, aliases).await?;
                w.commit().await?;
            }
            return Ok(Upserted::default());
        }
        sqlx::query("DELETE FROM vulnerability_aliases WHERE advisory_id = $1")
            .bind(adv.id.clone())
            .execute(&mut *w.tx)
            .await?;
        let mut touched: Vec<String> =
            sqlx::query_scalar("SELECT pkg_key FROM advisory_keys WHERE advisory_id = $1")
                .bind(adv.id.clone())
                .fetch_all(&mut *w.tx)
                .await?;
        sqlx::query("DELETE FROM advisory_keys WHERE advisory_id = $1")
            .bind(adv.id.clone())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO advisories (id, source_name, modified, document, imported_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET source_name = excluded.source_name, modified = excluded.modified, \
             document = excluded.document, imported_at = excluded.imported_at",
        )
        .bind(adv.id.clone())
        .bind(adv.source_name.clone())
        .bind(adv.modified.clone())
        .bind(adv.document.clone())
        .bind(ts(audit.at))
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        insert_aliases(&mut w.tx, &adv.id, aliases).await?;
        for k in keys {
            sqlx::query("INSERT INTO advisory_keys (advisory_id, pkg_key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(adv.id.clone())
                .bind(k.clone())
                .execute(&mut *w.tx)
                .await?;
            touched.push(k.clone());
        }
        w.commit().await?;
        touched.sort();
        touched.dedup();
        Ok(Upserted {
            stored: true,
            touched,
        })
    }

    async fn advisories_with_keys(&self, keys: &[String]) -> Result<Vec<StoredAdvisory>> {
        let mut out: BTreeMap<String, StoredAdvisory> = BTreeMap::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT a.* FROM advisories a WHERE a.id IN (SELECT advisory_id FROM advisory_keys WHERE pkg_key IN ({}))",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.clone());
            }
            for row in q.fetch_all(&self.pool).await? {
                let a = advisory(&row)?;
                out.insert(a.id.clone(), a);
            }
        }
        Ok(out.into_values().collect())
    }

    async fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>> {
        let row = sqlx::query("SELECT * FROM advisories WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(advisory).transpose()
    }

    async fn vulnerability_ids(&self, id: &str) -> Result<Vec<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT b.alias FROM vulnerability_aliases a JOIN vulnerability_aliases b \
             ON a.advisory_id = b.advisory_id AND a.vulnerability = b.vulnerability \
             WHERE a.alias_key = $1 ORDER BY b.alias",
        )
        .bind(keurmerk_vuln_key(id))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    async fn mark_exploited(
        &self,
        vulnerability: &str,
        since: Option<DateTime<Utc>>,
        audit: &Audit,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO exploited_vulnerabilities (vulnerability, marked_at, marked_by, exploited_since) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (vulnerability) DO NOTHING",
        )
        .bind(vulnerability.to_owned())
        .bind(ts(audit.at))
        .bind(audit.actor.as_ref().map_or(String::new(), ToString::to_string))
        .bind(since.map(ts))
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(true)
    }

    async fn set_severity(
        &self,
        vulnerability: &str,
        source: &str,
        severity: &str,
        reason: Option<&str>,
        audit: &Audit,
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO vulnerability_severities (vulnerability, source, severity, set_at, set_by, reason) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (vulnerability, source) DO UPDATE SET \
             severity = excluded.severity, set_at = excluded.set_at, set_by = excluded.set_by, reason = excluded.reason",
        )
        .bind(vulnerability.to_owned())
        .bind(source.to_owned())
        .bind(severity.to_owned())
        .bind(ts(audit.at))
        .bind(audit.actor.as_ref().map_or(String::new(), ToString::to_string))
        .bind(reason.map(str::to_owned))
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn severities(&self, ids: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT source, severity FROM vulnerability_severities WHERE vulnerability IN ({}) \
                 ORDER BY set_at DESC, vulnerability",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push((get_str(&row, "source")?, get_str(&row, "severity")?));
            }
        }
        Ok(out)
    }

    async fn exploited_since(&self, ids: &[String]) -> Result<Option<DateTime<Utc>>> {
        let mut earliest: Option<DateTime<Utc>> = None;
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT * FROM exploited_vulnerabilities WHERE vulnerability IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&self.pool).await? {
                let at = match get_opt_ts(&row, "exploited_since")? {
                    Some(t) => t,
                    None => get_ts(&row, "marked_at")?,
                };
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
        Ok(earliest)
    }

    async fn is_exploited(&self, vulnerability: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM exploited_vulnerabilities WHERE vulnerability = $1",
        )
        .bind(vulnerability.to_owned())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn versions_with_open(&self, vulnerability: &str) -> Result<Vec<RecordId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT version_id FROM vuln_matches WHERE vulnerability = $1 AND closed_at IS NULL ORDER BY version_id",
        )
        .bind(vulnerability.to_owned())
        .fetch_all(&self.pool)
        .await?;
        ids.into_iter()
            .map(|s| {
                s.parse().map_err(|e| StoreError::Corrupt {
                    what: "version_id",
                    detail: format!("{s:?}: {e}"),
                })
            })
            .collect()
    }

    async fn reconcile_matches(
        &self,
        version: &RecordId,
        keys: Option<&[String]>,
        found: &[VulnMatch],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let rows = sqlx::query("SELECT * FROM vuln_matches WHERE version_id = $1")
            .bind(version.to_string())
            .fetch_all(&mut *w.tx)
            .await?;
        let mut existing: BTreeMap<MatchKey, (String, VulnMatch)> = BTreeMap::new();
        for row in &rows {
            let m = vuln_match(row)?;
            let k = (
                m.advisory_id.clone(),
                m.pkg_key.clone(),
                m.installed.clone(),
            );
            existing.insert(k, (m.pkg_key.clone(), m));
        }
        let in_scope = |key: &str| keys.is_none_or(|ks| ks.iter().any(|k| k == key));
        let mut seen = std::collections::BTreeSet::new();
        for m in found {
            let k = (
                m.advisory_id.clone(),
                m.pkg_key.clone(),
                m.installed.clone(),
            );
            seen.insert(k.clone());
            match existing.get(&k) {
                Some((_, old)) if old.closed_at.is_none() => {
                    sqlx::query(
                        "UPDATE vuln_matches SET vulnerability = $1, severity = $2, fixed = $3, purl = $4, aliases = $9 \
                         WHERE version_id = $5 AND advisory_id = $6 AND pkg_key = $7 AND installed = $8",
                    )
                    .bind(m.vulnerability.clone())
                    .bind(m.severity.clone())
                    .bind(json(&m.fixed)?)
                    .bind(m.purl.clone())
                    .bind(version.to_string())
                    .bind(k.0.clone())
                    .bind(k.1.clone())
                    .bind(k.2.clone())
                    .bind(json(&m.aliases)?)
                    .execute(&mut *w.tx)
                    .await?;
                }
                Some(_) => {
                    sqlx::query(
                        "UPDATE vuln_matches SET closed_at = NULL, first_seen = $1, vulnerability = $2, severity = $3, fixed = $4, aliases = $9 \
                         WHERE version_id = $5 AND advisory_id = $6 AND pkg_key = $7 AND installed = $8",
                    )
                    .bind(ts(now))
                    .bind(m.vulnerability.clone())
                    .bind(m.severity.clone())
                    .bind(json(&m.fixed)?)
                    .bind(version.to_string())
                    .bind(k.0.clone())
                    .bind(k.1.clone())
                    .bind(k.2.clone())
                    .bind(json(&m.aliases)?)
                    .execute(&mut *w.tx)
                    .await?;
                }
                None => {
                    // The same vulnerability found before under another of its ids (another
                    // advisory now names it first): it was seen when it was first seen.
                    let ids = |v: &VulnMatch| -> Vec<String> {
                        std::iter::once(&v.vulnerability)
                            .chain(v.aliases.iter())
                            .map(|x| x.trim().to_ascii_uppercase())
                            .collect()
                    };
                    let mine = ids(m);
                    let first_seen = existing
                        .values()
                        .map(|(_, old)| old)
                        .filter(|old| {
                            old.closed_at.is_none()
                                && old.pkg_key == m.pkg_key
                                && old.installed == m.installed
                                && ids(old).iter().any(|x| mine.contains(x))
                        })
                        .map(|old| old.first_seen)
                        .min()
                        .map_or(m.first_seen, |t| t.min(m.first_seen));
                    sqlx::query(
                        "INSERT INTO vuln_matches (version_id, advisory_id, vulnerability, pkg_key, purl, installed, severity, fixed, first_seen, closed_at, aliases) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)",
                    )
                    .bind(version.to_string())
                    .bind(k.0.clone())
                    .bind(m.vulnerability.clone())
                    .bind(k.1.clone())
                    .bind(m.purl.clone())
                    .bind(k.2.clone())
                    .bind(m.severity.clone())
                    .bind(json(&m.fixed)?)
                    .bind(ts(first_seen))
                    .bind(json(&m.aliases)?)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
        }
        for (k, (key, old)) in &existing {
            if old.closed_at.is_none() && in_scope(key) && !seen.contains(k) {
                sqlx::query(
                    "UPDATE vuln_matches SET closed_at = $1 WHERE version_id = $2 AND advisory_id = $3 AND pkg_key = $4 AND installed = $5",
                )
                .bind(ts(now))
                .bind(version.to_string())
                .bind(k.0.clone())
                .bind(k.1.clone())
                .bind(k.2.clone())
                .execute(&mut *w.tx)
                .await?;
            }
        }
        w.commit().await
    }

    async fn matches(&self, version: &RecordId) -> Result<Vec<VulnMatch>> {
        let rows = sqlx::query(
            "SELECT * FROM vuln_matches WHERE version_id = $1 ORDER BY vulnerability, pkg_key",
        )
        .bind(version.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(vuln_match).collect()
    }

    async fn put_vex(&self, d: &VexDecision, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO vex_decisions (product_id, vulnerability, versions, status, justification, statement, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (product_id, vulnerability, versions) DO UPDATE SET \
             status = excluded.status, justification = excluded.justification, statement = excluded.statement, published_at = excluded.published_at",
        )
        .bind(d.product_id.to_string())
        .bind(d.vulnerability.clone())
        .bind(d.versions.clone())
        .bind(d.status.clone())
        .bind(d.justification.clone())
        .bind(d.statement.clone())
        .bind(ts(d.published_at))
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn vex_decisions(&self, product: &RecordId) -> Result<Vec<VexDecision>> {
        let rows = sqlx::query(
            "SELECT * FROM vex_decisions WHERE product_id = $1 ORDER BY vulnerability, versions",
        )
        .bind(product.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VexDecision {
                    product_id: get_parse(row, "product_id")?,
                    vulnerability: get_str(row, "vulnerability")?,
                    versions: get_str(row, "versions")?,
                    status: get_str(row, "status")?,
                    justification: get_opt(row, "justification")?,
                    statement: get_opt(row, "statement")?,
                    published_at: get_ts(row, "published_at")?,
                })
            })
            .collect()
    }
}

/// The comparison key of a vulnerability id (as `keurmerk_vuln::identity::key`): trimmed and
/// ASCII upper-case. Repeated here because the store does not depend on the vulnerability crate.
fn keurmerk_vuln_key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

async fn insert_aliases(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    advisory: &str,
    aliases: &[AdvisoryAlias],
) -> Result<()> {
    for a in aliases {
        sqlx::query(
            "INSERT INTO vulnerability_aliases (advisory_id, vulnerability, alias_key, alias) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(advisory.to_owned())
        .bind(a.vulnerability.clone())
        .bind(keurmerk_vuln_key(&a.alias))
        .bind(a.alias.trim().to_owned())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
