//! Which versions the registry monitors (SPEC §6, `docs/FORMATS.md` §14).
//!
//! A covered version without a software list (SBOM) is never shown as free of known problems
//! (`Reason::NotMonitored`). Whether a version has one is decided here, never from the `sboms`
//! row alone: a list counts only when the manufacturer's signed record of it
//! ([`SoftwareListRecord`], signed when it was attached and appended to the transparency log)
//! verifies against the trust list the certificate's history was verified with, is the
//! product's maker's, names this product and version, and carries the SHA-256 stored with the
//! list's bytes (`sboms.sha256`, written with them; the fold never reads the bytes).
//! [`ProvenSoftwareLists`] is made only by [`prove`], so the fold can only be handed lists that
//! passed. A list inserted by hand, or whose record was edited, copied from another version or
//! signed by another maker, or whose stored hash was changed, leaves its version "not
//! monitored". What the fold does not see (bytes or components replaced under an unchanged
//! hash, an older genuine list put back) `keurmerk certificate verify` names
//! ([`Registry::verify_software_lists`]).

use chrono::{DateTime, Utc};
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::model::{Product, ProductVersion};
use keurmerk_store::{
    ProductFilter, QueuedRecord, RegistryStore, StoredComponent, StoredSoftwareList, VulnStore,
};
use keurmerk_trust::{software_list_sha256, SigningKey, SoftwareListRecord, TrustList};
use keurmerk_vuln::sbom::Sbom;
use serde::Serialize;

use crate::error::invalid;
use crate::{Registry, ServiceError, ServiceResult};

/// The versions of one product whose software list its maker's signed record proves. Only
/// [`prove`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProvenSoftwareLists {
    versions: Vec<RecordId>,
}

impl ProvenSoftwareLists {
    /// The proven versions, by id.
    pub(crate) fn versions(&self) -> &[RecordId] {
        &self.versions
    }
}

/// A stored software list that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnprovenSoftwareList {
    /// The product.
    pub product: RecordId,
    /// The version the list is stored for.
    pub version: RecordId,
    /// What is wrong, and what it means.
    pub why: String,
}

impl std::fmt::Display for UnprovenSoftwareList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} version {}: {}", self.product, self.version, self.why)
    }
}

/// Why `list` is not proven for `product`, or `None` when its record proves it.
fn why_unproven(product: &Product, list: &StoredSoftwareList, trust: &TrustList) -> Option<String> {
    let Some(bytes) = &list.record else {
        return Some("it has no signed record".into());
    };
    // Checked against the latest instant there is: a record is written only through
    // `attach_sbom`, which checked it against its own clock, and a clock gone back must not make
    // the fold store "not monitored" for a genuine list (a row it stores lives until
    // `stale_after`, which no record's date moves).
    let (record, _) = match SoftwareListRecord::verify(bytes, trust, DateTime::<Utc>::MAX_UTC) {
        Ok(v) => v,
        Err(e) => return Some(format!("its record does not verify: {e}")),
    };
    let product_id = product.id.to_string();
    let version_id = list.version_id.to_string();
    if record.product != product_id || record.version_id != version_id {
        return Some(format!(
            "its record is of {} version {}",
            record.product, record.version_id
        ));
    }
    if record.maker != product.manufacturer.as_str() {
        return Some(format!(
            "its record is signed by {}, and the product is {}'s",
            record.maker, product.manufacturer
        ));
    }
    match &list.sha256 {
        None => Some("no SHA-256 is stored with it".into()),
        Some(sha256) if *sha256 != record.sha256 => Some(format!(
            "the stored list's SHA-256 is {sha256}, its record's {}",
            record.sha256
        )),
        Some(_) => None,
    }
}

