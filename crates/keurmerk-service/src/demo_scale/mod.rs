//! `keurmerk demo --scale N` (issue 15 item 1): a large, realistic registry for load tests.
//!
//! Everything goes through the use cases, exactly as [`crate::demo`] does: every certificate,
//! version, support period, dependency and software list is authorised, validated, audited and
//! written with its signed statement queued for the transparency log (the next running
//! `keurmerk serve` logs them), and the label status read model is stored by each write. The
//! mix, decided per certificate by a fixed pseudo-random function of its index (so two runs of the
//! same N give the same registry): about 60 % self-declared `eu-iot basic`, 30 % `eu-iot
//! substantial` tested by a lab, 10 % `eucc substantial`; one to three versions; support ending
//! anywhere from two years ago to six years ahead; a quarter with a software list, a few of them
//! with a component a known advisory affects (findings, after one advisory import at the end);
//! one in ten depending on one of the first certificates (cloud services); of the lab-tested
//! ones, 10 % suspended and 5 % withdrawn by their lab. Issue dates spread over the last three years, so validity and support ends fall on
//! every kind of date.
//!
//! It seeds only an empty registry and refuses to run twice. It is not fast: about ten small
//! transactions and two signatures per certificate (see `docs/PERFORMANCE.md`).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::model::{
    Category, DependencyKind, OrgRole, PasswordSetup, ProductIdentifiers, SupportCommitment,
    UpdatePolicy, Verdict,
};
use keurmerk_domain::reason::ReasonCode;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_store::{KeyStore, RegistryStore, VulnStore};
use serde::Serialize;

mod bulk;

pub use bulk::BATCH;

use crate::{
    Actor, LifecycleRequest, ManualClock, NewAssessment, NewDependency, NewOrganisation,
    NewProduct, NewVersion, Registry, ServiceError, ServiceResult, VerdictInput,
};

/// The most certificates one run seeds.
pub const MAX_SCALE: u64 = 10_000_000;

/// Days before now at which the registry starts.
const HISTORY_DAYS: i64 = 1100;

/// Certificates of cloud services the others may depend on.
const SERVICES: u64 = 10;

/// What a scaled demo created.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScaleSummary {
    /// Certificates issued.
    pub certificates: u64,
    /// Suspended by their issuer.
    pub suspended: u64,
    /// Withdrawn by their issuer.
    pub withdrawn: u64,
    /// Products that declare a dependency on a certified service.
    pub with_dependency: u64,
    /// Products with a software list.
    pub with_sbom: u64,
    /// Versions matched again by the advisory import at the end (those with a software list).
    pub rematched_versions: usize,
}

const MAKERS: [(&str, &str, &str); 12] = [
    ("hollandhome", "HollandHome B.V.", "NL"),
    ("rheinwerk", "Rheinwerk GmbH", "DE"),
    ("maison-connect", "Maison Connectée SAS", "FR"),
    ("brusselsiot", "Brussels IoT NV", "BE"),
    ("casa-smart", "Casa Smart S.p.A.", "IT"),
    ("hogar-red", "Hogar Red S.L.", "ES"),
    ("wisla-tech", "Wisła Tech sp. z o.o.", "PL"),
    ("nordhem", "Nordhem AB", "SE"),
    ("nordlock", "NordLock Oy", "FI"),
    ("alpenhaus", "Alpenhaus GmbH", "AT"),
    ("dansk-hjem", "Dansk Hjem ApS", "DK"),
    ("emerald-devices", "Emerald Devices Ltd", "IE"),
];

const CATEGORIES: [(Category, &str); 9] = [
    (Category::Camera, "Camera"),
    (Category::Router, "Router"),
    (Category::SmartPlug, "Smart Plug"),
    (Category::BabyMonitor, "Baby Monitor"),
    (Category::SmartLock, "Smart Lock"),
    (Category::SmartSpeaker, "Speaker"),
    (Category::Thermostat, "Thermostat"),
    (Category::Alarm, "Smoke Alarm"),
    (Category::Computer, "Mini PC"),
];

/// Whether the mix gives certificate `i` a software list with a component a known advisory
/// affects (the bulk path seeds only some of those as such, see [`bulk`]).
pub fn vulnerable_in_mix(i: u64) -> bool {
    let r = mix(i);
    (r >> 40) % 4 == 0 && (r >> 42) % 12 == 0
}

/// A fixed pseudo-random 64-bit value per index (SplitMix64).
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bad(field: &str) -> impl FnOnce(keurmerk_domain::ids::IdError) -> ServiceError + '_ {
    move |e| ServiceError::Invalid {
        field: field.into(),
        problem: e.to_string(),
    }
}

