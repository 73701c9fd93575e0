//! The bulk path of `keurmerk demo --scale N` (ADR 0019): the same registry as the reference
//! path in [`super`], written a batch of certificates per transaction.
//!
//! What is the same as the use cases, per record: the text checks of `register_product`,
//! `add_version` and `set_support`; the software list parsed by the SBOM parser; the
//! certificate's validity by the rule `certify` applies; every event built as the use case
//! builds it, folded through the lifecycle table (`event::fold`), signed by the acting
//! organisation's key (the registry root key for the scheduler's events) and **verified** against
//! the trust list reads use before it is written; the label status evaluated from that fold
//! (`status::evaluate_monitored`, as `Registry::status` does) and stored as the read-model row;
//! the scheduler's due actions of that fold recorded as the scheduler would, and its next due
//! time stored. One audit record per product (its maker) and per event (its signer).
//!
//! What is decided once per batch, because it is provably the same for every record of a kind:
//! each organisation's role (makers register, labs and makers assess and issue), each lab's
//! authorisation for its scheme level (and the authority that granted it), each maker's
//! supervising authority, that the scheme is not legacy and the level needs no approval, and the
//! verdicts' judgement (one verdict set per scheme level). Nothing in the registry changes them
//! while seeding: the registry is new and only this process writes to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use keurmerk_domain::event::{fold, DependencySnapshot, Event, EventKind};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_domain::model::{
    Assessment, Certificate, Dependency, DependencyKind, IssuerKind, OrgRole, PasswordSetup,
    Product, ProductIdentifiers, ProductVersion, SupportCommitment, UpdatePolicy,
};
use keurmerk_domain::reason::ReasonCode;
use keurmerk_domain::schedule;
use keurmerk_domain::status::{evaluate_monitored, stale_after, Monitoring};
use keurmerk_store::{
    Audit, BulkBatch, BulkCertificate, BulkSbom, BulkStore, CounterMove, KeyStore, RegistryStore,
    StoredComponent, StoredSoftwareList, VulnStore,
};
use keurmerk_trust::{sign_statement, verify_statement, Role, SigningKey, TrustList};
use serde_json::json;

use super::{mix, org, Scale, CATEGORIES, HISTORY_DAYS, MAKERS, SERVICES};
use crate::error::invalid;
use crate::{Actor, ServiceError, ServiceResult};

/// Certificates per transaction.
pub const BATCH: u64 = 2_000;

/// Whether certificate `i` goes through the reference path in bulk mode: the cloud services
/// (others depend on them) and one in twenty of those the mix gives a vulnerable software list,
/// so their findings come from the real advisory import; the bulk path gives the others the
/// fixed component version.
pub(super) fn by_reference(i: u64) -> bool {
    i < SERVICES || (super::vulnerable_in_mix(i) && i % 20 == 0)
}

/// The software list of every bulk-seeded product with one: a web framework and a text library
/// that the seed's advisory (GO-2020-0001, gin) does not name, so the advisory import at the end
/// re-matches only the reference path's software lists (the import reads every component with
/// the advisory's package key and applies findings one product at a time: with gin in every
/// list that would be 250,000 products at 1,000,000 certificates).
fn bulk_software_list() -> String {
    r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
        {"type": "library", "name": "github.com/labstack/echo/v4", "version": "v4.11.4", "purl": "pkg:golang/github.com/labstack/echo/v4@v4.11.4"},
        {"type": "library", "name": "golang.org/x/text", "version": "v0.3.8", "purl": "pkg:golang/golang.org/x/text@v0.3.8"}]}"#
        .to_owned()
}

/// Who issues what, decided once (see the module docs).
pub(super) struct Issuers {
    /// Per maker: its supervising authority for self-declared `eu-iot basic`.
    maker_authority: BTreeMap<OrgId, Option<OrgId>>,
    /// Per (lab, scheme, level): the authority that authorised it.
    lab_authority: BTreeMap<(OrgId, SchemeId, LevelId), OrgId>,
    /// Per (scheme, level): the judged verdicts.
    passed: BTreeMap<(SchemeId, LevelId), bool>,
    /// The registry operator the scheduler acts as.
    operator: OrgId,
    /// Signing keys, per organisation, and the root key.
    keys: BTreeMap<OrgId, (SigningKey, Role)>,
    root: SigningKey,
    /// The trust list reads verify against, and its digest.
    trust: Arc<TrustList>,
    trust_digest: String,
    /// The bulk software list, parsed once.
    sbom: SoftwareList,
}

