//! One vulnerability under all its ids: lookup by any alias (a bounded closure over the stored
//! advisories), the ids and severity a finding counts with, an operator's severity, exploited marks.

use chrono::{DateTime, Utc};
use keurmerk_domain::model::{OrgRole, Severity};
use keurmerk_store::{RegistryStore, VulnMatch, VulnStore};
use serde_json::json;
use std::collections::BTreeSet;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceResult};

/// A finding's ids: its own and its aliases.
pub(super) fn match_ids(m: &VulnMatch) -> Vec<String> {
    std::iter::once(m.vulnerability.clone())
        .chain(m.aliases.iter().cloned())
        .collect()
}

impl<S: RegistryStore + VulnStore> Registry<S> {
    /// Every id of the vulnerability known under `id` (any alias: CVE, GHSA, GO, PYSEC, EUVD…),
    /// `id` first as written. Empty when no stored advisory knows the id.
    pub async fn vulnerability_ids(&self, id: &str) -> ServiceResult<Vec<String>> {
        let id = id.trim();
        // Closure over the advisories: GO-2022-1059 lists CVE-2022-32149, which an EUVD record
        // lists too, so the EUVD id is the GO record's id as well. Bounded: ids of one
        // vulnerability are few; a web of more is cut off rather than followed without end.
        const MAX_IDS: usize = 64;
        let mut ids: Vec<String> = Vec::new();
        let mut frontier = vec![id.to_owned()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for x in &frontier {
                for y in self.store().vulnerability_ids(x).await? {
                    if ids.len() < MAX_IDS
                        && !ids.iter().any(|z| keurmerk_vuln::identity::same_id(z, &y))
                    {
                        ids.push(y.clone());
                        next.push(y);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        if ids.is_empty() && self.store().advisory(id).await?.is_some() {
            // An advisory stored before aliases were indexed: known under its own id.
            ids.push(id.to_owned());
        }
        // The id asked for first, spelled as the advisory spells it.
        if let Some(i) = ids
            .iter()
            .position(|x| keurmerk_vuln::identity::same_id(x, id))
        {
            let first = ids.remove(i);
            ids.insert(0, first);
        }
        Ok(ids)
    }

    /// Every id of a finding's vulnerability: its own, the aliases matching gave it, and what
    /// the stored advisories add ([`Self::vulnerability_ids`]).
    pub(super) async fn finding_ids(&self, m: &VulnMatch) -> ServiceResult<Vec<String>> {
        let mut ids = match_ids(m);
        for x in self.vulnerability_ids(&m.vulnerability).await? {
            if !ids.iter().any(|y| keurmerk_vuln::identity::same_id(y, &x)) {
                ids.push(x);
            }
        }
        Ok(ids)
    }

    /// Brings the certificates of every product with an open finding for one of `ids` up to date.
    pub(crate) async fn reapply(&self, ids: &[String]) -> ServiceResult<usize> {
        let mut products = BTreeSet::new();
        for x in ids {
            for v in self.store().versions_with_open(x).await? {
                if let Some(pv) = self.store().version(&v).await? {
                    products.insert(pv.product);
                }
            }
        }
        let n = products.len();
        for p in products {
            self.apply_findings(&p).await?;
        }
        Ok(n)
    }

    /// The severity a finding counts with: an operator's assessment first, then the advisories'
    /// own (merged over aliases by matching), then an EUVD record's base score for one of its ids;
    /// [`Severity::Unknown`] while none of them gives one.
    pub(super) async fn effective_severity(
        &self,
        m: &VulnMatch,
        ids: &[String],
    ) -> ServiceResult<Severity> {
        let own: Severity = m.severity.parse().unwrap_or(Severity::Unknown);
        let recorded = self.store().severities(ids).await?;
        let from = |source: &str| {
            recorded
                .iter()
                .filter(|(s, _)| s == source)
                .filter_map(|(_, v)| v.parse::<Severity>().ok())
                .find(|v| *v != Severity::Unknown)
        };
        Ok(match (from("operator"), own, from("euvd")) {
            (Some(op), _, _) => op,
            (None, Severity::Unknown, Some(euvd)) => euvd,
            (None, own, _) => own,
        })
    }

    /// The registry operator or a national authority assesses the severity of a vulnerability
    /// (any of its ids), with a reason: it counts with that severity from now on, whatever its
    /// advisories say, on every label it affects. Ids no stored advisory knows are refused.
    pub async fn set_severity(
        &self,
        actor: &Actor,
        vulnerability: &str,
        severity: Severity,
        reason: &str,
    ) -> ServiceResult<()> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "assess the severity of vulnerabilities",
        )
        .await?;
        crate::orgs::check_text("vulnerability", vulnerability, 200)?;
        crate::orgs::check_text("reason", reason, 500)?;
        if reason.trim().is_empty() {
            return Err(invalid("reason", "say why the severity is what it is"));
        }
        if severity == Severity::Unknown {
            return Err(invalid(
                "severity",
                "give a severity: critical, high, medium, low or none",
            ));
        }
        let ids = self.vulnerability_ids(vulnerability).await?;
        let Some(id) = ids.first().cloned() else {
            return Err(not_found("vulnerability", vulnerability.trim()));
        };
        let audit = self.audit(
            actor,
            "vulnerability.set_severity",
            &id,
            json!({"aliases": &ids[1..], "severity": severity, "reason": reason}),
        );
        self.store()
            .set_severity(&id, "operator", severity.as_str(), Some(reason), &audit)
            .await?;
        self.reapply(&ids).await?;
        Ok(())
    }

    /// A national authority or the registry operator marks a vulnerability as actively exploited
    /// (by any of its ids: OSV id, CVE, GHSA, EUVD…); the holders' CRA clocks start and the
    /// labels of affected products say so. An id no stored advisory knows is refused, so a typo
    /// cannot mark nothing and look done.
    pub async fn mark_exploited(&self, actor: &Actor, vulnerability: &str) -> ServiceResult<()> {
        self.mark_exploited_since(actor, vulnerability, None, "manual")
            .await
            .map(|_| ())
    }

    /// [`Self::mark_exploited`], known to be exploited since `since` (e.g. the KEV catalogue's
    /// `dateAdded`), recording `source` in the audit trail. Returns whether the mark is new.
    pub async fn mark_exploited_since(
        &self,
        actor: &Actor,
        vulnerability: &str,
        since: Option<DateTime<Utc>>,
        source: &str,
    ) -> ServiceResult<bool> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "mark vulnerabilities as exploited",
        )
        .await?;
        crate::orgs::check_text("vulnerability", vulnerability, 200)?;
        let ids = self.vulnerability_ids(vulnerability).await?;
        let Some(id) = ids.first().cloned() else {
            return Err(not_found("vulnerability", vulnerability.trim()));
        };
        let audit = self.audit(
            actor,
            "vulnerability.mark_exploited",
            &id,
            json!({"aliases": &ids[1..], "since": since, "source": source}),
        );
        let new = self.store().mark_exploited(&id, since, &audit).await?;
        self.reapply(&ids).await?;
        Ok(new)
    }
}