fn org(s: &str) -> ServiceResult<OrgId> {
    OrgId::new(s).map_err(bad("organisation"))
}

fn software_list(gin: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
        {{"type": "library", "name": "github.com/gin-gonic/gin", "version": "{gin}", "purl": "pkg:golang/github.com/gin-gonic/gin@{gin}"}},
        {{"type": "library", "name": "golang.org/x/text", "version": "v0.3.8", "purl": "pkg:golang/golang.org/x/text@v0.3.8"}}]}}"#
    )
}

/// A real advisory (GO-2020-0001, fixed in gin 1.6.0) that the vulnerable software lists match.
const ADVISORY: &str = r#"{"schema_version": "1.3.1", "id": "GO-2020-0001", "modified": "2024-05-20T16:03:47Z", "published": "2021-04-14T20:04:52Z",
 "aliases": ["CVE-2020-36567"], "summary": "Arbitrary log line injection in github.com/gin-gonic/gin",
 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"}],
 "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}]}"#;

struct Scale<S> {
    reg: Registry<S>,
    clock: Arc<ManualClock>,
    now: DateTime<Utc>,
    verdicts: Vec<(SchemeId, LevelId, VerdictInput)>,
    services: Vec<CertificateId>,
    summary: ScaleSummary,
    /// The certificate the reference path issued last.
    last_certificate: Option<CertificateId>,
}