/// Splits a product's stored lists into those proven against `trust` and the rest. The bytes
/// are not read: a list is proven by the SHA-256 stored with it, which
/// [`Registry::verify_software_lists`] compares with the bytes.
pub(crate) fn prove(
    product: &Product,
    lists: &[StoredSoftwareList],
    trust: &TrustList,
) -> (ProvenSoftwareLists, Vec<UnprovenSoftwareList>) {
    let mut versions = Vec::with_capacity(lists.len());
    let mut unproven = Vec::new();
    for list in lists {
        match why_unproven(product, list, trust) {
            None => versions.push(list.version_id.clone()),
            Some(why) => unproven.push(UnprovenSoftwareList {
                product: product.id.clone(),
                version: list.version_id.clone(),
                why: format!(
                    "its software list is not on record ({why}); the version reads as not \
                     monitored until its maker attaches the list again"
                ),
            }),
        }
    }
    (ProvenSoftwareLists { versions }, unproven)
}

/// The matchable components of a parsed software list, as `attach_sbom` stores them: those with
/// a purl and a version, at their place in the list.
pub(crate) fn components_of(version: &RecordId, sbom: &Sbom) -> Vec<StoredComponent> {
    let mut components = Vec::new();
    for (i, c) in sbom.components.iter().enumerate() {
        let Some(purl) = &c.purl else { continue };
        let Some(installed) = c
            .version
            .clone()
            .or_else(|| purl.version().map(str::to_owned))
        else {
            continue;
        };
        components.push(StoredComponent {
            version_id: version.clone(),
            idx: i64::try_from(i).unwrap_or(i64::MAX),
            pkg_key: purl.package_key().to_string(),
            purl: purl.to_string(),
            version: installed,
        });
    }
    components
}

/// The maker's record of `document`, attached as `name` to `version` of `product` at `at`,
/// signed with `key`.
pub(crate) fn signed_record(
    product: &Product,
    version: &ProductVersion,
    name: &str,
    sbom: &Sbom,
    document: &[u8],
    at: DateTime<Utc>,
    key: &SigningKey,
) -> ServiceResult<Vec<u8>> {
    SoftwareListRecord {
        maker: product.manufacturer.to_string(),
        product: product.id.to_string(),
        version_id: version.id.to_string(),
        version: version.version.clone(),
        name: name.to_owned(),
        format: format!("{:?}", sbom.format),
        sha256: software_list_sha256(document),
        components: u64::try_from(sbom.components.len()).unwrap_or(u64::MAX),
        attached_at: at,
    }
    .sign(key)
    .map_err(|e| invalid("software list record", e.to_string()))
}

impl<S: RegistryStore> Registry<S> {
    /// The versions of `product` whose software list is proven against `trust` (the list the
    /// certificate's history was verified with).
    pub(crate) async fn proven_software_lists(
        &self,
        product: &Product,
        trust: &TrustList,
    ) -> ServiceResult<ProvenSoftwareLists> {
        let lists = self.store().software_lists(&product.id).await?;
        Ok(prove(product, &lists, trust).0)
    }

    /// Signs the manufacturer's record of a software list with its organisation's current key,
    /// and checks that it verifies against the current trust list before anything is written.
    pub(crate) async fn software_list_record(
        &self,
        product: &Product,
        version: &ProductVersion,
        name: &str,
        sbom: &Sbom,
        document: &[u8],
    ) -> ServiceResult<Vec<u8>> {
        let at = self.now();
        let key = self.org_signing_key(&product.manufacturer, at).await?;
        let bytes = signed_record(product, version, name, sbom, document, at, &key)?;
        let list = self.trust_list(0).await?;
        // As the fold will check it. A log verifier's one check more, that `attached_at` is not
        // in its future, holds: the record is dated now.
        if let Some(why) = why_unproven(
            product,
            &StoredSoftwareList {
                version_id: version.id.clone(),
                sha256: Some(software_list_sha256(document)),
                record: Some(bytes.clone()),
            },
            &list,
        ) {
            return Err(ServiceError::Forbidden(format!(
                "the record of this software list would not count: {why}"
            )));
        }
        Ok(bytes)
    }
}

