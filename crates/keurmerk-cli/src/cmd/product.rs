use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::model::{
    Category, ChangeClass, DependencyKind, PasswordSetup, ProductIdentifiers, SupportCommitment,
    UpdatePolicy,
};
use keurmerk_service::{NewDependency, NewProduct, NewVersion, VersionChange};
use keurmerk_store::ProductFilter;

use super::{actor, parse_date, Ctx};

#[derive(Debug, Subcommand)]
pub enum ProductCmd {
    /// A manufacturer registers a product.
    Register {
        /// Acting manufacturer.
        #[arg(long = "as")]
        as_org: String,
        /// Product name.
        #[arg(long)]
        name: String,
        /// Model designation, as printed on the device.
        #[arg(long)]
        model: String,
        /// camera, router, smart_plug, baby_monitor, smart_lock, smart_speaker, thermostat, alarm,
        /// computer, cloud_service, connectivity_service, mobile_app or other.
        #[arg(long)]
        category: Category,
        /// GTIN (barcode number).
        #[arg(long)]
        gtin: Option<String>,
        /// Package URL of the firmware.
        #[arg(long)]
        purl: Option<String>,
        /// CPE 2.3 name.
        #[arg(long)]
        cpe: Option<String>,
    },
    /// List or search products.
    List {
        /// Search name, model, manufacturer, GTIN or id.
        #[arg(long)]
        search: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show a product with its versions, support, dependencies and certificates.
    Show {
        /// Product id.
        id: RecordId,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Add a firmware or software version.
    AddVersion {
        /// Acting manufacturer.
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        #[arg(long)]
        product: RecordId,
        /// Version string.
        #[arg(long)]
        version: String,
        /// Release date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        released: NaiveDate,
        /// The version is a security update.
        #[arg(long)]
        security_update: bool,
        /// Release notes.
        #[arg(long)]
        notes: Option<String>,
    },
    /// The holder declares a version for a certificate under the scheme's patch-management rule:
    /// an impact statement classifying the change and the version's software list. The rule
    /// covers it at once or leaves it to the issuer to confirm.
    DeclareVersion {
        /// Acting manufacturer (the certificate's holder).
        #[arg(long = "as")]
        as_org: String,
        /// Certificate id.
        #[arg(long)]
        certificate: CertificateId,
        /// Version record id (`VER-…`).
        #[arg(long)]
        version: RecordId,
        /// security_patch, no_security_function_change or security_function_change.
        #[arg(long)]
        class: ChangeClass,
        /// The impact statement: what changed and why the class fits.
        #[arg(long)]
        impact: String,
        /// The version's software list (CycloneDX or SPDX).
        #[arg(long)]
        sbom: std::path::PathBuf,
    },
    /// The issuer confirms a declared version: the certificate covers it.
    ConfirmVersion {
        /// Acting issuer.
        #[arg(long = "as")]
        as_org: String,
        /// Certificate id.
        #[arg(long)]
        certificate: CertificateId,
        /// Version record id.
        #[arg(long)]
        version: RecordId,
    },
    /// The issuer refuses a declared version: the certificate does not cover it.
    RefuseVersion {
        /// Acting issuer.
        #[arg(long = "as")]
        as_org: String,
        /// Certificate id.
        #[arg(long)]
        certificate: CertificateId,
        /// Version record id.
        #[arg(long)]
        version: RecordId,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Set the product's image (PNG or JPEG, at most 512 KiB, 16 to 2048 pixels a side),
    /// shown in search results; checked by decoding it completely.
    SetImage {
        /// Acting manufacturer (the product's maker).
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        product: RecordId,
        /// The image file.
        file: std::path::PathBuf,
    },
    /// Remove the product's image (search results show a placeholder).
    ClearImage {
        /// Acting manufacturer (the product's maker).
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        product: RecordId,
    },
    /// Publish or extend the support period.
    SetSupport {
        /// Acting manufacturer.
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        #[arg(long)]
        product: RecordId,
        /// Last day of security updates: YYYY-MM-DD, or YYYY-MM meaning that month's last day
        /// (read as `PUT /api/v1/products/{id}/support` reads `support_until`).
        #[arg(long, value_parser = keurmerk_server::wire::parse_support_until)]
        until: NaiveDate,
        /// automatic or user_initiated.
        #[arg(long, default_value = "automatic")]
        update_policy: UpdatePolicy,
        /// Where to report vulnerabilities.
        #[arg(long)]
        contact: String,
        /// Coordinated disclosure policy URL.
        #[arg(long)]
        policy_url: Option<String>,
        /// How the password is set up: none, unique_per_device or set_on_first_use (shown to
        /// owners as setup advice).
        #[arg(long)]
        password: Option<PasswordSetup>,
        /// Where owners get updates and instructions (https URL).
        #[arg(long)]
        updates_url: Option<String>,
    },
    /// Declare a dependency on a service (cloud, connectivity, app, antivirus).
    AddDependency {
        /// Acting manufacturer.
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        #[arg(long)]
        product: RecordId,
        /// cloud, connectivity, mobile_app, antivirus or other.
        #[arg(long)]
        kind: DependencyKind,
        /// Provider.
        #[arg(long)]
        provider: String,
        /// Service name.
        #[arg(long)]
        service: String,
        /// The service's certificate id, if it has one.
        #[arg(long)]
        certificate: Option<CertificateId>,
    },
}

pub async fn run(ctx: &Ctx, cmd: &ProductCmd) -> Result<ExitCode> {
    let reg = &ctx.registry;
    match cmd {
        ProductCmd::Register {
            as_org,
            name,
            model,
            category,
            gtin,
            purl,
            cpe,
        } => {
            let p = reg
                .register_product(
                    &actor(as_org)?,
                    NewProduct {
                        name: name.clone(),
                        model: model.clone(),
                        category: *category,
                        identifiers: ProductIdentifiers {
                            gtin: gtin.clone(),
                            purl: purl.clone(),
                            cpe: cpe.clone(),
                        },
                    },
                )
                .await?;
            println!("{}", p.id);
        }
        ProductCmd::List { search, json } => {
            let ps = reg
                .search_products(&ProductFilter {
                    text: search.clone(),
                    ..Default::default()
                })
                .await?;
            if *json {
                crate::output::json(&ps)?;
            } else {
                for p in ps {
                    println!(
                        "{:<11} {:<16} {:<30} {}",
                        p.id, p.manufacturer, p.name, p.model
                    );
                }
            }
        }
        ProductCmd::Show { id, json } => {
            let d = reg.product_details(id).await?;
            if *json {
                crate::output::json(&d)?;
            } else {
                crate::output::product(&d);
            }
        }
        ProductCmd::AddVersion {
            as_org,
            product,
            version,
            released,
            security_update,
            notes,
        } => {
            let v = reg
                .add_version(
                    &actor(as_org)?,
                    product,
                    NewVersion {
                        version: version.clone(),
                        released_on: *released,
                        security_update: *security_update,
                        notes: notes.clone(),
                    },
                )
                .await?;
            println!("{}", v.id);
        }
        ProductCmd::DeclareVersion {
            as_org,
            certificate,
            version,
            class,
            impact,
            sbom,
        } => {
            let bytes = std::fs::read(sbom)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", sbom.display()))?;
            let name = sbom
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sbom.json".to_owned());
            let out = reg
                .declare_version_change(
                    &actor(as_org)?,
                    certificate,
                    VersionChange {
                        version: version.clone(),
                        class: *class,
                        impact: impact.clone(),
                        sbom_name: name,
                        sbom: bytes,
                    },
                )
                .await?;
            if out.covered {
                println!("{} now covers {}", out.certificate, out.version);
            } else {
                println!(
                    "{} waits for the issuer of {} to confirm or refuse it",
                    out.version, out.certificate
                );
            }
        }
        ProductCmd::ConfirmVersion {
            as_org,
            certificate,
            version,
        } => {
            let out = reg
                .confirm_version(&actor(as_org)?, certificate, version)
                .await?;
            println!("{} now covers {}", out.certificate, out.version);
        }
        ProductCmd::RefuseVersion {
            as_org,
            certificate,
            version,
            reason,
        } => {
            let out = reg
                .refuse_version(&actor(as_org)?, certificate, version, reason)
                .await?;
            println!("{} does not cover {}", out.certificate, out.version);
        }
        ProductCmd::SetImage {
            as_org,
            product,
            file,
        } => {
            let bytes = read_at_most(file, keurmerk_label::product_image::MAX_IMAGE_BYTES)?;
            let img = reg
                .set_product_image(&actor(as_org)?, product, &bytes)
                .await?;
            println!(
                "{product}: {} {}x{} at /images/{}",
                img.media_type, img.width, img.height, img.sha256
            );
        }
        ProductCmd::ClearImage { as_org, product } => {
            reg.clear_product_image(&actor(as_org)?, product).await?;
            println!("{product}: image removed");
        }
        ProductCmd::SetSupport {
            as_org,
            product,
            until,
            update_policy,
            contact,
            policy_url,
            password,
            updates_url,
        } => {
            reg.set_support(
                &actor(as_org)?,
                product,
                SupportCommitment {
                    support_until: *until,
                    update_policy: *update_policy,
                    vulnerability_contact: contact.clone(),
                    disclosure_policy_url: policy_url.clone(),
                    password: *password,
                    updates_url: updates_url.clone(),
                },
            )
            .await?;
            println!("{product} receives security updates until {until}");
        }
        ProductCmd::AddDependency {
            as_org,
            product,
            kind,
            provider,
            service,
            certificate,
        } => {
            let d = reg
                .add_dependency(
                    &actor(as_org)?,
                    product,
                    NewDependency {
                        kind: *kind,
                        provider: provider.clone(),
                        service: service.clone(),
                        certificate: certificate.clone(),
                    },
                )
                .await?;
            println!("{}", d.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a file, but never more than one byte beyond `max` (so the check can say it is too
/// large without a huge file being read into memory).
fn read_at_most(path: &std::path::Path, max: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use crate::Cli;

    /// `--until 2031-12` means the month's last day, as the API reads `"support_until": "2031-12"`.
    #[test]
    fn set_support_takes_a_month_or_a_day() {
        for (given, day) in [
            ("2031-12", "2031-12-31"),
            ("2028-02", "2028-02-29"),
            ("2030-06-15", "2030-06-15"),
        ] {
            let cli = Cli::try_parse_from([
                "keurmerk",
                "product",
                "set-support",
                "--as",
                "maker",
                "--product",
                "PRD-000001",
                "--until",
                given,
                "--contact",
                "security@maker.example",
            ])
            .unwrap();
            let shown = format!("{:?}", cli.command);
            assert!(shown.contains(&format!("until: {day}")), "{given}: {shown}");
        }
        for bad in ["2031-13", "2031", "2031-02-30"] {
            assert!(
                Cli::try_parse_from([
                    "keurmerk",
                    "product",
                    "set-support",
                    "--as",
                    "maker",
                    "--product",
                    "PRD-000001",
                    "--until",
                    bad,
                    "--contact",
                    "x@y.example",
                ])
                .is_err(),
                "{bad}"
            );
        }
    }
}
