//! A realistic demo registry, seeded through the use cases (so every rule applies) with a manual
//! clock, so that its dates are relative to "now": one certificate has expired, one's support ends
//! within 90 days, whenever the demo is run.

use std::sync::Arc;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::model::{
    Category, ChangeClass, DependencyKind, OrgRole, PasswordSetup, ProductIdentifiers,
    SupportCommitment, UpdatePolicy, Verdict,
};
use keurmerk_domain::reason::ReasonCode;
use keurmerk_domain::scheme::{Catalogue, SchemeStatus};
use keurmerk_store::{KeyStore, RegistryStore, VulnStore};
use serde::Serialize;

use crate::{
    Actor, LifecycleRequest, ManualClock, NewAssessment, NewDependency, NewOrganisation,
    NewProduct, NewVersion, Registry, ServiceError, ServiceResult,
};

/// What the demo created.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Organisations by role.
    pub organisations: Vec<(OrgId, OrgRole)>,
    /// Products.
    pub products: Vec<(RecordId, String)>,
    /// Certificates with a one-line description.
    pub certificates: Vec<(CertificateId, String)>,
}

fn invalid_id(field: &str) -> impl FnOnce(keurmerk_domain::ids::IdError) -> ServiceError + '_ {
    move |e| ServiceError::Invalid {
        field: field.into(),
        problem: e.to_string(),
    }
}

fn id(s: &str) -> ServiceResult<OrgId> {
    OrgId::new(s).map_err(invalid_id("id"))
}

fn scheme_id(s: &str) -> ServiceResult<SchemeId> {
    SchemeId::new(s).map_err(invalid_id("scheme"))
}

fn level_id(s: &str) -> ServiceResult<LevelId> {
    LevelId::new(s).map_err(invalid_id("level"))
}

struct Seeder<S> {
    reg: Registry<S>,
    clock: Arc<ManualClock>,
    now: DateTime<Utc>,
    summary: DemoSummary,
}

impl<S: RegistryStore + VulnStore + keurmerk_store::ImageStore + Clone> Seeder<S> {
    fn at(&self, days_ago: i64) {
        self.clock.set(self.now - Duration::days(days_ago));
    }

    fn date(&self, days_from_now: i64) -> NaiveDate {
        (self.now + Duration::days(days_from_now)).date_naive()
    }

    async fn org(
        &mut self,
        by: Option<&str>,
        oid: &str,
        name: &str,
        role: OrgRole,
        ms: &str,
        contact: &str,
    ) -> ServiceResult<Actor> {
        let new = NewOrganisation {
            id: id(oid)?,
            name: name.into(),
            role,
            member_state: ms.into(),
            contact: Some(contact.into()),
        };
        match by {
            None => self.reg.bootstrap_operator(new).await?,
            Some(by) => {
                self.reg
                    .create_organisation(&Actor::system(id(by)?, "demo"), new)
                    .await?
            }
        };
        self.summary.organisations.push((id(oid)?, role));
        // Every organisation signs what it does: its key is valid from its registration.
        self.reg
            .create_key(
                &id(oid)?,
                crate::KeyScope {
                    valid_until: Some(self.now + Duration::days(3 * 365)),
                    ..Default::default()
                },
            )
            .await?;
        if by.is_none() {
            self.reg
                .create_root_key(crate::KeyScope {
                    valid_until: Some(self.now + Duration::days(3 * 365)),
                    ..Default::default()
                })
                .await?;
        }
        Ok(Actor::system(id(oid)?, "demo"))
    }