impl<S: RegistryStore + KeyStore + VulnStore + Clone + 'static> Scale<S> {
    async fn organisation(
        &self,
        by: Option<&str>,
        id: &str,
        name: &str,
        role: OrgRole,
        ms: &str,
    ) -> ServiceResult<Actor> {
        let new = NewOrganisation {
            id: org(id)?,
            name: name.into(),
            role,
            member_state: ms.into(),
            contact: Some(format!("security@{id}.example.eu")),
        };
        match by {
            None => self.reg.bootstrap_operator(new).await?,
            Some(by) => {
                self.reg
                    .create_organisation(&Actor::system(org(by)?, "demo-scale"), new)
                    .await?
            }
        };
        let scope = crate::KeyScope {
            valid_until: Some(self.now + Duration::days(5 * 365)),
            ..Default::default()
        };
        self.reg.create_key(&org(id)?, scope.clone()).await?;
        if by.is_none() {
            self.reg.create_root_key(scope).await?;
        }
        Ok(Actor::system(org(id)?, "demo-scale"))
    }

    fn verdicts_for(&self, scheme: &str, level: &str) -> ServiceResult<VerdictInput> {
        let scheme = SchemeId::new(scheme).map_err(bad("scheme"))?;
        let level = LevelId::new(level).map_err(bad("level"))?;
        self.verdicts
            .iter()
            .find(|(s, l, _)| *s == scheme && *l == level)
            .map(|(_, _, v)| v.clone())
            .ok_or_else(|| ServiceError::Invalid {
                field: "scheme".into(),
                problem: format!("{scheme} {level} is not in the catalogue"),
            })
    }

    /// One certificate number `i` of `n`, with its product, versions, support, software list
    /// and dependency, issued at its point of the history.
    async fn certificate(&mut self, i: u64, n: u64) -> ServiceResult<()> {
        let r = mix(i);
        let span = HISTORY_DAYS * 86_400 - 86_400;
        let offset =
            i64::try_from(u128::from(i) * span as u128 / u128::from(n.max(1))).unwrap_or(span);
        let issued_at = self.now - Duration::days(HISTORY_DAYS) + Duration::seconds(offset);
        self.clock.set(issued_at);

        let service = i < SERVICES;
        let (maker_id, _, ms) = MAKERS[(r % MAKERS.len() as u64) as usize];
        let maker = Actor::system(org(maker_id)?, "demo-scale");
        let (category, word) = if service {
            (Category::CloudService, "Cloud")
        } else {
            CATEGORIES[((r >> 8) % CATEGORIES.len() as u64) as usize]
        };
        let p = self
            .reg
            .register_product(
                &maker,
                NewProduct {
                    name: format!(
                        "{} {word} {}",
                        MAKERS[(r % 12) as usize].1,
                        100 + (r >> 20) % 900
                    ),
                    model: format!("M{i:08}"),
                    category,
                    identifiers: ProductIdentifiers::default(),
                },
            )
            .await?;
        let versions = 1 + (r >> 16) % 3;
        let mut first = None;
        for v in 0..versions {
            let ver = self
                .reg
                .add_version(
                    &maker,
                    &p.id,
                    NewVersion {
                        version: format!("{}.{v}.0", 1 + (r >> 24) % 4),
                        released_on: (issued_at - Duration::days(30 * (versions - v) as i64))
                            .date_naive(),
                        security_update: v > 0 && (r >> 28) % 2 == 0,
                        notes: None,
                    },
                )
                .await?;
            first.get_or_insert(ver.id);
        }
        let first: RecordId = first.ok_or_else(|| ServiceError::Invalid {
            field: "versions".into(),
            problem: "none".into(),
        })?;
        // Support ends from two years before now to six years after it (never before issue).
        let support_until = (self.now + Duration::days(((r >> 32) % 2920) as i64 - 730))
            .max(issued_at + Duration::days(30))
            .date_naive();
        self.reg
            .set_support(
                &maker,
                &p.id,
                SupportCommitment {
                    support_until,
                    update_policy: if (r >> 36) % 4 == 0 {
                        UpdatePolicy::UserInitiated
                    } else {
                        UpdatePolicy::Automatic
                    },
                    vulnerability_contact: format!("security@{maker_id}.example.eu"),
                    disclosure_policy_url: None,
                    password: match (r >> 40) % 3 {
                        0 => Some(PasswordSetup::SetOnFirstUse),
                        1 => Some(PasswordSetup::UniquePerDevice),
                        _ => None,
                    },
                    updates_url: None,
                },
            )
            .await?;
        if (r >> 40) % 4 == 0 {
            let vulnerable = (r >> 42) % 12 == 0;
            self.reg
                .attach_sbom(
                    &maker,
                    &first,
                    "bom.json",
                    software_list(if vulnerable { "v1.4.0" } else { "v1.9.1" }).as_bytes(),
                )
                .await?;
            self.summary.with_sbom += 1;
        }
        if !service && !self.services.is_empty() && (r >> 44) % 10 == 0 {
            let on = &self.services[((r >> 48) % self.services.len() as u64) as usize];
            self.reg
                .add_dependency(
                    &maker,
                    &p.id,
                    NewDependency {
                        kind: DependencyKind::Cloud,
                        provider: "a cloud provider".into(),
                        service: format!("cloud service {on}"),
                        certificate: Some(on.clone()),
                    },
                )
                .await?;
            self.summary.with_dependency += 1;
        }
        let pick = (r >> 52) % 10;
        let (assessor, scheme, level) = match pick {
            0..=5 if !service => (maker.clone(), "eu-iot", "basic"),
            9 => (
                Actor::system(org("de-lab")?, "demo-scale"),
                "eucc",
                "substantial",
            ),
            _ => {
                let lab = match ms {
                    "DE" | "AT" | "PL" | "DK" => "de-lab",
                    "FR" | "BE" | "IT" | "ES" => "fr-lab",
                    _ => "nl-lab",
                };
                (
                    Actor::system(org(lab)?, "demo-scale"),
                    "eu-iot",
                    "substantial",
                )
            }
        };
        let assessment = self
            .reg
            .record_assessment(
                &assessor,
                NewAssessment {
                    product: p.id.clone(),
                    version: first,
                    scheme: SchemeId::new(scheme).map_err(bad("scheme"))?,
                    level: LevelId::new(level).map_err(bad("level"))?,
                    verdicts: self.verdicts_for(scheme, level)?,
                    evidence: vec![format!("Evaluation report {i:08}")],
                },
            )
            .await?;
        let cert = self.reg.certify(&assessor, &assessment.id, None).await?;
        self.summary.certificates += 1;
        self.last_certificate = Some(cert.id.clone());
        if service {
            self.services.push(cert.id);
            return Ok(());
        }
        // A later point in its life: a lab suspends or withdraws some of what it certified
        // (a maker's key may not sign a suspension of its own statement).
        let fate = (r >> 56) % 20;
        if assessor != maker && fate < 3 {
            // Never in the future: a statement signed after now would not verify.
            self.clock
                .set((issued_at + Duration::days(20)).min(self.now - Duration::hours(1)));
            let command = if fate < 2 {
                Command::Suspend
            } else {
                Command::Withdraw
            };
            let done = self
                .reg
                .change_state(
                    &assessor,
                    &cert.id,
                    LifecycleRequest {
                        command,
                        reason: "The maker did not fix a reported weakness in time.".into(),
                        until: None,
                        reason_code: Some(ReasonCode::VulnerabilityNotFixed.as_str().into()),
                        reason_lang: None,
                    },
                )
                .await;
            match (done, command) {
                (Ok(_), Command::Suspend) => self.summary.suspended += 1,
                (Ok(_), _) => self.summary.withdrawn += 1,
                (Err(e), _) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Seeds `n` certificates (and the organisations that issue and hold them) into an empty store,
/// signing with the keys in `secrets`; `progress` is told the number done after each
/// certificate. Refuses a store that already has organisations, so it never runs twice.
pub async fn seed_scale<S: RegistryStore + KeyStore + VulnStore + Clone + 'static>(
    store: S,
    catalogue: Arc<Catalogue>,
    now: DateTime<Utc>,
    secrets: crate::Secrets,
    n: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> ServiceResult<ScaleSummary> {
    let (mut s, enisa) = prepare(store, catalogue, now, secrets, n).await?;
    for i in 0..n {
        s.certificate(i, n).await?;
        progress(i + 1);
    }
    // Statements stored at a past point of the history that time has changed since are folded
    // and stored again as of now, so the first lookups read rows.
    finish(s, &enisa, None).await
}

/// Seeds the same registry as [`seed_scale`] through the bulk path (`bulk`, ADR 0019): the
/// cloud services and a few certificates with a vulnerable software list through the use cases,
/// the rest `batch` certificates per transaction ([`BATCH`] is a good size), each signed,
/// verified, folded, logged (queued), audited and with its read-model row and search document.
pub async fn seed_scale_bulk<
    S: RegistryStore + KeyStore + VulnStore + keurmerk_store::BulkStore + Clone + 'static,
>(
    store: S,
    catalogue: Arc<Catalogue>,
    now: DateTime<Utc>,
    secrets: crate::Secrets,
    n: u64,
    batch: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> ServiceResult<ScaleSummary> {
    if batch == 0 || batch > 100_000 {
        return Err(ServiceError::Invalid {
            field: "batch".into(),
            problem: format!("give between 1 and 100,000 certificates per batch, not {batch}"),
        });
    }
    let (mut s, enisa) = prepare(store, catalogue, now, secrets, n).await?;
    let mut reference = Vec::new();
    for i in 0..SERVICES.min(n) {
        s.certificate(i, n).await?;
        reference.extend(s.last_certificate.take());
        progress(i + 1);
    }
    reference.extend(s.bulk(n, batch, progress).await?);
    // Statistics of the loaded tables before anything reads them at this size (PostgreSQL).
    s.reg.store().bulk_load_done().await?;
    finish(s, &enisa, Some(reference)).await
}

/// The organisations, keys and authorisations both paths start from.
async fn prepare<S: RegistryStore + KeyStore + VulnStore + Clone + 'static>(
    store: S,
    catalogue: Arc<Catalogue>,
    now: DateTime<Utc>,
    secrets: crate::Secrets,
    n: u64,
) -> ServiceResult<(Scale<S>, Actor)> {
    if n == 0 || n > MAX_SCALE {
        return Err(ServiceError::Invalid {
            field: "scale".into(),
            problem: format!("give between 1 and {MAX_SCALE} certificates, not {n}"),
        });
    }
    if !store.orgs().await?.is_empty() {
        return Err(ServiceError::Conflict(
            "the database is not empty; `demo --scale` seeds only an empty registry (and so \
             never runs twice on one database)"
                .into(),
        ));
    }
    let clock = Arc::new(ManualClock::new(now - Duration::days(HISTORY_DAYS + 10)));
    let signer = crate::Signer::new(Arc::new(store.clone()), secrets);
    let reg = Registry::new(store, catalogue.clone(), clock.clone())
        .with_signer(signer)
        .with_local_credential(crate::Credential::System("demo-scale".into()));
    let mut verdicts = Vec::new();
    for (scheme, level) in [
        ("eu-iot", "basic"),
        ("eu-iot", "substantial"),
        ("eucc", "substantial"),
    ] {
        let sid = SchemeId::new(scheme).map_err(bad("scheme"))?;
        let lid = LevelId::new(level).map_err(bad("level"))?;
        let s = catalogue.get(&sid).ok_or_else(|| ServiceError::Invalid {
            field: "scheme".into(),
            problem: format!("`demo --scale` needs the scheme `{scheme}` in the catalogue"),
        })?;
        let l = s.level(&lid).ok_or_else(|| ServiceError::Invalid {
            field: "level".into(),
            problem: format!("`demo --scale` needs the level `{level}` of `{scheme}`"),
        })?;
        let v: VerdictInput = s
            .required_at(l)
            .into_iter()
            .map(|r| {
                let verdict = if r.conditional && r.id.starts_with("5.8") {
                    Verdict::NotApplicable {
                        justification: "The device has no sensors that collect personal data."
                            .into(),
                    }
                } else {
                    Verdict::Pass
                };
                (r.id.clone(), verdict)
            })
            .collect();
        verdicts.push((sid, lid, v));
    }
    let s = Scale {
        reg,
        clock,
        now,
        verdicts,
        services: Vec::new(),
        summary: ScaleSummary::default(),
        last_certificate: None,
    };

    let enisa = s
        .organisation(
            None,
            "enisa",
            "European Union Agency for Cybersecurity",
            OrgRole::RegistryOperator,
            "GR",
        )
        .await?;
    for (id, name, ms) in [
        ("nl-rdi", "Rijksinspectie Digitale Infrastructuur", "NL"),
        (
            "de-bsi",
            "Bundesamt für Sicherheit in der Informationstechnik",
            "DE",
        ),
        (
            "fr-anssi",
            "Agence nationale de la sécurité des systèmes d'information",
            "FR",
        ),
    ] {
        s.organisation(Some("enisa"), id, name, OrgRole::NationalAuthority, ms)
            .await?;
    }
    for (id, name, ms, by) in [
        ("nl-lab", "Delta Test Lab B.V.", "NL", "nl-rdi"),
        ("de-lab", "Rhein Prüflabor GmbH", "DE", "de-bsi"),
        ("fr-lab", "Laboratoire Sécurité Connectée", "FR", "fr-anssi"),
    ] {
        s.organisation(Some(by), id, name, OrgRole::AssessmentBody, ms)
            .await?;
        let authority = Actor::system(org(by)?, "demo-scale");
        s.reg
            .authorise(
                &authority,
                &org(id)?,
                &SchemeId::new("eu-iot").map_err(bad("scheme"))?,
                &LevelId::new("substantial").map_err(bad("level"))?,
            )
            .await?;
        if id == "de-lab" {
            s.reg
                .authorise(
                    &authority,
                    &org(id)?,
                    &SchemeId::new("eucc").map_err(bad("scheme"))?,
                    &LevelId::new("substantial").map_err(bad("level"))?,
                )
                .await?;
        }
    }
    for (id, name, ms) in MAKERS {
        s.organisation(Some("enisa"), id, name, OrgRole::Manufacturer, ms)
            .await?;
    }

    Ok((s, enisa))
}

/// The advisory import of the last day, then the read model made current: every certificate
/// (`refresh: None`), or only those the use cases wrote (the bulk path stored the others' rows
/// as of now).
async fn finish<S: RegistryStore + KeyStore + VulnStore + Clone + 'static>(
    mut s: Scale<S>,
    enisa: &Actor,
    refresh: Option<Vec<CertificateId>>,
) -> ServiceResult<ScaleSummary> {
    let now = s.now;
    // The advisory arrives today: every vulnerable software list gets a finding.
    s.clock.set(now);
    let path = std::env::temp_dir().join(format!(
        "keurmerk-demo-scale-{}-GO-2020-0001.json",
        std::process::id()
    ));
    std::fs::write(&path, ADVISORY).map_err(|e| ServiceError::Invalid {
        field: "advisory".into(),
        problem: format!("cannot write {}: {e}", path.display()),
    })?;
    let imported = s.reg.import_advisories(enisa, &path, false, &|_| {}).await;
    let _ = std::fs::remove_file(&path);
    s.summary.rematched_versions = imported?.versions_rematched;
    // Statuses stored at a past point of the history that time has changed since are folded
    // and stored again as of now, so the first lookups read rows.
    match refresh {
        None => {
            s.reg.refresh_read_model().await?;
        }
        Some(ids) => {
            for id in ids {
                s.reg.refresh_status(&id).await?;
            }
        }
    }
    // Every due time was written under this catalogue's policies (by the use cases or the bulk
    // path): the scheduler's first pass need not recompute them all.
    s.reg.adopt_due_times().await?;
    Ok(std::mem::take(&mut s.summary))
}

#[cfg(test)]
mod tests {
    use super::mix;

    #[test]
    fn the_mix_is_fixed_and_spread() {
        assert_eq!(mix(0), mix(0));
        let self_declared = (0..10_000u64).filter(|i| (mix(*i) >> 52) % 10 <= 5).count();
        assert!((5_500..6_500).contains(&self_declared), "{self_declared}");
    }
}