impl<S: RegistryStore + VulnStore> Registry<S> {
    /// Why a proven list's record is not the newest the registry queued for its version's
    /// transparency log, or `None` when it is. Each attach queues its record, so a stored list
    /// whose record is older was put back by hand (both records verify); the log, which monitors
    /// keep, holds the newest.
    async fn not_newest_logged(&self, list: &StoredSoftwareList) -> ServiceResult<Option<String>> {
        let Some(record) = &list.record else {
            return Ok(Some("it has no signed record".into()));
        };
        Ok(
            match self
                .store()
                .newest_software_list_record(&list.version_id)
                .await?
            {
                None => Some("its record was never queued for the transparency log".into()),
                Some(QueuedRecord::Lost) => Some(
                    "the newest record queued for the version is neither queued nor logged any \
                     more"
                        .into(),
                ),
                Some(QueuedRecord::Queued(newest)) => (&newest != record).then(|| {
                    "its record is not the newest one queued for the version's log".into()
                }),
                Some(QueuedRecord::Logged(index)) => {
                    match crate::integrity::log_entry(self.signer()?.key_store(), index).await? {
                        Some(newest) if &newest == record => None,
                        Some(_) => Some(format!(
                            "its record is not the newest one logged for the version (log entry \
                             {index})"
                        )),
                        None => Some(format!(
                            "log entry {index}, its newest record, is unreadable"
                        )),
                    }
                }
            },
        )
    }