    #[allow(clippy::too_many_arguments)]
    async fn product(
        &mut self,
        maker: &Actor,
        name: &str,
        model: &str,
        category: Category,
        gtin: Option<&str>,
        purl: Option<&str>,
        support_days: i64,
        versions: &[(&str, i64, bool)],
    ) -> ServiceResult<(RecordId, Vec<RecordId>)> {
        let p = self
            .reg
            .register_product(
                maker,
                NewProduct {
                    name: name.into(),
                    model: model.into(),
                    category,
                    identifiers: ProductIdentifiers {
                        gtin: gtin.map(Into::into),
                        purl: purl.map(Into::into),
                        cpe: None,
                    },
                },
            )
            .await?;
        let mut ids = Vec::new();
        for (v, days_ago, security) in versions {
            let ver = self
                .reg
                .add_version(
                    maker,
                    &p.id,
                    NewVersion {
                        version: (*v).into(),
                        released_on: self.date(-days_ago),
                        security_update: *security,
                        notes: security.then(|| "Fixes security problems. Install it.".to_owned()),
                    },
                )
                .await?;
            ids.push(ver.id);
        }
        self.reg
            .set_support(
                maker,
                &p.id,
                SupportCommitment {
                    support_until: self.date(support_days),
                    update_policy: UpdatePolicy::Automatic,
                    vulnerability_contact: "security@example.eu".into(),
                    disclosure_policy_url: Some("https://example.eu/security/disclosure".into()),
                    // Every demo product's owner is told what the maker said (US Cyber Trust
                    // Mark style): a password chosen at first use, and where updates are.
                    password: Some(PasswordSetup::SetOnFirstUse),
                    updates_url: Some("https://example.eu/support/updates".into()),
                },
            )
            .await?;
        self.summary.products.push((p.id.clone(), name.into()));
        Ok((p.id, ids))
    }

