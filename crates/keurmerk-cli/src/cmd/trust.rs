//! `keurmerk keys …`, `keurmerk trust-list export`, `keurmerk label render` and `keurmerk verify`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_service::KeyScope;
use keurmerk_trust::{
    verify_label_input, ClientVerdict, IssuerKind, PublicKey, Role, StatusResponse, TrustError,
    TrustList, VerifiedLabel,
};

use super::Ctx;

/// File name of the pinned registry root public key, looked for next to the trust list.
pub const ROOT_KEY_FILE: &str = "keurmerk-root.pub";
/// Default trust list file for offline verification.
pub const DEFAULT_TRUST_LIST: &str = "keurmerk-trust-list.json";

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create a signing key for an organisation (or the registry root key).
    Create(CreateArgs),
    /// List every key (public metadata only).
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Replace an organisation's current key; the old one keeps verifying what it signed.
    Rotate(WhoArgs),
    /// Record that a key was compromised: what it signed at or after that time no longer verifies.
    Revoke {
        /// The key id (16 hex digits).
        key_id: String,
        /// When the key was compromised (RFC 3339, e.g. 2026-05-01T00:00:00Z).
        #[arg(long)]
        compromised_at: DateTime<Utc>,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct WhoArgs {
    /// The organisation.
    #[arg(long)]
    pub org: Option<String>,
    /// The registry root key.
    #[arg(long)]
    pub root: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub who: WhoArgs,
    /// End of validity (RFC 3339; default three years from now).
    #[arg(long)]
    pub valid_until: Option<DateTime<Utc>>,
}

pub async fn keys(ctx: &Ctx, c: &KeysCmd) -> Result<ExitCode> {
    let reg = &ctx.registry;
    match c {
        KeysCmd::Create(a) => {
            // What the key may sign is computed from the registry's data whenever the trust list
            // is built (authorisations, the scheme catalogue), never chosen here.
            let scope = KeyScope {
                valid_from: None,
                valid_until: a.valid_until,
            };
            let k = match (&a.who.org, a.who.root) {
                (_, true) => reg.create_root_key(scope).await?,
                (Some(org), false) => reg.create_key(&org_id(org)?, scope).await?,
                (None, false) => bail!("name --org ORG or --root"),
            };
            println!(
                "created key {} for {} ({}), valid until {}",
                k.key_id,
                k.organisation_id,
                role_words(k.role),
                k.valid_until
            );
            if a.who.root {
                println!(
                    "root public key (pin this in verifiers): {}",
                    k.public_key.to_base64()
                );
            }
        }
        KeysCmd::List { json } => {
            let keys = reg.keys().await?;
            if *json {
                let out: Vec<_> = keys
                    .iter()
                    .map(|(k, root)| serde_json::json!({"root": root, "key": k}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for (k, root) in keys {
                    let state = match k.revoked_at {
                        Some(at) => format!("revoked (compromised at {at})"),
                        None => format!("valid {} – {}", k.valid_from, k.valid_until),
                    };
                    println!(
                        "{}  {:<18} {:<28} {}{}  {}",
                        k.key_id,
                        k.organisation_id,
                        role_words(k.role),
                        if root { "[root] " } else { "" },
                        state,
                        k.public_key.to_base64()
                    );
                }
            }
        }
        KeysCmd::Rotate(w) => {
            let k = match (&w.org, w.root) {
                (_, true) => reg.rotate_root_key().await?,
                (Some(org), false) => reg.rotate_key(&org_id(org)?).await?,
                (None, false) => bail!("name --org ORG or --root"),
            };
            println!(
                "new key {} for {}; the previous key stops signing now and still verifies what it signed",
                k.key_id, k.organisation_id
            );
        }
        KeysCmd::Revoke {
            key_id,
            compromised_at,
        } => {
            let k = reg.revoke_key(key_id, *compromised_at).await?;
            println!(
                "key {} of {} revoked: anything it signed at or after {compromised_at} no longer verifies",
                k.key_id, k.organisation_id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn org_id(s: &str) -> Result<OrgId> {
    OrgId::new(s).with_context(|| format!("--org {s}"))
}

fn role_words(r: Role) -> &'static str {
    match r {
        Role::NationalAuthority => "national authority",
        Role::AssessmentBody => "assessment body",
        Role::Manufacturer => "manufacturer (self-declaration)",
        Role::Registry => "registry",
        Role::Log => "transparency log",
        _ => "other",
    }
}

#[derive(Debug, Subcommand)]
pub enum TrustListCmd {
    /// Write the trust list signed by the registry root key to FILE, and the root public key to
    /// `keurmerk-root.pub` in the same directory.
    Export {
        /// Where to write the trust list.
        file: PathBuf,
    },
}

pub async fn trust_list(ctx: &Ctx, c: &TrustListCmd) -> Result<ExitCode> {
    let TrustListCmd::Export { file } = c;
    let reg = &ctx.registry;
    let signed = reg.signed_trust_list().await?;
    std::fs::write(file, &signed).with_context(|| format!("writing {}", file.display()))?;
    let root = reg.root_signing_key(reg.now()).await?.public_key();
    let root_file = beside(file, ROOT_KEY_FILE);
    std::fs::write(&root_file, format!("{}\n", root.to_base64()))
        .with_context(|| format!("writing {}", root_file.display()))?;
    println!(
        "trust list written to {} ({} bytes); root public key {} written to {}",
        file.display(),
        signed.len(),
        root.to_base64(),
        root_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn beside(file: &Path, name: &str) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name),
        _ => PathBuf::from(name),
    }
}

#[derive(Debug, Subcommand)]
pub enum LabelCmd {
    /// Render a certificate's label with its signed QR code.
    Render(RenderArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Svg,
    Png,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LabelLang {
    En,
    Nl,
    De,
    Fr,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The certificate id.
    pub certificate: String,
    /// Image format.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: Format,
    /// Language of the label texts.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LabelLang,
    /// Output file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

pub async fn label(ctx: &Ctx, c: &LabelCmd) -> Result<ExitCode> {
    let LabelCmd::Render(a) = c;
    let id = CertificateId::new(a.certificate.clone())
        .with_context(|| format!("certificate id {}", a.certificate))?;
    let label = ctx.registry.label(&id).await?;
    let lang = match a.lang {
        LabelLang::En => keurmerk_label::Lang::En,
        LabelLang::Nl => keurmerk_label::Lang::Nl,
        LabelLang::De => keurmerk_label::Lang::De,
        LabelLang::Fr => keurmerk_label::Lang::Fr,
    };
    let bytes = match a.format {
        Format::Svg => keurmerk_label::render_svg(&label.input_in(lang), lang)
            .context("rendering the label SVG")?
            .into_bytes(),
        Format::Png => keurmerk_label::render_png(&label.input_in(lang), lang, 2.0)
            .context("rendering the label PNG")?,
    };
    std::fs::write(&a.output, bytes).with_context(|| format!("writing {}", a.output.display()))?;
    println!("{}", label.url);
    eprintln!("label written to {}", a.output.display());
    Ok(ExitCode::SUCCESS)
}

/// `keurmerk verify`: what it proves and its exit codes (kept in step with [`exit`]).
pub const VERIFY_ABOUT: &str =
    "Verify a label offline against the cached trust list; with --online, also its live status; with
--status-list FILE, its status from the registry's signed status list, offline and privately.

Offline the verdict is AUTHENTIC at best: who issued what, for which product, and when — the live
status is not checked. Only --online, with a fresh signed status that agrees with the label, or
--status-list, with an unexpired list signed by a registry key of the trust list, says VALID.
--status-list makes no network request at all: nobody learns which label was checked. With
--status-list-receipt FILE the list must also be proven to be in the registry's transparency log
(so it is the list everyone else is shown), again offline.

Exit status:
  0  offline: authentic; --online or --status-list: valid (or valid, action needed)
  1  rejected: malformed, tampered, unknown key, revoked key, key not valid, expired, wrong id
  2  trust list missing, root key missing, or trust list signature failing
  3  --online or --status-list: the registry says the label is not valid (or suspended)
  4  --online or --status-list: the status could not be confirmed (fail closed): no answer, an
     expired, damaged or forged status list, or a label the list does not cover
  5  out of scope: the signing key may not sign this claim (issuer kind, scheme, level or date)
  6  --online: the label's claims disagree with the registry's signed record";

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A label URL (`…/c/ID#TOKEN`), a bare token, or a file holding either.
    pub input: String,
    /// The cached trust list (default: keurmerk-trust-list.json in the current directory).
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
    /// The pinned registry root public key (base64); default: the file keurmerk-root.pub next to
    /// the trust list. Never taken from the trust list itself.
    #[arg(long, env = "KEURMERK_ROOT_KEY")]
    pub root_key: Option<String>,
    /// Also fetch the signed live status from this registry (`https://registry.example` or
    /// `http://host:port`, optionally with a path prefix); redirects are not followed.
    #[arg(long, conflicts_with = "status_list")]
    pub online: Option<String>,
    /// A Status List Token (`GET /api/v1/status-list`, `application/statuslist+jwt`) saved
    /// earlier: the label's status is read from it at the index its code carries, with no
    /// network request. The list must be unexpired and signed by a registry key of the trust list.
    #[arg(long, value_name = "FILE")]
    pub status_list: Option<PathBuf>,
    /// The status list's receipt (`GET /api/v1/status-list/{sha256}/receipt`, SHA-256 of the
    /// list's token) saved with it: the list must then also be proven to be in the registry's
    /// transparency log, whose key the trust list names, so it is the list everyone else is
    /// shown. Offline too.
    #[arg(long, value_name = "FILE", requires = "status_list")]
    pub status_list_receipt: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Exit codes of `keurmerk verify` (documented in [`VERIFY_ABOUT`], the README and
/// docs/FORMATS.md §8).
pub mod exit {
    /// Offline: the label is authentic (live status not checked). Online: it is valid.
    pub const OK: u8 = 0;
    /// The label was rejected (tampered, unknown or revoked key, expired, …).
    pub const REJECTED: u8 = 1;
    /// The trust list is missing, unreadable or its signature fails.
    pub const TRUST_LIST: u8 = 2;
    /// Online: the live status says the label is not valid.
    pub const NOT_VALID: u8 = 3;
    /// Online: the live status could not be confirmed (fail closed).
    pub const UNKNOWN: u8 = 4;
    /// The claim is outside the signing key's scope (a forgery, or signed outside an
    /// authorisation's dates).
    pub const OUT_OF_SCOPE: u8 = 5;
    /// Online: the label's claims disagree with the registry's signed record.
    pub const CLAIMS_MISMATCH: u8 = 6;
}

fn rejection(e: &TrustError) -> (&'static str, String) {
    match e {
        TrustError::Malformed { .. } => (
            "malformed",
            format!("this is not a readable Keurmerk label code ({e})"),
        ),
        TrustError::BadSignature(_) => (
            "tampered",
            "TAMPERED: the label's signature does not match its content; it was altered or forged"
                .into(),
        ),
        TrustError::UnknownKey(k) => (
            "unknown_key",
            format!("UNKNOWN KEY: signed by key {k}, which is not in the trust list"),
        ),
        TrustError::RevokedKey { .. } => (
            "revoked_key",
            format!("REVOKED KEY: the signing key was reported compromised ({e})"),
        ),
        TrustError::KeyNotValidAt { .. } => (
            "key_not_valid",
            format!("KEY NOT VALID: {e}"),
        ),
        TrustError::NotAuthorised { .. } => (
            "not_authorised",
            format!("NOT AUTHORISED: the signer may not issue this label ({e})"),
        ),
        TrustError::OutOfScope { .. } => (
            "out_of_scope",
            format!(
                "OUT OF SCOPE: the signing key's organisation may not issue this label — a forgery, \
                 or signed outside its authorisation ({e})"
            ),
        ),
        TrustError::ClaimsMismatch { .. } => (
            "claims_mismatch",
            format!(
                "CLAIMS MISMATCH: the label disagrees with the registry's signed record — do not \
                 rely on it ({e})"
            ),
        ),
        TrustError::CertificateExpired { .. } => ("expired", format!("EXPIRED: {e}")),
        TrustError::CertificateIdMismatch { .. } => (
            "wrong_certificate",
            format!("WRONG CERTIFICATE: the code belongs to another certificate ({e})"),
        ),
        TrustError::FromTheFuture { .. } => ("from_the_future", format!("FROM THE FUTURE: {e}")),
        TrustError::TrustListSignature => (
            "trust_list_signature",
            "TRUST LIST SIGNATURE FAILS: the trust list was not signed by the pinned registry root key".into(),
        ),
        other => ("rejected", other.to_string()),
    }
}

fn load_trust_list(a: &VerifyArgs) -> Result<TrustList, (String, String)> {
    let path = a
        .trust_list
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_TRUST_LIST));
    let bytes = std::fs::read(&path).map_err(|e| {
        (
            "trust_list_missing".to_owned(),
            format!(
                "no trust list at {} ({e}): offline verification needs a cached trust list; \
                 get one with `keurmerk trust-list export FILE` or from GET /api/v1/trust-list \
                 and pass --trust-list FILE",
                path.display()
            ),
        )
    })?;
    let root_text = match &a.root_key {
        Some(k) => k.clone(),
        None => {
            let root_file = beside(&path, ROOT_KEY_FILE);
            std::fs::read_to_string(&root_file).map_err(|e| {
                (
                    "root_key_missing".to_owned(),
                    format!(
                        "no pinned registry root key: pass --root-key BASE64 or put it in {} ({e})",
                        root_file.display()
                    ),
                )
            })?
        }
    };
    let root = PublicKey::from_base64(root_text.trim()).map_err(|e| {
        (
            "root_key_malformed".to_owned(),
            format!("the pinned root key is not a base64 Ed25519 public key: {e}"),
        )
    })?;
    TrustList::verify(&bytes, &root).map_err(|e| {
        let (code, msg) = rejection(&e);
        (code.to_owned(), format!("{msg} ({})", path.display()))
    })
}

fn read_input(input: &str) -> Result<String> {
    if input == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    let p = Path::new(input);
    if !input.contains('#') && !input.contains("://") && p.is_file() {
        return std::fs::read_to_string(p).with_context(|| format!("reading {input}"));
    }
    Ok(input.to_owned())
}

fn describe(v: &VerifiedLabel, now: DateTime<Utc>) -> Vec<String> {
    let c = &v.claims;
    let cut = |s: &str, t: bool| if t { format!("{s}…") } else { s.to_owned() };
    let who = match c.issuer_kind {
        IssuerKind::ThirdParty => format!(
            "tested and certified by {}, an independent {}",
            v.issuer.organisation_name,
            role_words(v.issuer.role)
        ),
        _ => format!(
            "self-declared by the manufacturer {} (not tested by an independent body)",
            v.issuer.organisation_name
        ),
    };
    let mut lines = vec![
        format!("Certificate:    {}", c.certificate_id),
        format!(
            "Product:        {} (model {})",
            cut(&c.product_name, v.product_name_truncated),
            cut(&c.model_designation, v.model_designation_truncated)
        ),
        format!("Scheme, level:  {} {}", c.scheme_id, c.level),
        format!("Issuer:         {who}"),
        format!("Issued on:      {}", c.issued_on),
        format!("Valid until:    {}", c.valid_until),
        format!("Security updates until: {}", c.support_until),
        format!("Signing key:    {}", v.issuer.key_id),
    ];
    if v.trust_list_stale {
        lines.push(format!(
            "Warning: the trust list is past its next update (checked at {now}); fetch a fresh one"
        ));
    }
    lines
}

fn fail(json: bool, code: u8, reason: &str, message: &str) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::json!({"verdict": "rejected", "reason": reason, "message": message})
        );
    } else {
        eprintln!("REJECTED — {message}");
    }
    ExitCode::from(code)
}

pub async fn verify(a: &VerifyArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let list = match load_trust_list(a) {
        Ok(l) => l,
        Err((code, msg)) => return Ok(fail(a.json, exit::TRUST_LIST, &code, &msg)),
    };
    let input = read_input(&a.input)?;
    let verified = match verify_label_input(&input, &list, now) {
        Ok(v) => v,
        Err(e) => {
            let (code, msg) = rejection(&e);
            let exit = match e {
                TrustError::OutOfScope { .. } => exit::OUT_OF_SCOPE,
                _ => exit::REJECTED,
            };
            return Ok(fail(a.json, exit, code, &msg));
        }
    };
    // Offline the most that can be said is "authentic": the live status is unknown.
    let mut verdict = "authentic";
    let mut code = exit::OK;
    let mut live = serde_json::Value::Null;
    let mut live_line = None;
    if let Some(base) = &a.online {
        let id = &verified.claims.certificate_id;
        let outcome = fetch_status(base, id).await.and_then(|bytes| {
            StatusResponse::verify(&bytes, &list, id, now).map_err(|e| e.to_string())
        });
        match outcome {
            Ok(s) => {
                // The signed answer must be about this label: the same claims, or it is rejected.
                if let Err(e) = s.response.check_label(&verified) {
                    let (reason, msg) = rejection(&e);
                    return Ok(fail(a.json, exit::CLAIMS_MISMATCH, reason, &msg));
                }
                let v = s.response.verdict(now);
                live = serde_json::json!({"status": s.response.status, "reasons": s.response.reasons,
                    "produced_at": s.response.produced_at, "next_update": s.response.next_update,
                    "verdict": format!("{v:?}").to_lowercase()});
                let (word, c, name) = match v {
                    ClientVerdict::Valid => ("valid", exit::OK, "valid"),
                    ClientVerdict::Attention => ("valid, action needed", exit::OK, "valid"),
                    ClientVerdict::NotValid(_) => ("not valid", exit::NOT_VALID, "not_valid"),
                    _ => ("unknown", exit::UNKNOWN, "unknown"),
                };
                live_line = Some(format!(
                    "Live status:    {:?} (signed at {}, current until {}) → {word}",
                    s.response.status, s.response.produced_at, s.response.next_update
                ));
                verdict = name;
                code = c;
            }
            Err(e) => {
                // Fail closed: without a fresh, verified status we cannot say it still holds.
                live = serde_json::json!({"verdict": "unknown", "error": e});
                live_line = Some(format!(
                    "Live status:    could not confirm the current status ({e})"
                ));
                verdict = "unknown";
                code = exit::UNKNOWN;
            }
        }
    }
    if let Some(path) = &a.status_list {
        // The list the label points at: its registry's, under the base of the label's URL (a
        // bare token names no registry, and any of the trust list's registry keys' lists is
        // taken for it).
        let sub = keurmerk_trust::parse_label_input(&input)
            .ok()
            .and_then(|p| p.base_url)
            .map(|base| format!("{base}{}", keurmerk_service::STATUS_LIST_PATH));
        let (c, name, value, line) = listed_status(
            path,
            a.status_list_receipt.as_deref(),
            &list,
            (&verified, sub.as_deref()),
            now,
        );
        verdict = name;
        code = c;
        live = value;
        live_line = Some(line);
    }
    if a.json {
        let out = serde_json::json!({
            "verdict": verdict,
            "label": verified,
            "trust_list_sequence": list.sequence,
            "live": live,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let mut out = std::io::stdout().lock();
        for l in describe(&verified, now) {
            writeln!(out, "{l}")?;
        }
        if let Some(l) = live_line {
            writeln!(out, "{l}")?;
        }
        let c = &verified.claims;
        let words = match verdict {
            "authentic" => format!(
                "AUTHENTIC — issued by {} for {} ({}) on {}; live status not checked \
                 (use --online to check it)",
                verified.issuer.organisation_name, c.product_name, c.model_designation, c.issued_on
            ),
            "valid" if a.status_list_receipt.is_some() => {
                "VALID — authentic, and the registry's signed status list, proven to be in its \
                 transparency log (both read offline), says it holds"
                    .into()
            }
            "valid" if a.status_list.is_some() => {
                "VALID — authentic, and the registry's signed status list (read offline) says it \
                 holds"
                    .into()
            }
            "valid" => {
                "VALID — authentic, and the registry's fresh signed status says it holds".into()
            }
            "not_valid" => "NOT VALID — the registry says this certificate no longer holds".into(),
            _ => "UNKNOWN — could not confirm the current status; do not treat it as valid".into(),
        };
        writeln!(out, "Verdict:        {words}")?;
    }
    Ok(ExitCode::from(code))
}

/// The label's status from a saved status list (`--status-list`), proven to be in the log when
/// its receipt is given (`--status-list-receipt`): exit code, verdict name, the JSON `live` value
/// and the line shown. Fail closed: anything but an unexpired, verified list that covers the
/// label's index, and is proven to be in the log if a receipt is given, is `unknown`; so is a
/// list whose `sub` is not `sub`, the list of the label's registry (where it is known).
fn listed_status(
    path: &Path,
    receipt: Option<&Path>,
    list: &TrustList,
    (label, sub): (&VerifiedLabel, Option<&str>),
    now: DateTime<Utc>,
) -> (u8, &'static str, serde_json::Value, String) {
    let unknown = |reason: &str, msg: String| {
        (
            exit::UNKNOWN,
            "unknown",
            serde_json::json!({"source": "status_list", "verdict": "unknown", "reason": reason,
                "error": msg}),
            format!("Status list:    could not confirm the status ({msg})"),
        )
    };
    let token = match read_status_list(path) {
        Ok(t) => t,
        Err(e) => return unknown("status_list_unreadable", e),
    };
    let v = match keurmerk_trust::verify_status_list_token(
        &token,
        list,
        None,
        now,
        keurmerk_trust::MAX_STATUS_LIST_BYTES,
    ) {
        Ok(v) => v,
        Err(e) => {
            let reason = match &e {
                TrustError::StatusListExpired { .. } => "status_list_expired",
                TrustError::BadSignature(_) => "status_list_tampered",
                TrustError::UnknownKey(_) => "status_list_unknown_key",
                TrustError::NotAuthorised { .. } => "status_list_not_registry",
                TrustError::RevokedKey { .. } | TrustError::KeyNotValidAt { .. } => {
                    "status_list_key_not_valid"
                }
                _ => "status_list_malformed",
            };
            return unknown(
                reason,
                format!("the status list in {} is not usable: {e}", path.display()),
            );
        }
    };
    // Another registry's list (or another list of this one) says nothing about this label's
    // index, even when a key of this trust list signed it.
    if let Some(want) = sub.filter(|want| v.sub != *want) {
        return unknown(
            "status_list_of_another_registry",
            format!(
                "the status list in {} is {}, not the list of the label's registry ({want})",
                path.display(),
                v.sub
            ),
        );
    }
    let logged = match receipt {
        None => None,
        Some(p) => {
            let bytes = match read_receipt(p) {
                Ok(b) => b,
                Err(e) => return unknown("status_list_receipt_unreadable", e),
            };
            match keurmerk_transparency::verify_status_list_receipt(&bytes, &token, list, now) {
                Ok(l) => Some(l),
                Err(e) => {
                    return unknown(
                        "status_list_not_logged",
                        format!(
                            "the status list is not proven to be in the transparency log by {}: \
                             {e}",
                            p.display()
                        ),
                    )
                }
            }
        }
    };
    let Some(index) = label.claims.status_index else {
        return unknown(
            "no_status_index",
            "the label's code carries no status-list index (it was printed before status \
             lists); use --online"
                .into(),
        );
    };
    // The list's last byte is padded with "not valid" slots, which a label issued after the
    // list was built can fall on; the logged record says how many slots are labels, so with a
    // receipt such a label is unknown (fetch a newer list), not "not valid".
    if let Some(l) = logged
        .as_ref()
        .filter(|l| u64::from(index) >= l.record.size)
    {
        return unknown(
            "index_out_of_range",
            format!(
                "index {index} is past the {} labels the list covers; the list is older than the \
                 label, fetch a fresh one",
                l.record.size
            ),
        );
    }
    let listed = match v.status(u64::from(index)) {
        Ok(s) => s,
        Err(e) => {
            return unknown(
                "index_out_of_range",
                format!("{e}; the list is older than the label, fetch a fresh one"),
            )
        }
    };
    let (word, code, name) = match listed {
        keurmerk_trust::ListedStatus::Valid => ("valid", exit::OK, "valid"),
        keurmerk_trust::ListedStatus::Attention => ("valid, action needed", exit::OK, "valid"),
        keurmerk_trust::ListedStatus::Suspended => ("suspended", exit::NOT_VALID, "not_valid"),
        keurmerk_trust::ListedStatus::Invalid => ("not valid", exit::NOT_VALID, "not_valid"),
    };
    let sha = keurmerk_trust::status_list_sha256(&token);
    let (in_log, logged) = match &logged {
        Some(l) => (
            format!(
                "in the transparency log {} at index {} of {}",
                l.origin, l.index, l.tree_size
            ),
            serde_json::json!({"origin": l.origin, "index": l.index, "tree_size": l.tree_size}),
        ),
        None => (
            "not checked against the transparency log: pass --status-list-receipt".to_owned(),
            serde_json::Value::Null,
        ),
    };
    (
        code,
        name,
        serde_json::json!({"source": "status_list", "status": listed, "index": index,
            "verdict": name, "list": {"sub": v.sub, "issued_at": v.issued_at,
            "expires_at": v.expires_at, "sha256": sha, "signer": v.signer.key_id,
            "logged": logged}}),
        format!(
            "Status list:    {listed:?} at index {index} (list issued {}, valid until {}, \
             SHA-256 {sha}; {in_log}) → {word}",
            v.issued_at, v.expires_at
        ),
    )
}

/// Reads a saved status list receipt, refusing a file larger than any receipt.
fn read_receipt(path: &Path) -> Result<Vec<u8>, String> {
    let limit = keurmerk_transparency::MAX_STATUS_LIST_RECEIPT_BYTES;
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > limit {
        return Err(format!(
            "{} is larger than any receipt ({limit} bytes)",
            path.display()
        ));
    }
    Ok(bytes)
}

/// Reads a saved Status List Token, refusing a file larger than any list we accept.
fn read_status_list(path: &Path) -> Result<String, String> {
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut text = String::new();
    let limit = keurmerk_trust::MAX_STATUS_LIST_TOKEN_CHARS as u64 + 2;
    f.take(limit)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text.len() as u64 >= limit {
        return Err(format!("{} is larger than any status list", path.display()));
    }
    Ok(text.trim().to_owned())
}

/// Largest signed status accepted.
const MAX_STATUS_BYTES: usize = 1 << 20;

/// GETs the signed status from the registry at `base` (`http://` or `https://`, with an optional
/// path prefix): 10 s timeout, no redirects (a redirect is an answer we did not ask for), at most
/// 1 MiB. What is returned is verified by the caller before anything in it is believed.
async fn fetch_status(base: &str, id: &str) -> Result<Vec<u8>, String> {
    let base = base.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(format!(
            "--online needs an http:// or https:// URL, got {base}"
        ));
    }
    let url = format!("{base}/api/v1/certificates/{id}/status?signed=1");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("keurmerk-verify/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut resp = client
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/keurmerk-status+json")
        .send()
        .await
        .map_err(|e| format!("cannot reach {base}: {e}"))?;
    if resp.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "the registry answered HTTP {}",
            resp.status().as_u16()
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the response: {e}"))?
    {
        if body.len() + chunk.len() > MAX_STATUS_BYTES {
            return Err("the response is larger than 1 MiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