    /// Every stored software list that does not count, or counts for what the registry no
    /// longer holds (`keurmerk certificate verify`): no record or one that does not prove it; a
    /// record that is not the newest queued or logged for its version; bytes that do not hash to
    /// the SHA-256 stored with them; stored components that are not what the bytes list
    /// (matching reads the components, so an edited component would hide a finding). A list
    /// attached while this runs may be named once (its row is read more than once).
    pub async fn verify_software_lists(&self) -> ServiceResult<Vec<UnprovenSoftwareList>> {
        let trust = self.trust_list(0).await?;
        let mut out = Vec::new();
        for product in self.store().products(&ProductFilter::default()).await? {
            let lists = self.store().software_lists(&product.id).await?;
            if lists.is_empty() {
                continue;
            }
            let (proven, unproven) = prove(&product, &lists, &trust);
            out.extend(unproven);
            for list in lists
                .iter()
                .filter(|l| proven.versions().contains(&l.version_id))
            {
                if let Some(why) = self.not_newest_logged(list).await? {
                    out.push(UnprovenSoftwareList {
                        product: product.id.clone(),
                        version: list.version_id.clone(),
                        why: format!(
                            "{why}: an older list of the version may have been put back; its \
                             maker should attach the current list again"
                        ),
                    });
                    continue;
                }
                // The bytes and the hash stored with them, read together: a list attached
                // since the first read is compared with its own hash, not taken for an edit.
                let Some((document, stored_sha256)) = self
                    .store()
                    .software_list_document(&list.version_id)
                    .await?
                else {
                    continue;
                };
                let sha256 = software_list_sha256(&document);
                if stored_sha256.as_deref() != Some(sha256.as_str()) {
                    out.push(UnprovenSoftwareList {
                        product: product.id.clone(),
                        version: list.version_id.clone(),
                        why: format!(
                            "its stored bytes' SHA-256 is {sha256}, not the one recorded with \
                             them; the version reads as monitored by a list the registry no \
                             longer holds, until its maker attaches the list again"
                        ),
                    });
                    continue;
                }
                let stored = self.store().components(&list.version_id).await?;
                let found =
                    match keurmerk_vuln::sbom::parse_slice("stored software list", &document) {
                        Ok(sbom) if components_of(&list.version_id, &sbom) == stored => continue,
                        Ok(_) => {
                            "its stored components are not those its software list names".into()
                        }
                        Err(e) => format!("its software list no longer reads: {e}"),
                    };
                let why = format!(
                    "{found}; matching reads the stored components, so findings may be missed \
                     until its maker attaches the list again"
                );
                out.push(UnprovenSoftwareList {
                    product: product.id.clone(),
                    version: list.version_id.clone(),
                    why,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use keurmerk_domain::ids::OrgId;
    use keurmerk_domain::model::{Category, ProductIdentifiers};
    use keurmerk_trust::{KeyInfo, Role, TRUST_LIST_VERSION};

    use super::*;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
    }

    fn product(n: u64, maker: &str) -> Product {
        Product {
            id: RecordId::from_sequence("PRD", n),
            manufacturer: OrgId::new(maker).unwrap(),
            name: "Cosy Cam".into(),
            model: "CC-1".into(),
            category: Category::Camera,
            identifiers: ProductIdentifiers::default(),
            created_at: at(1),
        }
    }

    fn version(p: &Product, n: u64) -> ProductVersion {
        ProductVersion {
            id: RecordId::from_sequence("VER", n),
            product: p.id.clone(),
            version: "1.0".into(),
            released_on: at(1).date_naive(),
            security_update: false,
            notes: None,
        }
    }

    fn info(key: &SigningKey, org: &str, role: Role) -> KeyInfo {
        KeyInfo {
            key_id: key.key_id(),
            public_key: key.public_key(),
            organisation_id: org.into(),
            organisation_name: org.into(),
            role,
            member_state: None,
            scope: vec![],
            valid_from: at(1),
            valid_until: at(28),
            revoked_at: None,
        }
    }

    const BOM: &[u8] =
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
      {"type": "library", "name": "zlib", "version": "1.2.11", "purl": "pkg:generic/zlib@1.2.11"}
    ]}"#;

    /// Every way a stored list can fail its record leaves its version out; the genuine one is in.
    #[test]
    fn only_the_makers_record_of_these_bytes_for_this_version_proves_a_list() {
        let maker = SigningKey::generate();
        let other = SigningKey::generate();
        let trust = TrustList {
            version: TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at(1),
            next_update: at(28),
            log_verifier_key: String::new(),
            keys: vec![
                info(&maker, "maker", Role::Manufacturer),
                info(&other, "other-maker", Role::Manufacturer),
            ],
        };
        let sbom = keurmerk_vuln::sbom::parse_slice("bom.json", BOM).unwrap();
        let p = product(1, "maker");
        let v = version(&p, 1);
        let signed = |p: &Product, v: &ProductVersion, key: &SigningKey, document: &[u8]| {
            signed_record(p, v, "bom.json", &sbom, document, at(2), key).unwrap()
        };
        let list = |record: Option<Vec<u8>>, document: &[u8]| StoredSoftwareList {
            version_id: v.id.clone(),
            sha256: Some(software_list_sha256(document)),
            record,
        };
        let why = |l: StoredSoftwareList| {
            let (proven, unproven) = prove(&p, &[l], &trust);
            assert_eq!(proven.versions().is_empty(), unproven.len() == 1);
            unproven.first().map(|u| u.why.clone())
        };

        assert_eq!(why(list(Some(signed(&p, &v, &maker, BOM)), BOM)), None);
        // Whatever this instance's clock says: `prove` takes no time, so a clock gone back
        // never turns a genuine list into an unmonitored one (its record is dated `at(2)`).
        let cases = [
            (list(None, BOM), "no signed record"),
            (
                list(Some(signed(&p, &v, &maker, BOM)), b"{}"),
                "the stored list's SHA-256",
            ),
            (
                list(Some(signed(&p, &version(&p, 2), &maker, BOM)), BOM),
                "its record is of PRD-",
            ),
            (
                list(Some(signed(&product(2, "maker"), &v, &maker, BOM)), BOM),
                "its record is of PRD-",
            ),
            // Another maker's record of a list for this product: its own key signs it, and it
            // names itself as the maker, so only the product's maker tells it apart.
            (
                list(
                    Some(signed(&product(1, "other-maker"), &v, &other, BOM)),
                    BOM,
                ),
                "signed by other-maker, and the product is maker's",
            ),
            (
                list(Some(signed(&p, &v, &SigningKey::generate(), BOM)), BOM),
                "does not verify",
            ),
            (list(Some(b"{}".to_vec()), BOM), "does not verify"),
            (
                StoredSoftwareList {
                    sha256: None,
                    ..list(Some(signed(&p, &v, &maker, BOM)), BOM)
                },
                "no SHA-256 is stored",
            ),
        ];
        for (l, expected) in cases {
            let got = why(l).expect(expected);
            assert!(got.contains(expected), "{got} (expected {expected})");
            assert!(got.contains("not on record"), "{got}");
        }
    }
}