    fn verdicts(&self, scheme: &str, level: &str) -> ServiceResult<crate::VerdictInput> {
        let s = self
            .reg
            .catalogue()
            .get(&scheme_id(scheme)?)
            .ok_or_else(|| ServiceError::Invalid {
                field: "scheme".into(),
                problem: scheme.into(),
            })?;
        let level = level_id(level)?;
        let l = s.level(&level).ok_or_else(|| ServiceError::Invalid {
            field: "level".into(),
            problem: level.to_string(),
        })?;
        Ok(s.required_at(l)
            .into_iter()
            .map(|r| {
                let v = if r.conditional && r.id.starts_with("5.8") {
                    Verdict::NotApplicable {
                        justification: "The device has no sensors that collect personal data."
                            .into(),
                    }
                } else {
                    Verdict::Pass
                };
                (r.id.clone(), v)
            })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn certify(
        &mut self,
        assessor: &Actor,
        approver: Option<&Actor>,
        product: &RecordId,
        version: &RecordId,
        scheme: &str,
        level: &str,
        valid_months: Option<u32>,
        what: &str,
    ) -> ServiceResult<CertificateId> {
        let a = self
            .reg
            .record_assessment(
                assessor,
                NewAssessment {
                    product: product.clone(),
                    version: version.clone(),
                    scheme: scheme_id(scheme)?,
                    level: level_id(level)?,
                    verdicts: self.verdicts(scheme, level)?,
                    evidence: vec![format!(
                        "Evaluation report {}-{}",
                        scheme.to_uppercase(),
                        product
                    )],
                },
            )
            .await?;
        if let Some(nca) = approver {
            self.reg.approve_assessment(nca, &a.id).await?;
        }
        let valid_until = valid_months.and_then(|m| {
            self.reg
                .now()
                .date_naive()
                .checked_add_months(Months::new(m))
        });
        let c = self.reg.certify(assessor, &a.id, valid_until).await?;
        self.summary.certificates.push((c.id.clone(), what.into()));
        Ok(c.id)
    }
}

/// Seeds the demo registry into an empty store, with signing keys held in memory only (so labels
/// cannot be issued after this returns; use [`seed_with`] and a key directory for that).
/// Refuses a store that already has organisations.
pub async fn seed<
    S: RegistryStore + VulnStore + KeyStore + keurmerk_store::ImageStore + Clone + 'static,
>(
    store: S,
    catalogue: Arc<Catalogue>,
    now: DateTime<Utc>,
) -> ServiceResult<DemoSummary> {
    seed_with(store, catalogue, now, crate::Secrets::memory()).await
}

/// Seeds the demo registry, creating a signing key for every organisation and the registry root
/// key, with the private keys in `secrets`. Refuses a store that already has organisations.
pub async fn seed_with<
    S: RegistryStore + VulnStore + KeyStore + keurmerk_store::ImageStore + Clone + 'static,
>(
    store: S,
    catalogue: Arc<Catalogue>,
    now: DateTime<Utc>,
    secrets: crate::Secrets,
) -> ServiceResult<DemoSummary> {
    if !store.orgs().await?.is_empty() {
        return Err(ServiceError::Conflict(
            "the database is not empty; the demo seeds only an empty registry".into(),
        ));
    }
    let clock = Arc::new(ManualClock::new(now));
    let signer = crate::Signer::new(Arc::new(store.clone()), secrets);
    let reg = Registry::new(store, catalogue, clock.clone())
        .with_signer(signer)
        .with_local_credential(crate::Credential::System("demo".into()));
    let mut s = Seeder {
        reg,
        clock,
        now,
        summary: DemoSummary {
            organisations: vec![],
            products: vec![],
            certificates: vec![],
        },
    };

    // Three years and four months ago: the registry starts.
    s.at(1220);
    let enisa = s
        .org(
            None,
            "enisa",
            "European Union Agency for Cybersecurity (ENISA)",
            OrgRole::RegistryOperator,
            "GR",
            "info@enisa.example.eu",
        )
        .await?;
    let rdi = s
        .org(
            Some("enisa"),
            "nl-rdi",
            "Rijksinspectie Digitale Infrastructuur",
            OrgRole::NationalAuthority,
            "NL",
            "certificering@rdi.example.nl",
        )
        .await?;
    let bsi = s
        .org(
            Some("enisa"),
            "de-bsi",
            "Bundesamt für Sicherheit in der Informationstechnik",
            OrgRole::NationalAuthority,
            "DE",
            "zertifizierung@bsi.example.de",
        )
        .await?;
    let deltalab = s
        .org(
            Some("nl-rdi"),
            "delta-testlab",
            "Delta Test Lab B.V.",
            OrgRole::AssessmentBody,
            "NL",
            "certification@deltalab.example.nl",
        )
        .await?;
    let rhein = s
        .org(
            Some("de-bsi"),
            "rhein-pruef",
            "Rhein Prüflabor GmbH",
            OrgRole::AssessmentBody,
            "DE",
            "zert@rheinpruef.example.de",
        )
        .await?;
    let hh = s
        .org(
            Some("enisa"),
            "holland-home",
            "Holland Home Devices B.V.",
            OrgRole::Manufacturer,
            "NL",
            "security@hollandhome.example.nl",
        )
        .await?;
    let bc = s
        .org(
            Some("enisa"),
            "brightcam",
            "BrightCam GmbH",
            OrgRole::Manufacturer,
            "DE",
            "psirt@brightcam.example.de",
        )
        .await?;
    let nl = s
        .org(
            Some("enisa"),
            "nordlock",
            "NordLock Oy",
            OrgRole::Manufacturer,
            "FI",
            "security@nordlock.example.fi",
        )
        .await?;
    let nimbus = s
        .org(
            Some("enisa"),
            "nimbus-cloud",
            "Nimbus Cloud Services SE",
            OrgRole::Manufacturer,
            "DE",
            "security@nimbus.example.eu",
        )
        .await?;
    let eurolink = s
        .org(
            Some("enisa"),
            "eurolink",
            "EuroLink Connect N.V.",
            OrgRole::Manufacturer,
            "NL",
            "cert@eurolink.example.eu",
        )
        .await?;
    for (level, who) in [("substantial", &rdi), ("high", &rdi)] {
        s.reg
            .authorise(who, &deltalab.org, &scheme_id("eu-iot")?, &level_id(level)?)
            .await?;
    }
    for (scheme, level) in [
        ("eu-iot", "substantial"),
        ("eucc", "substantial"),
        ("eucc", "high"),
    ] {
        s.reg
            .authorise(&bsi, &rhein.org, &scheme_id(scheme)?, &level_id(level)?)
            .await?;
    }

    // An old router, certified 3 years and 2 months ago for 36 months: now expired.
    s.at(1190);
    let (old_router, v) = s
        .product(
            &hh,
            "HH Router N600",
            "HHR-N600",
            Category::Router,
            Some("8712345000011"),
            None,
            200,
            &[("3.1.0", 1300, false)],
        )
        .await?;
    s.certify(
        &deltalab,
        None,
        &old_router,
        &v[0],
        "eu-iot",
        "substantial",
        Some(36),
        "expired: validity ended",
    )
    .await?;

    // The services products depend on.
    s.at(400);
    let (cloud, v) = s
        .product(
            &nimbus,
            "Nimbus IoT Cloud",
            "NIC-2025",
            Category::CloudService,
            None,
            None,
            1800,
            &[("2025.4", 420, false)],
        )
        .await?;
    let cloud_cert = s
        .certify(
            &rhein,
            None,
            &cloud,
            &v[0],
            "eu-iot",
            "substantial",
            None,
            "cloud service, tested",
        )
        .await?;
    let (sim, v) = s
        .product(
            &eurolink,
            "EuroLink IoT Connect",
            "ELC-M2M",
            Category::ConnectivityService,
            None,
            None,
            1500,
            &[("5.2", 410, false)],
        )
        .await?;
    let sim_cert = s
        .certify(
            &deltalab,
            None,
            &sim,
            &v[0],
            "eu-iot",
            "substantial",
            None,
            "connectivity service, tested",
        )
        .await?;

    // Cameras and a baby monitor from BrightCam (DE).
    s.at(300);
    let (cam, v) = s
        .product(
            &bc,
            "BrightCam Indoor 2",
            "BC-IN2",
            Category::Camera,
            Some("4006381333931"),
            Some("pkg:generic/brightcam/indoor2-firmware@2.4.1"),
            1460,
            &[("2.4.0", 320, false), ("2.4.1", 200, true)],
        )
        .await?;
    // A few products carry a picture, set as a maker uploads one (checked the same way).
    s.reg
        .set_product_image(&bc, &cam, include_bytes!("../demo-assets/camera.png"))
        .await?;
    s.reg
        .add_dependency(
            &bc,
            &cam,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Nimbus Cloud Services SE".into(),
                service: "Nimbus IoT Cloud".into(),
                certificate: Some(cloud_cert.clone()),
            },
        )
        .await?;
    s.certify(
        &rhein,
        None,
        &cam,
        &v[1],
        "eu-iot",
        "substantial",
        None,
        "camera, tested, valid",
    )
    .await?;
    let (cam2, v) = s
        .product(
            &bc,
            "BrightCam Outdoor Pro",
            "BC-OUT-PRO",
            Category::Camera,
            None,
            None,
            1600,
            &[("1.8.2", 290, false)],
        )
        .await?;
    s.reg
        .add_dependency(
            &bc,
            &cam2,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Nimbus Cloud Services SE".into(),
                service: "Nimbus IoT Cloud".into(),
                certificate: Some(cloud_cert.clone()),
            },
        )
        .await?;
    s.reg
        .add_dependency(
            &bc,
            &cam2,
            NewDependency {
                kind: DependencyKind::Connectivity,
                provider: "EuroLink Connect N.V.".into(),
                service: "EuroLink IoT Connect".into(),
                certificate: Some(sim_cert.clone()),
            },
        )
        .await?;
    s.certify(
        &bc,
        None,
        &cam2,
        &v[0],
        "de-bsi-itsik",
        "declared",
        None,
        "camera, self-declared (BSI IT-SiK)",
    )
    .await?;
    let (baby, v) = s
        .product(
            &bc,
            "BrightCam Baby Monitor",
            "BC-BABY-1",
            Category::BabyMonitor,
            None,
            None,
            1400,
            &[("1.0.3", 280, false)],
        )
        .await?;
    s.reg
        .set_product_image(
            &bc,
            &baby,
            include_bytes!("../demo-assets/baby-monitor.png"),
        )
        .await?;
    s.reg
        .add_dependency(
            &bc,
            &baby,
            NewDependency {
                kind: DependencyKind::MobileApp,
                provider: "BrightCam GmbH".into(),
                service: "BrightCam app".into(),
                certificate: None,
            },
        )
        .await?;
    let baby_cert = s
        .certify(
            &rhein,
            None,
            &baby,
            &v[0],
            "eu-iot",
            "substantial",
            None,
            "baby monitor, tested, suspended",
        )
        .await?;