/// A software list parsed once: the document, its format name and its matchable components
/// (position, package key, purl, version).
struct SoftwareList {
    document: Arc<[u8]>,
    sha256: Arc<str>,
    parsed: keurmerk_vuln::sbom::Sbom,
    format: String,
    components: Vec<(i64, String, String, String)>,
}

/// One certificate's records, before signing.
struct Planned {
    product: Product,
    versions: Vec<ProductVersion>,
    support: SupportCommitment,
    sbom: bool,
    /// The maker's signed record of the software list (when `sbom`), once signed.
    sbom_record: Option<Arc<[u8]>>,
    dependency: Option<Dependency>,
    assessment: Assessment,
    certificate: Certificate,
    events: Vec<Event>,
    maker: OrgId,
}

fn text_ok(field: &str, v: &str, max: usize) -> ServiceResult<()> {
    crate::orgs::check_text(field, v, max)
}

impl<S: RegistryStore + KeyStore + VulnStore + BulkStore + Clone + 'static> Scale<S> {
    async fn issuers(&self) -> ServiceResult<Issuers> {
        let reg = &self.reg;
        let mut maker_authority = BTreeMap::new();
        let mut keys = BTreeMap::new();
        let orgs = reg.store().orgs().await?;
        let eu_iot = SchemeId::new("eu-iot").map_err(super::bad("scheme"))?;
        let basic = LevelId::new("basic").map_err(super::bad("level"))?;
        let scheme = reg.active_scheme(&eu_iot)?;
        let level = crate::assess::scheme_level(scheme, &basic)?;
        if !level.self_assessment || scheme.third_party_only {
            return Err(ServiceError::Forbidden(
                "eu-iot basic cannot be self-declared by this catalogue".into(),
            ));
        }
        for (id, _, _) in MAKERS {
            let actor = Actor::system(org(id)?, "demo-scale");
            let me = reg
                .acting_as(&actor, &[OrgRole::Manufacturer], "register products")
                .await?;
            // As `certify` names it for a self-declared certificate.
            let authority = if scheme.applies_in(&me.member_state) {
                orgs.iter()
                    .find(|o| {
                        o.role == OrgRole::NationalAuthority && o.member_state == me.member_state
                    })
                    .map(|o| o.id.clone())
            } else {
                None
            };
            maker_authority.insert(me.id.clone(), authority);
        }
        let mut lab_authority = BTreeMap::new();
        let mut passed = BTreeMap::new();
        for (s, l, verdicts) in &self.verdicts {
            let scheme = reg.active_scheme(s)?;
            let level = crate::assess::scheme_level(scheme, l)?;
            if level.authority_approval {
                return Err(ServiceError::Forbidden(format!(
                    "{s} {l} needs an authority's approval per assessment: not seeded in bulk"
                )));
            }
            passed.insert(
                (s.clone(), l.clone()),
                crate::assess::judge(scheme, level, verdicts)?,
            );
            for lab in ["nl-lab", "de-lab", "fr-lab"] {
                let lab = org(lab)?;
                reg.acting_as(
                    &Actor::system(lab.clone(), "demo-scale"),
                    &[OrgRole::AssessmentBody],
                    "issue certificates",
                )
                .await?;
                if let Some(a) = reg.active_authorisation(&lab, s, l).await? {
                    lab_authority.insert((lab, s.clone(), l.clone()), a.granted_by);
                }
            }
        }
        let start = self.now - Duration::days(HISTORY_DAYS);
        for o in &orgs {
            if o.role == OrgRole::RegistryOperator {
                continue;
            }
            // Every key is valid over the whole history (created before it, for five years).
            let key = reg.org_signing_key(&o.id, start).await?;
            let later = reg.org_signing_key(&o.id, self.now).await?;
            if key.key_id() != later.key_id() {
                return Err(ServiceError::Conflict(format!(
                    "{} changed keys during the history; not seeded in bulk",
                    o.id
                )));
            }
            keys.insert(o.id.clone(), (key, crate::signing::role_of(o.role)));
        }
        let root = reg.root_signing_key(self.now).await?;
        let operator = orgs
            .iter()
            .find(|o| o.role == OrgRole::RegistryOperator)
            .map(|o| o.id.clone())
            .ok_or_else(|| ServiceError::Forbidden("no registry operator".into()))?;
        let (trust, digest, _) = reg.trust_for_reads(false).await?;
        let bytes: Arc<[u8]> = bulk_software_list().into_bytes().into();
        let parsed = keurmerk_vuln::sbom::parse_slice("bom.json", &bytes)
            .map_err(|e| invalid("sbom", e.to_string()))?;
        // Matchable as `attach_sbom` stores them; each product's copy names its own version.
        let components =
            crate::softwarelists::components_of(&RecordId::from_sequence("VER", 0), &parsed)
                .into_iter()
                .map(|c| (c.idx, c.pkg_key, c.purl, c.version))
                .collect();
        Ok(Issuers {
            maker_authority,
            lab_authority,
            passed,
            operator,
            keys,
            root,
            trust,
            trust_digest: hex::encode(digest),
            sbom: SoftwareList {
                sha256: keurmerk_trust::software_list_sha256(&bytes).into(),
                document: bytes,
                format: format!("{:?}", parsed.format),
                components,
                parsed,
            },
        })
    }
}

