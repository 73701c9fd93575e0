use chrono::NaiveDate;
use keurmerk_domain::event::{CoveredVersion, DependencySnapshot};
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::model::{
    Category, Certificate, Dependency, DependencyKind, OrgRole, Product, ProductIdentifiers,
    ProductVersion, SupportCommitment,
};
use keurmerk_store::{CertificateFilter, FollowUp, ProductFilter, RegistryStore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::orgs::check_text;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// A product to register.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewProduct {
    /// Name.
    pub name: String,
    /// Model designation.
    pub model: String,
    /// Category.
    pub category: Category,
    /// Identifiers.
    #[serde(default)]
    pub identifiers: ProductIdentifiers,
}

/// A version to add.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewVersion {
    /// Version string.
    pub version: String,
    /// Release date.
    pub released_on: NaiveDate,
    /// Whether it is a security update.
    #[serde(default)]
    pub security_update: bool,
    /// Release notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// A dependency to declare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewDependency {
    /// Kind of service.
    pub kind: DependencyKind,
    /// Provider.
    pub provider: String,
    /// Service name.
    pub service: String,
    /// The service's certificate, if it has one.
    #[serde(default)]
    pub certificate: Option<CertificateId>,
}

/// A product with everything known about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ProductDetails {
    /// The product.
    pub product: Product,
    /// Its versions.
    pub versions: Vec<ProductVersion>,
    /// Its support commitment.
    pub support: Option<SupportCommitment>,
    /// Its dependencies.
    pub dependencies: Vec<Dependency>,
    /// Its certificates.
    pub certificates: Vec<Certificate>,
}