    // Holland Home (NL): routers and smart plugs.
    s.at(250);
    let (router, v) = s
        .product(
            &hh,
            "HH Router AX3000",
            "HHR-AX3000",
            Category::Router,
            Some("8712345000028"),
            None,
            1700,
            &[("4.0.2", 260, false)],
        )
        .await?;
    s.reg
        .set_product_image(&hh, &router, include_bytes!("../demo-assets/router.png"))
        .await?;
    s.certify(
        &rhein,
        Some(&bsi),
        &router,
        &v[0],
        "eucc",
        "high",
        Some(48),
        "router, EUCC high, approved by BSI",
    )
    .await?;
    let (plug, v) = s
        .product(
            &hh,
            "HH Smart Plug Mini",
            "HHP-MINI",
            Category::SmartPlug,
            Some("8712345000035"),
            None,
            60,
            &[("1.2.0", 700, false)],
        )
        .await?;
    s.reg
        .add_dependency(
            &hh,
            &plug,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Nimbus Cloud Services SE".into(),
                service: "Nimbus IoT Cloud".into(),
                certificate: Some(cloud_cert.clone()),
            },
        )
        .await?;
    s.certify(
        &hh,
        None,
        &plug,
        &v[0],
        "eu-iot",
        "basic",
        None,
        "smart plug, self-declared, support ends within 90 days",
    )
    .await?;
    let (plug2, v) = s
        .product(
            &hh,
            "HH Smart Plug Energy",
            "HHP-EN",
            Category::SmartPlug,
            None,
            None,
            1200,
            &[("2.0.1", 240, false)],
        )
        .await?;
    s.certify(
        &hh,
        None,
        &plug2,
        &v[0],
        "sg-cls",
        "l2",
        None,
        "smart plug, self-declared (Singapore CLS, 2 stars)",
    )
    .await?;
    let (thermo, v) = s
        .product(
            &hh,
            "HH Thermostat Touch",
            "HHT-T1",
            Category::Thermostat,
            None,
            None,
            1300,
            &[("3.3", 230, false)],
        )
        .await?;
    s.certify(
        &hh,
        None,
        &thermo,
        &v[0],
        "uk-psti",
        "compliant",
        None,
        "thermostat, UK PSTI statement of compliance",
    )
    .await?;
    let (plug3, v) = s
        .product(
            &hh,
            "HH Smart Plug Outdoor",
            "HHP-OUT",
            Category::SmartPlug,
            None,
            None,
            900,
            &[("1.0.0", 220, false)],
        )
        .await?;
    let withdrawn = s
        .certify(
            &hh,
            None,
            &plug3,
            &v[0],
            "eu-iot",
            "basic",
            None,
            "smart plug, self-declared, withdrawn",
        )
        .await?;

    // NordLock (FI): a smart lock tested at high, and a speaker.
    s.at(200);
    let (lock, v) = s
        .product(
            &nl,
            "NordLock Smart Lock S2",
            "NL-S2",
            Category::SmartLock,
            Some("6412345000012"),
            None,
            2000,
            &[("2.1.0", 210, false)],
        )
        .await?;
    s.reg
        .add_dependency(
            &nl,
            &lock,
            NewDependency {
                kind: DependencyKind::Connectivity,
                provider: "EuroLink Connect N.V.".into(),
                service: "EuroLink IoT Connect".into(),
                certificate: Some(sim_cert.clone()),
            },
        )
        .await?;
    s.certify(
        &deltalab,
        Some(&rdi),
        &lock,
        &v[0],
        "eu-iot",
        "high",
        None,
        "smart lock, tested at high, approved by RDI",
    )
    .await?;
    let (speaker, v) = s
        .product(
            &nl,
            "NordLock Voice Hub",
            "NL-VH1",
            Category::SmartSpeaker,
            None,
            None,
            1100,
            &[("1.4", 205, false)],
        )
        .await?;
    s.certify(
        &nl,
        None,
        &speaker,
        &v[0],
        "sg-cls",
        "l1",
        None,
        "smart speaker, self-declared (Singapore CLS, 1 star)",
    )
    .await?;

    // Recognition and market access (issue 11): a label an arrangement excludes by product
    // category, a declaration under a law whose legal status changes on a coming date, a
    // Japanese label accepted in Singapore for a simplified application (from 2026-06-01), and
    // a legacy Finnish label recognised as CLS Level 3.
    s.at(190);
    let (alarm, v) = s
        .product(
            &bc,
            "BrightCam Smoke Alarm",
            "BC-SMOKE-1",
            Category::Alarm,
            None,
            None,
            1500,
            &[("1.1.0", 195, false)],
        )
        .await?;
    s.certify(
        &bc,
        None,
        &alarm,
        &v[0],
        "de-bsi-itsik",
        "declared",
        None,
        "smoke alarm, self-declared (BSI IT-SiK): alarms are excluded from the Singapore arrangement",
    )
    .await?;
    let (mesh, v) = s
        .product(
            &hh,
            "HH Mesh Router",
            "HHR-MESH",
            Category::Router,
            None,
            None,
            1900,
            &[("1.0.4", 195, false)],
        )
        .await?;
    s.certify(
        &hh,
        None,
        &mesh,
        &v[0],
        "eu-cra",
        "conformity",
        None,
        "router, EU declaration of conformity under the Cyber Resilience Act (mandatory from 2027-12-11)",
    )
    .await?;
    let sakura = s
        .org(
            Some("enisa"),
            "sakura-devices",
            "Sakura Devices K.K.",
            OrgRole::Manufacturer,
            "JP",
            "security@sakura.example.jp",
        )
        .await?;
    let (sensor, v) = s
        .product(
            &sakura,
            "Sakura Smart Plug",
            "SK-PLUG-1",
            Category::SmartPlug,
            None,
            None,
            1200,
            &[("2.0", 195, false)],
        )
        .await?;
    s.certify(
        &sakura,
        None,
        &sensor,
        &v[0],
        "jp-jc-star",
        "star1",
        None,
        "smart plug, self-declared (JC-STAR ★1): simplified CLS Level 1 application from 2026-06-01",
    )
    .await?;
    // The Finnish label is legacy: it was issued while Traficom still issued labels, so it is
    // replayed under the catalogue as it was then (the scheme active), and read under today's.
    let traficom = s
        .org(
            Some("enisa"),
            "fi-traficom-ncsc",
            "Finnish Transport and Communications Agency Traficom (NCSC-FI)",
            OrgRole::NationalAuthority,
            "FI",
            "ncsc@traficom.example.fi",
        )
        .await?;
    let nordlab = s
        .org(
            Some("fi-traficom-ncsc"),
            "nordic-testlab",
            "Nordic Test Lab Oy",
            OrgRole::AssessmentBody,
            "FI",
            "labels@nordiclab.example.fi",
        )
        .await?;
    let current = s.reg.catalogue.clone();
    let then = current
        .with_status(&scheme_id("fi-traficom")?, SchemeStatus::Active)
        .ok_or_else(|| ServiceError::Invalid {
            field: "scheme".into(),
            problem: "fi-traficom".into(),
        })?;
    s.reg.catalogue = Arc::new(then);
    s.reg
        .authorise(
            &traficom,
            &nordlab.org,
            &scheme_id("fi-traficom")?,
            &level_id("labelled")?,
        )
        .await?;
    let (hub, v) = s
        .product(
            &nl,
            "NordLock Door Hub",
            "NL-DH1",
            Category::SmartLock,
            None,
            None,
            1000,
            &[("3.0.1", 195, false)],
        )
        .await?;
    let finnish = s
        .certify(
            &nordlab,
            None,
            &hub,
            &v[0],
            "fi-traficom",
            "labelled",
            None,
            "smart lock hub, Finnish label (legacy scheme), recognised as CLS Level 3",
        )
        .await;
    s.reg.catalogue = current;
    finnish?;

    // A smart plug certified 15 months ago whose maker stopped security updates two weeks ago:
    // the label is still in its validity period, but the scheme does not end labels with
    // support, so its status is "support ended".
    s.at(450);
    let (plug, v) = s
        .product(
            &hh,
            "HH Smart Plug Mini",
            "HHP-M1",
            Category::SmartPlug,
            Some("8712345000028"),
            None,
            -14,
            &[("1.4.2", 470, false)],
        )
        .await?;
    s.certify(
        &deltalab,
        None,
        &plug,
        &v[0],
        "eu-iot",
        "substantial",
        None,
        "smart plug: support ended, no more security updates",
    )
    .await?;

    // Events since: a suspension, a withdrawal, expiries.
    s.at(20);
    // The baby monitor was tested by a German lab, so BSI supervises it.
    s.reg
        .change_state(&bsi, &baby_cert, LifecycleRequest {
            command: Command::Suspend,
            reason: "Strangers could watch the video stream without a password. The maker must fix this first.".into(),
            until: None,
            reason_code: Some(ReasonCode::NonConformity.as_str().into()),
            reason_lang: Some("en".into()),
        })
        .await?;
    s.at(10);
    s.reg
        .change_state(
            &hh,
            &withdrawn,
            LifecycleRequest {
                command: Command::Withdraw,
                reason: "Het product is na een terugroepactie wegens een hardwarefout van de markt gehaald.".into(),
                until: None,
                reason_code: Some(ReasonCode::Recall.as_str().into()),
                reason_lang: Some("nl".into()),
            },
        )
        .await?;
    versions_demo(&mut s, &enisa, &rdi, &rhein, &bc).await?;
    update_record_demo(&mut s, &enisa, &rhein, &bc).await?;
    s.at(0);
    s.reg.expire_due(&enisa).await?;
    Ok(s.summary)
}