/// Counters one batch numbers from.
#[derive(Default)]
struct Numbers {
    moves: BTreeMap<String, (u64, u64)>,
}

impl Numbers {
    fn next(&mut self, name: &str) -> u64 {
        let e = self.moves.get_mut(name).map(|(_, to)| {
            *to += 1;
            *to
        });
        e.unwrap_or(0)
    }
}

impl<S: RegistryStore + KeyStore + VulnStore + BulkStore + Clone + 'static> Scale<S> {
    async fn numbers(&self, years: &[i32]) -> ServiceResult<Numbers> {
        let mut n = Numbers::default();
        let mut names: Vec<String> = ["PRD", "VER", "ASM", "DEP"].map(String::from).to_vec();
        names.extend(years.iter().map(|y| format!("KM-{y}")));
        for name in names {
            let v = self.reg.store().current_sequence(&name).await?;
            n.moves.insert(name, (v, v));
        }
        Ok(n)
    }

    /// Plans certificate `i` of `n` exactly as [`Scale::certificate`] seeds it (same mix).
    #[allow(clippy::too_many_lines)]
    fn plan(
        &self,
        i: u64,
        n: u64,
        iss: &Issuers,
        nums: &mut Numbers,
        dep_state: &BTreeMap<CertificateId, (State, NaiveDate)>,
    ) -> ServiceResult<Planned> {
        let r = mix(i);
        let span = HISTORY_DAYS * 86_400 - 86_400;
        let offset =
            i64::try_from(u128::from(i) * span as u128 / u128::from(n.max(1))).unwrap_or(span);
        let issued_at = self.now - Duration::days(HISTORY_DAYS) + Duration::seconds(offset);
        let today = issued_at.date_naive();
        let (maker_id, _, ms) = MAKERS[(r % MAKERS.len() as u64) as usize];
        let maker = org(maker_id)?;
        let (category, word) = CATEGORIES[((r >> 8) % CATEGORIES.len() as u64) as usize];
        let name = format!(
            "{} {word} {}",
            MAKERS[(r % 12) as usize].1,
            100 + (r >> 20) % 900
        );
        let model = format!("M{i:08}");
        text_ok("name", &name, 200)?;
        text_ok("model", &model, 100)?;
        let product = Product {
            id: RecordId::from_sequence("PRD", nums.next("PRD")),
            manufacturer: maker.clone(),
            name,
            model,
            category,
            identifiers: ProductIdentifiers::default(),
            created_at: issued_at,
        };
        let count = 1 + (r >> 16) % 3;
        let mut versions = Vec::new();
        for v in 0..count {
            let version = format!("{}.{v}.0", 1 + (r >> 24) % 4);
            text_ok("version", &version, 100)?;
            versions.push(ProductVersion {
                id: RecordId::from_sequence("VER", nums.next("VER")),
                product: product.id.clone(),
                version,
                released_on: (issued_at - Duration::days(30 * (count - v) as i64)).date_naive(),
                security_update: v > 0 && (r >> 28) % 2 == 0,
                notes: None,
            });
        }
        let support_until = (self.now + Duration::days(((r >> 32) % 2920) as i64 - 730))
            .max(issued_at + Duration::days(30))
            .date_naive();
        let support = SupportCommitment {
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
        };
        text_ok("vulnerability_contact", &support.vulnerability_contact, 300)?;
        let sbom = (r >> 40) % 4 == 0;
        let dependency = if !self.services.is_empty() && (r >> 44) % 10 == 0 {
            let on = &self.services[((r >> 48) % self.services.len() as u64) as usize];
            Some(Dependency {
                id: RecordId::from_sequence("DEP", nums.next("DEP")),
                product: product.id.clone(),
                kind: DependencyKind::Cloud,
                provider: "a cloud provider".into(),
                service: format!("cloud service {on}"),
                certificate: Some(on.clone()),
            })
        } else {
            None
        };
        let pick = (r >> 52) % 10;
        let (assessor, kind, scheme_id, level_id) = match pick {
            0..=5 => (maker.clone(), IssuerKind::SelfDeclared, "eu-iot", "basic"),
            9 => (
                org("de-lab")?,
                IssuerKind::ThirdParty,
                "eucc",
                "substantial",
            ),
            _ => {
                let lab = match ms {
                    "DE" | "AT" | "PL" | "DK" => "de-lab",
                    "FR" | "BE" | "IT" | "ES" => "fr-lab",
                    _ => "nl-lab",
                };
                (org(lab)?, IssuerKind::ThirdParty, "eu-iot", "substantial")
            }
        };
        let scheme_id = SchemeId::new(scheme_id).map_err(super::bad("scheme"))?;
        let level_id = LevelId::new(level_id).map_err(super::bad("level"))?;
        let key = (scheme_id.clone(), level_id.clone());
        if iss.passed.get(&key) != Some(&true) {
            return Err(invalid(
                "assessment",
                format!("the verdicts do not meet {scheme_id} {level_id}"),
            ));
        }
        let authority = match kind {
            IssuerKind::SelfDeclared => iss.maker_authority.get(&maker).cloned().flatten(),
            _ => Some(
                iss.lab_authority
                    .get(&(assessor.clone(), scheme_id.clone(), level_id.clone()))
                    .cloned()
                    .ok_or_else(|| {
                        ServiceError::Forbidden(format!(
                            "{assessor} is not authorised by a national authority for {scheme_id} at level {level_id}"
                        ))
                    })?,
            ),
        };
        let verdicts = self.verdicts_for(scheme_id.as_str(), level_id.as_str())?;
        let assessment = Assessment {
            id: RecordId::from_sequence("ASM", nums.next("ASM")),
            product: product.id.clone(),
            version: versions[0].id.clone(),
            scheme: scheme_id.clone(),
            level: level_id.clone(),
            assessor: assessor.clone(),
            assessor_kind: kind,
            verdicts,
            evidence: vec![format!("Evaluation report {i:08}")],
            assessed_at: issued_at,
            passed: true,
            approved_by: None,
        };
        // The validity `certify` gives (see `Registry::certify`).
        let scheme = self.reg.active_scheme(&scheme_id)?;
        let mut max = crate::assess::add_months(today, scheme.policy.max_validity_months);
        if scheme.policy.valid_only_while_supported {
            if support.support_until < today {
                return Err(invalid("support", "support ended before the issue"));
            }
            max = max.min(support.support_until);
        }
        if max <= today {
            return Err(invalid("valid_until", format!("must be after {today}")));
        }
        let number = nums.next(&format!("KM-{}", today.year()));
        let id = CertificateId::from_sequence(today.year(), number);
        let certificate = Certificate {
            id: id.clone(),
            product: product.id.clone(),
            holder: maker.clone(),
            scheme: scheme_id.clone(),
            level: level_id.clone(),
            issuer: assessor.clone(),
            issuer_kind: kind,
            authority: authority.clone(),
            assessment: assessment.id.clone(),
            issued_at,
            valid_until: max,
            state: State::Active,
        };
        let dependencies = dependency
            .iter()
            .map(|d| {
                let (state, until) = d
                    .certificate
                    .as_ref()
                    .and_then(|c| dep_state.get(c))
                    .map_or((None, None), |(s, u)| (Some(*s), Some(*u)));
                DependencySnapshot {
                    id: d.id.clone(),
                    kind: d.kind,
                    provider: d.provider.clone(),
                    service: d.service.clone(),
                    certificate: d.certificate.clone(),
                    certificate_state: state,
                    certificate_valid_until: until,
                }
            })
            .collect();
        let mut events = vec![Event {
            seq: 0,
            certificate: id.clone(),
            at: issued_at,
            actor: assessor.clone(),
            role: ActorRole::Issuer,
            kind: EventKind::Issued {
                product: product.id.clone(),
                holder: maker.clone(),
                scheme: scheme_id.clone(),
                level: level_id.clone(),
                issuer: assessor.clone(),
                issuer_kind: kind,
                authority,
                assessment: assessment.id.clone(),
                valid_until: max,
                support_until: Some(support.support_until),
                versions: vec![crate::products::covered(&versions[0])],
                dependencies,
            },
        }];
        // A lab suspends or withdraws some of what it certified, as the reference path does.
        let fate = (r >> 56) % 20;
        if kind == IssuerKind::ThirdParty && fate < 3 {
            let at = (issued_at + Duration::days(20)).min(self.now - Duration::hours(1));
            let reason = "The maker did not fix a reported weakness in time.".to_owned();
            let command = if fate < 2 {
                keurmerk_domain::lifecycle::Command::Suspend
            } else {
                keurmerk_domain::lifecycle::Command::Withdraw
            };
            let reason_code = Some(
                ReasonCode::check(
                    ReasonCode::VulnerabilityNotFixed.as_str(),
                    command,
                    Some(&reason),
                )
                .map_err(|e| invalid("reason_code", e.to_string()))?,
            );
            let kind = if fate < 2 {
                let until =
                    at.date_naive() + chrono::Days::new(scheme.policy.max_suspension_days.into());
                EventKind::Suspended {
                    reason,
                    until: Some(until),
                    reason_code,
                    reason_lang: None,
                    scheduled: None,
                }
            } else {
                EventKind::Withdrawn {
                    reason,
                    reason_code,
                    reason_lang: None,
                    scheduled: None,
                }
            };
            events.push(Event {
                seq: 0,
                certificate: id.clone(),
                at,
                actor: assessor.clone(),
                role: ActorRole::Issuer,
                kind,
            });
        }
        Ok(Planned {
            product,
            versions,
            support,
            sbom,
            sbom_record: None,
            dependency,
            assessment,
            certificate,
            events,
            maker,
        })
    }

    /// Seeds certificates `from..to` of `n` (none of them [`by_reference`]) in one transaction.
    pub(super) async fn bulk_batch(
        &mut self,
        range: &[u64],
        n: u64,
        iss: &Issuers,
    ) -> ServiceResult<()> {
        let now = self.now;
        let mut years: Vec<i32> = Vec::new();
        for &i in range {
            let offset = i64::try_from(
                u128::from(i) * (HISTORY_DAYS * 86_400 - 86_400) as u128 / u128::from(n.max(1)),
            )
            .unwrap_or(0);
            let y = (now - Duration::days(HISTORY_DAYS) + Duration::seconds(offset)).year();
            if !years.contains(&y) {
                years.push(y);
            }
        }
        let mut nums = self.numbers(&years).await?;
        let mut dep_state = BTreeMap::new();
        for s in &self.services {
            if let Some((c, _)) = self.reg.store().certificate(s).await? {
                dep_state.insert(s.clone(), (c.state, c.valid_until));
            }
        }
        let mut planned = Vec::with_capacity(range.len());
        for &i in range {
            planned.push(self.plan(i, n, iss, &mut nums, &dep_state)?);
        }
        // Events: the use cases' ones, folded (the lifecycle table), then what the scheduler
        // finds due now, recorded as the scheduler records it.
        let mut seq = self.reg.store().last_event_seq().await?;
        let events_after = seq;
        let mut audits = Vec::new();
        let mut certs = Vec::with_capacity(planned.len());
        let mut to_sign: Vec<(usize, usize)> = Vec::new();
        for (k, p) in planned.iter_mut().enumerate() {
            let scheme = self.reg.active_scheme(&p.certificate.scheme)?;
            let ctx = schedule::Context {
                policy: &scheme.policy,
                issuer_authorisation_end: None,
            };
            let mut view = fold(&p.events)?;
            for _ in 0..schedule::MAX_ACTIONS {
                let Some(a) = schedule::next_action(&view, &ctx).filter(|a| a.due_at <= now) else {
                    break;
                };
                let e = Event {
                    seq: 0,
                    certificate: p.certificate.id.clone(),
                    at: now,
                    actor: iss.operator.clone(),
                    role: ActorRole::Scheduler,
                    kind: a.kind,
                };
                keurmerk_domain::event::apply(&mut view, &e)?;
                p.events.push(e);
            }
            for e in &mut p.events {
                seq += 1;
                e.seq = seq;
            }
            let view = fold(&p.events)?;
            p.certificate.state = view.state;
            // The version counts as monitored only as the fold counts it: by its maker's
            // signed record of the list, proven against the trust list reads use.
            let with_sbom: Vec<RecordId> = if p.sbom {
                let (key, _) = iss.keys.get(&p.product.manufacturer).ok_or_else(|| {
                    crate::error::not_found("signing key", &p.product.manufacturer)
                })?;
                let record = crate::softwarelists::signed_record(
                    &p.product,
                    &p.versions[0],
                    "bom.json",
                    &iss.sbom.parsed,
                    &iss.sbom.document,
                    p.product.created_at,
                    key,
                )?;
                let (proven, unproven) = crate::softwarelists::prove(
                    &p.product,
                    &[StoredSoftwareList {
                        version_id: p.versions[0].id.clone(),
                        sha256: Some(iss.sbom.sha256.to_string()),
                        record: Some(record.clone()),
                    }],
                    &iss.trust,
                );
                if let Some(u) = unproven.first() {
                    return Err(ServiceError::Forbidden(format!(
                        "the software list record of {u} would not count"
                    )));
                }
                p.sbom_record = Some(record.into());
                proven.versions().to_vec()
            } else {
                Vec::new()
            };
            let mut report = evaluate_monitored(
                &view,
                &scheme.policy,
                &Monitoring::of(&view, &with_sbom),
                now,
            );
            report.setup = Some(p.support.setup());
            let next_due = schedule::next_due(&view, &ctx);
            for (j, e) in p.events.iter().enumerate() {
                to_sign.push((k, j));
                let (who, credential) = if e.role == ActorRole::Scheduler {
                    (iss.operator.clone(), "scheduler")
                } else {
                    (e.actor.clone(), "demo-scale")
                };
                audits.push(Audit {
                    at: e.at,
                    actor: Some(who),
                    credential: crate::Credential::System(credential.into()),
                    action: match &e.kind {
                        EventKind::Issued { .. } => "certificate.issue".into(),
                        _ if e.role == ActorRole::Scheduler => "certificate.scheduled".into(),
                        k => format!("certificate.{}", k.name()),
                    },
                    subject: e.certificate.to_string(),
                    detail: json!({"event": e.kind.name(), "role": e.role, "bulk": true,
                        "assessment": p.assessment.id}),
                });
            }
            audits.push(Audit {
                at: p.product.created_at,
                actor: Some(p.maker.clone()),
                credential: crate::Credential::System("demo-scale".into()),
                action: "product.register".into(),
                subject: p.product.id.to_string(),
                detail: json!({"name": p.product.name, "model": p.product.model, "bulk": true,
                    "versions": p.versions.iter().map(|v| v.id.to_string()).collect::<Vec<_>>(),
                    "support_until": p.support.support_until, "software_list": p.sbom,
                    "dependency": p.dependency.as_ref().map(|d| d.id.to_string())}),
            });
            certs.push((report, stale_after(&view, &scheme.policy, now), next_due));
        }
        // Sign and verify every statement, in parallel (pure work).
        let statements = self.sign_all(&planned, &to_sign, iss)?;
        let mut statements = statements.into_iter();
        let mut batch = BulkBatch {
            events_after,
            ..BulkBatch::default()
        };
        for (p, (report, stale, next_due)) in planned.into_iter().zip(certs) {
            let mut events = Vec::with_capacity(p.events.len());
            let mut newest = None;
            for e in p.events {
                let (s, verdict) = statements
                    .next()
                    .ok_or_else(|| invalid("statement", "a statement is missing"))?;
                newest = verdict;
                events.push((e, s));
            }
            if let Some(record) = p.sbom_record {
                batch.sboms.push(BulkSbom {
                    version: p.versions[0].id.clone(),
                    name: "bom.json".into(),
                    format: iss.sbom.format.clone(),
                    document: iss.sbom.document.clone(),
                    sha256: iss.sbom.sha256.clone(),
                    record,
                    components: iss
                        .sbom
                        .components
                        .iter()
                        .map(|(idx, key, purl, version)| StoredComponent {
                            version_id: p.versions[0].id.clone(),
                            idx: *idx,
                            pkg_key: key.clone(),
                            purl: purl.clone(),
                            version: version.clone(),
                        })
                        .collect(),
                    uploaded_at: p.product.created_at,
                });
                self.summary.with_sbom += 1;
            }
            if let Some(d) = p.dependency {
                batch.dependencies.push(d);
                self.summary.with_dependency += 1;
            }
            match p.certificate.state {
                State::Suspended => self.summary.suspended += 1,
                State::Withdrawn => self.summary.withdrawn += 1,
                _ => {}
            }
            self.summary.certificates += 1;
            batch.support.push((p.product.id.clone(), p.support));
            batch.products.push(p.product);
            batch.versions.extend(p.versions);
            batch.assessments.push(p.assessment);
            // The page's body: the events just signed and verified (`sign_all`), and who signed
            // the last one, as a first page view would store them.
            let proven: Vec<_> = events.iter().map(|(e, _)| e.clone()).collect();
            let page = crate::readmodel::page_body(&proven, newest.as_ref())
                .map_err(|e| invalid("certificate page", e.to_string()))?;
            batch.certificates.push(BulkCertificate {
                certificate: p.certificate,
                events,
                report,
                computed_at: now,
                stale_after: stale,
                policy: self.reg.policy_fingerprint.to_string(),
                trust: iss.trust_digest.clone(),
                next_due,
                page: Some(page),
            });
        }
        batch.audits = audits;
        batch.counters = nums
            .moves
            .into_iter()
            .filter(|(_, (from, to))| from != to)
            .map(|(name, (from, to))| CounterMove { name, from, to })
            .collect();
        self.reg.store().write_bulk(&batch).await?;
        Ok(())
    }

    /// Each statement of `which`, signed and verified, with who signed it for the last event of
    /// its certificate (what the page's read model stores).
    fn sign_all(
        &self,
        planned: &[Planned],
        which: &[(usize, usize)],
        iss: &Issuers,
    ) -> ServiceResult<Vec<(Vec<u8>, Option<crate::AuthenticSignature>)>> {
        type Signed = (Vec<u8>, Option<crate::AuthenticSignature>);
        let one = |&(k, j): &(usize, usize)| -> ServiceResult<Signed> {
            let p = &planned[k];
            let e = &p.events[j];
            let (key, role) = if e.role.is_registry() {
                (&iss.root, Role::Registry)
            } else {
                let (key, role) = iss
                    .keys
                    .get(&e.actor)
                    .ok_or_else(|| crate::error::not_found("signing key", &e.actor))?;
                (key, *role)
            };
            let st = crate::statement::statement_for(
                e,
                p.certificate.scheme.as_str(),
                p.certificate.level.as_str(),
                key,
                role,
            )?;
            let bytes =
                sign_statement(&st, key).map_err(|e| invalid("statement", e.to_string()))?;
            // Never written unless a verifier would accept it (role, scope, date).
            let verified = verify_statement(&bytes, &iss.trust, e.at).map_err(|err| {
                ServiceError::Forbidden(format!(
                    "the statement for this {} of {} would not verify: {err}",
                    e.kind.name(),
                    e.certificate
                ))
            })?;
            let newest =
                (j + 1 == p.events.len()).then(|| crate::AuthenticSignature::of(&verified, e.seq));
            Ok((bytes, newest))
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let chunk = which.len().div_ceil(threads).max(1);
        let parts: Vec<ServiceResult<Vec<Signed>>> = std::thread::scope(|s| {
            let handles: Vec<_> = which
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().map(one).collect::<ServiceResult<Vec<_>>>()))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(invalid("statement", "a signing thread panicked")))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(which.len());
        for p in parts {
            out.extend(p?);
        }
        Ok(out)
    }

    /// Seeds certificates `SERVICES..n` in batches, the [`by_reference`] ones through the use
    /// cases after the batch they fall in.
    pub(super) async fn bulk(
        &mut self,
        n: u64,
        batch: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> ServiceResult<Vec<CertificateId>> {
        let iss = self.issuers().await?;
        let mut reference = Vec::new();
        let mut done = SERVICES.min(n);
        let mut i = SERVICES.min(n);
        while i < n {
            let end = (i + batch).min(n);
            let (slow, fast): (Vec<u64>, Vec<u64>) = (i..end).partition(|&k| by_reference(k));
            if !fast.is_empty() {
                self.bulk_batch(&fast, n, &iss).await?;
            }
            for k in slow {
                self.certificate(k, n).await?;
                if let Some(id) = self.last_certificate.take() {
                    reference.push(id);
                }
            }
            done += end - i;
            progress(done);
            i = end;
        }
        Ok(reference)
    }
}