/// GS1 check digit over GTIN-8/12/13/14.
fn valid_gtin(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != s.len() || ![8, 12, 13, 14].contains(&digits.len()) {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

fn check_identifiers(ids: &ProductIdentifiers) -> ServiceResult<()> {
    if let Some(g) = &ids.gtin {
        if !valid_gtin(g) {
            return Err(invalid(
                "gtin",
                format!("`{g}` is not a GTIN with a valid check digit"),
            ));
        }
    }
    if let Some(p) = &ids.purl {
        if !p.starts_with("pkg:") || p.len() > 500 {
            return Err(invalid(
                "purl",
                format!("`{p}` is not a package URL (pkg:type/name@version)"),
            ));
        }
    }
    if let Some(c) = &ids.cpe {
        if !c.starts_with("cpe:2.3:") || c.len() > 500 {
            return Err(invalid("cpe", format!("`{c}` is not a CPE 2.3 name")));
        }
    }
    Ok(())
}

/// Where owners get updates: shown as a link on public pages, so only an absolute https URL with
/// a host, no spaces or control characters, at most 500 characters.
fn check_updates_url(u: &str) -> ServiceResult<()> {
    check_text("updates_url", u, 500)?;
    let Some(rest) = u.strip_prefix("https://") else {
        return Err(invalid("updates_url", "must be an https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(invalid(
            "updates_url",
            "must name a host (and no user name or password)",
        ));
    }
    if u.chars().any(char::is_whitespace) {
        return Err(invalid("updates_url", "must not contain spaces"));
    }
    Ok(())
}

impl<S: RegistryStore> Registry<S> {
    /// A manufacturer registers a product.
    pub async fn register_product(&self, actor: &Actor, new: NewProduct) -> ServiceResult<Product> {
        let me = self
            .acting_as(actor, &[OrgRole::Manufacturer], "register products")
            .await?;
        check_text("name", &new.name, 200)?;
        check_text("model", &new.model, 100)?;
        check_identifiers(&new.identifiers)?;
        let n = self.store().next_sequence("PRD").await?;
        let p = Product {
            id: RecordId::from_sequence("PRD", n),
            manufacturer: me.id.clone(),
            name: new.name.trim().to_owned(),
            model: new.model.trim().to_owned(),
            category: new.category,
            identifiers: new.identifiers,
            created_at: self.now(),
        };
        let audit = self.audit(
            actor,
            "product.register",
            &p.id,
            json!({"name": p.name, "model": p.model}),
        );
        self.store().insert_product(&p, &audit).await?;
        Ok(p)
    }

    /// Loads a product and requires the actor to be its manufacturer.
    /// The actor's own product: a manufacturer acting on a product it makes.
    pub(crate) async fn own_product(
        &self,
        actor: &Actor,
        product: &RecordId,
        action: &str,
    ) -> ServiceResult<Product> {
        let me = self
            .acting_as(actor, &[OrgRole::Manufacturer], action)
            .await?;
        let p = self
            .store()
            .product(product)
            .await?
            .ok_or_else(|| not_found("product", product))?;
        if p.manufacturer != me.id {
            return Err(ServiceError::Forbidden(format!(
                "{product} belongs to {}, not {}",
                p.manufacturer, me.id
            )));
        }
        Ok(p)
    }

    /// The product's certificates that can still change.
    pub(crate) async fn live_certificates(
        &self,
        product: &RecordId,
    ) -> ServiceResult<Vec<Certificate>> {
        let all = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(product.clone()),
                ..Default::default()
            })
            .await?;
        Ok(all.into_iter().filter(|c| !c.state.is_terminal()).collect())
    }

    /// The manufacturer adds a version. A security update is covered at once by the product's
    /// live certificates the manufacturer issued itself (the maker's updates keep its own
    /// statements current); certificates another body issued cover it only under the scheme's
    /// patch-management rule (`Registry::declare_version_change`).
    pub async fn add_version(
        &self,
        actor: &Actor,
        product: &RecordId,
        new: NewVersion,
    ) -> ServiceResult<ProductVersion> {
        let p = self.own_product(actor, product, "add versions").await?;
        check_text("version", &new.version, 100)?;
        if let Some(n) = &new.notes {
            if n.len() > 10_000 {
                return Err(invalid("notes", "must be at most 10,000 characters"));
            }
        }
        let n = self.store().next_sequence("VER").await?;
        let v = ProductVersion {
            id: RecordId::from_sequence("VER", n),
            product: p.id.clone(),
            version: new.version.trim().to_owned(),
            released_on: new.released_on,
            security_update: new.security_update,
            notes: new.notes,
        };
        let audit = self.audit(
            actor,
            "version.add",
            &v.id,
            json!({"product": p.id, "version": v.version}),
        );
        // The live certificates' events are follow-up work stored with the version, so a crash
        // after the commit delays them but never loses them.
        let work = v.security_update.then(|| FollowUp::VersionCovered {
            version: v.id.clone(),
            actor: actor.org.clone(),
        });
        self.store()
            .insert_version(&v, &audit, work.as_slice())
            .await?;
        if let Some(work) = &work {
            self.complete_product_follow_up(work).await?;
        }
        Ok(v)
    }

    /// The manufacturer publishes or extends its support commitment. Shortening a published
    /// support period is refused (buyers relied on it).
    pub async fn set_support(
        &self,
        actor: &Actor,
        product: &RecordId,
        s: SupportCommitment,
    ) -> ServiceResult<()> {
        let p = self
            .own_product(actor, product, "publish support periods")
            .await?;
        check_text("vulnerability_contact", &s.vulnerability_contact, 300)?;
        if let Some(u) = &s.disclosure_policy_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(invalid("disclosure_policy_url", "must be an http(s) URL"));
            }
        }
        if let Some(u) = &s.updates_url {
            check_updates_url(u)?;
        }
        if let Some(old) = self.store().support(&p.id).await? {
            if s.support_until < old.support_until {
                return Err(invalid(
                    "support_until",
                    format!(
                        "the published support period ends {}; it can be extended, not shortened",
                        old.support_until
                    ),
                ));
            }
        }
        let audit = self.audit(
            actor,
            "support.set",
            &p.id,
            json!({
                "support_until": s.support_until,
                "update_policy": s.update_policy,
                "password": s.password,
                "updates_url": s.updates_url,
            }),
        );
        let work = FollowUp::SupportChanged {
            product: p.id.clone(),
            actor: actor.org.clone(),
        };
        self.store()
            .set_support(&p.id, &s, &audit, std::slice::from_ref(&work))
            .await?;
        self.complete_product_follow_up(&work).await?;
        Ok(())
    }

    /// The manufacturer declares a dependency on a service.
    pub async fn add_dependency(
        &self,
        actor: &Actor,
        product: &RecordId,
        new: NewDependency,
    ) -> ServiceResult<Dependency> {
        let p = self
            .own_product(actor, product, "declare dependencies")
            .await?;
        check_text("provider", &new.provider, 200)?;
        check_text("service", &new.service, 200)?;
        if let Some(c) = &new.certificate {
            if self.store().certificate(c).await?.is_none() {
                return Err(invalid(
                    "certificate",
                    format!("no certificate `{c}` in the registry"),
                ));
            }
        }
        let n = self.store().next_sequence("DEP").await?;
        let d = Dependency {
            id: RecordId::from_sequence("DEP", n),
            product: p.id.clone(),
            kind: new.kind,
            provider: new.provider.trim().to_owned(),
            service: new.service.trim().to_owned(),
            certificate: new.certificate,
        };
        let audit = self.audit(
            actor,
            "dependency.add",
            &d.id,
            json!({"product": p.id, "service": d.service}),
        );
        let work = FollowUp::DependencyDeclared {
            dependency: d.id.clone(),
            actor: actor.org.clone(),
        };
        self.store()
            .insert_dependency(&d, &audit, std::slice::from_ref(&work))
            .await?;
        self.complete_product_follow_up(&work).await?;
        Ok(d)
    }

    /// What is known of a dependency's certificate now.
    pub(crate) async fn dependency_snapshot(
        &self,
        d: &Dependency,
    ) -> ServiceResult<DependencySnapshot> {
        let (state, until) = match &d.certificate {
            Some(id) => match self.store().certificate(id).await? {
                Some((c, _)) => (Some(c.state), Some(c.valid_until)),
                None => (None, None),
            },
            None => (None, None),
        };
        Ok(DependencySnapshot {
            id: d.id.clone(),
            kind: d.kind,
            provider: d.provider.clone(),
            service: d.service.clone(),
            certificate: d.certificate.clone(),
            certificate_state: state,
            certificate_valid_until: until,
        })
    }

    /// A product with its versions, support, dependencies and certificates.
    pub async fn product_details(&self, id: &RecordId) -> ServiceResult<ProductDetails> {
        let product = self
            .store()
            .product(id)
            .await?
            .ok_or_else(|| not_found("product", id))?;
        Ok(ProductDetails {
            versions: self.store().versions(id).await?,
            support: self.store().support(id).await?,
            dependencies: self.store().dependencies(id).await?,
            certificates: self
                .store()
                .certificates(&CertificateFilter {
                    product: Some(id.clone()),
                    ..Default::default()
                })
                .await?,
            product,
        })
    }

    /// Searches products (name, model, manufacturer, GTIN, id).
    pub async fn search_products(&self, filter: &ProductFilter) -> ServiceResult<Vec<Product>> {
        Ok(self.store().products(filter).await?)
    }
}

pub(crate) fn covered(v: &ProductVersion) -> CoveredVersion {
    CoveredVersion {
        id: v.id.clone(),
        version: v.version.clone(),
        released_on: v.released_on,
        security_update: v.security_update,
    }
}

#[cfg(test)]
mod tests {
    use super::valid_gtin;

    #[test]
    fn gtin_check_digit() {
        assert!(valid_gtin("4006381333931"));
        assert!(valid_gtin("08712345678906"));
        assert!(!valid_gtin("4006381333932"));
        assert!(!valid_gtin("40063813339"));
        assert!(!valid_gtin("400638133393a"));
    }
}