/// The demo's exploited critical problem: an excerpt of the OSV record of Log4Shell
/// (GHSA-jfh8-c2jp-5v3q, CVE-2021-44228; osv.dev, CC-BY 4.0), its first range only.
const LOG4SHELL: &str = r#"{"schema_version": "1.4.0", "id": "GHSA-jfh8-c2jp-5v3q", "modified": "2024-06-27T20:19:59Z",
  "published": "2021-12-10T00:40:56Z", "aliases": ["CVE-2021-44228"],
  "summary": "Remote code injection in Log4j",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}"#;

fn doorbell_sbom(log4j: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {{"type": "library", "name": "log4j-core", "group": "org.apache.logging.log4j", "version": "{log4j}",
          "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@{log4j}"}}]}}"#
    )
}

/// A doorbell whose version 1.0, still supported and in customers' hands, carries an exploited
/// critical problem that version 1.1 fixes: the label is not green, `?version=1.0` says
/// "install 1.1" and `?version=1.1` is fine. Version 1.1 comes in under the scheme's
/// patch-management rule (a security patch, covered at once on the holder's impact statement).
async fn versions_demo<S: RegistryStore + VulnStore + keurmerk_store::ImageStore + Clone>(
    s: &mut Seeder<S>,
    enisa: &Actor,
    rdi: &Actor,
    rhein: &Actor,
    bc: &Actor,
) -> ServiceResult<()> {
    s.at(9);
    let (bell, v) = s
        .product(
            bc,
            "BrightCam Video Doorbell",
            "BC-DB1",
            Category::Camera,
            None,
            None,
            1500,
            &[("1.0", 200, false)],
        )
        .await?;
    let cert = s
        .certify(
            rhein,
            None,
            &bell,
            &v[0],
            "eu-iot",
            "substantial",
            None,
            "video doorbell, tested: version 1.0 has an exploited critical problem, 1.1 fixes it",
        )
        .await?;
    s.at(8);
    s.reg
        .attach_sbom(
            bc,
            &v[0],
            "doorbell-1.0.cdx.json",
            doorbell_sbom("2.14.1").as_bytes(),
        )
        .await?;
    s.reg
        .import_advisory_document(enisa, "GHSA-jfh8-c2jp-5v3q.json", LOG4SHELL.as_bytes())
        .await?;
    s.reg.mark_exploited(rdi, "CVE-2021-44228").await?;
    s.at(3);
    let fixed = s
        .reg
        .add_version(
            bc,
            &bell,
            NewVersion {
                version: "1.1".into(),
                released_on: s.date(-3),
                security_update: true,
                notes: Some("Fixes security problems. Install it.".into()),
            },
        )
        .await?;
    s.reg
        .declare_version_change(
            bc,
            &cert,
            crate::VersionChange {
                version: fixed.id,
                class: ChangeClass::SecurityPatch,
                impact: "Updates log4j-core from 2.14.1 to 2.17.1 to fix CVE-2021-44228. No security function changes.".into(),
                sbom_name: "doorbell-1.1.cdx.json".into(),
                sbom: doorbell_sbom("2.17.1").into_bytes(),
            },
        )
        .await?;
    Ok(())
}

/// Excerpts of two OSV records of `lodash` (osv.dev, CC-BY 4.0), both high: CVE-2020-8203
/// (CVSS 7.4, fixed in 4.17.19) and CVE-2021-23337 (CVSS 7.2, fixed in 4.17.21).
const LODASH_2020: &str = r#"{"schema_version": "1.4.0", "id": "GHSA-p6mc-m468-83gw", "modified": "2024-02-01T13:03:01Z",
  "published": "2020-07-15T19:15:48Z", "aliases": ["CVE-2020-8203"],
  "summary": "Prototype Pollution in lodash",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.7.0"}, {"fixed": "4.17.19"}]}]}]}"#;
const LODASH_2021: &str = r#"{"schema_version": "1.4.0", "id": "GHSA-35jh-r3h4-6jhm", "modified": "2024-02-13T17:31:36Z",
  "published": "2021-05-06T16:05:51Z", "aliases": ["CVE-2021-23337"],
  "summary": "Command Injection in lodash",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#;

fn floodlight_sbom(lodash: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {{"type": "library", "name": "lodash", "version": "{lodash}",
          "purl": "pkg:npm/lodash@{lodash}"}}]}}"#
    )
}

/// A maker's update record worth reading (issue 12 item 5), through the normal use cases: the
/// BrightCam Floodlight Cam's 3.0 carries two serious problems; the first is found 400 days ago
/// and fixed by 3.1, covered 70 days later (late: the scheme gives 60), the second is found
/// after 3.1 was out (fixed on the day). Support ended 20 days ago, as BrightCam had promised.
async fn update_record_demo<S: RegistryStore + VulnStore + keurmerk_store::ImageStore + Clone>(
    s: &mut Seeder<S>,
    enisa: &Actor,
    rhein: &Actor,
    bc: &Actor,
) -> ServiceResult<()> {
    s.at(430);
    let (cam, v) = s
        .product(
            bc,
            "BrightCam Floodlight Cam",
            "BC-FL1",
            Category::Camera,
            None,
            None,
            -20,
            &[("3.0", 440, false)],
        )
        .await?;
    let cert = s
        .certify(
            rhein,
            None,
            &cam,
            &v[0],
            "eu-iot",
            "substantial",
            None,
            "floodlight camera, tested: a fix came late; support has ended as promised",
        )
        .await?;
    s.reg
        .attach_sbom(
            bc,
            &v[0],
            "floodlight-3.0.cdx.json",
            floodlight_sbom("4.17.15").as_bytes(),
        )
        .await?;
    s.at(400);
    s.reg
        .import_advisory_document(enisa, "GHSA-p6mc-m468-83gw.json", LODASH_2020.as_bytes())
        .await?;
    s.at(330);
    let fixed = s
        .reg
        .add_version(
            bc,
            &cam,
            NewVersion {
                version: "3.1".into(),
                released_on: s.date(-330),
                security_update: true,
                notes: Some("Fixes security problems. Install it.".into()),
            },
        )
        .await?;
    s.reg
        .declare_version_change(
            bc,
            &cert,
            crate::VersionChange {
                version: fixed.id,
                class: ChangeClass::SecurityPatch,
                impact: "Updates lodash to 4.17.21. No security function changes.".into(),
                sbom_name: "floodlight-3.1.cdx.json".into(),
                sbom: floodlight_sbom("4.17.21").into_bytes(),
            },
        )
        .await?;
    s.at(300);
    s.reg
        .import_advisory_document(enisa, "GHSA-35jh-r3h4-6jhm.json", LODASH_2021.as_bytes())
        .await?;
    Ok(())
}
