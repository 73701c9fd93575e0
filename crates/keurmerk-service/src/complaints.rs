//! Complaints from the public (Cybersecurity Act Art 63): filed against a certificate, routed
//! to the national authority that supervises it, handled there step by step
//! ([`keurmerk_domain::complaint`]: received → assigned → answered → closed) and followed by the
//! complainant with a public reference.
//!
//! Who may do what:
//! - anyone files a complaint about a certificate that has a receiving authority (one without
//!   is refused: it could not be routed; [`ComplaintRouting`] says where to go instead), and
//!   follows it with its reference ([`Registry::complaint_status`]), which shows state, dates and
//!   the answer, never the complainant's address, text or who handles it;
//! - the receiving national authority reads, assigns, answers and closes it;
//! - the registry operator reads every complaint, without the complainant's address;
//! - nobody else reads or changes it (another authority, an assessment body, a maker).
//!
//! The reference is 128 random bits, returned once by [`Registry::file_complaint`]; only its
//! SHA-256 is stored. The complainant's address is erased when the complaint is closed.

use chrono::{DateTime, Utc};
use keurmerk_domain::complaint::{self, ComplaintState, Outcome, Step};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::model::{Certificate, OrgRole, Organisation, Product};
use keurmerk_store::{ApiStore, Audit, Complaint, Credential, FormNonce, RegistryStore};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// Longest complaint text.
pub const MAX_COMPLAINT_CHARS: usize = 5000;
/// Longest answer to a complaint.
pub const MAX_ANSWER_CHARS: usize = 5000;
/// Longest name of the person a complaint is assigned to.
pub const MAX_ASSIGNEE_CHARS: usize = 100;
/// Longest e-mail address (RFC 5321 path limit).
pub const MAX_CONTACT_CHARS: usize = 254;
/// Random bytes of a reference (128 bits), hex-encoded: 32 characters.
const REFERENCE_BYTES: usize = 16;

/// Where a complaint about a certificate goes, for the form to say so before anyone writes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ComplaintRouting {
    /// The certificate.
    pub certificate: Certificate,
    /// The labelled product.
    pub product: Product,
    /// The product's maker (the certificate's holder).
    pub holder: Organisation,
    /// The scheme's title.
    pub scheme_title: String,
    /// The level's name.
    pub level_name: String,
    /// The national authority in this registry that receives complaints about it, if any.
    pub authority: Option<Organisation>,
    /// Who supervises the scheme where the label applies, in the scheme's words (e.g. "Cyber
    /// Security Agency of Singapore (CSA)"); named even when that body is not in this registry.
    pub supervisor: Option<String>,
}

/// A complaint as the complainant sees it with the reference: no address, no complaint text,
/// no name of who handles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ComplaintStatus {
    /// The complaint's number.
    pub id: RecordId,
    /// The certificate complained about.
    pub certificate: CertificateId,
    /// The labelled product's name.
    pub product_name: String,
    /// The authority handling it.
    pub authority: Option<OrgId>,
    /// The authority's name.
    pub authority_name: Option<String>,
    /// Where it stands.
    pub state: ComplaintState,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// When someone at the authority took it on.
    pub assigned_at: Option<DateTime<Utc>>,
    /// The authority's answer.
    pub answer: Option<String>,
    /// The language the answer is written in (English for answers given before it was
    /// recorded); `None` without an answer.
    pub answer_lang: Option<Lang>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A complaint just filed, with the reference to follow it: shown once, never stored.
#[derive(Debug, Clone)]
pub struct FiledComplaint {
    /// The stored complaint.
    pub complaint: Complaint,
    /// The public reference (32 lowercase hex digits).
    pub reference: String,
}

/// A step of an authority on a complaint, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintAction {
    /// Give it to this person of the authority.
    Assign {
        /// The person's name.
        assignee: String,
    },
    /// Answer the complainant with this text.
    Answer {
        /// The answer, shown to the complainant.
        answer: String,
        /// The language it is written in; `None`: the language of the authority's member state
        /// where that is one of en/nl/de/fr ([`Lang::of_member_state`]), else English.
        lang: Option<Lang>,
    },
    /// Close it with this outcome.
    Close {
        /// How it ended.
        outcome: Outcome,
    },
}

/// Free text that may span lines: not empty, at most `max` characters, and no control
/// characters other than line breaks and tabs.
fn check_long_text(field: &str, value: &str, max: usize) -> ServiceResult<()> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// An e-mail address as a person types it: one `@` with something on both sides, a dot in the
/// domain, no spaces or control characters, at most [`MAX_CONTACT_CHARS`].
pub(crate) fn check_email(value: &str) -> ServiceResult<()> {
    let bad = |why: &str| Err(invalid("contact", why.to_owned()));
    if value.chars().count() > MAX_CONTACT_CHARS {
        return bad(&format!("must be at most {MAX_CONTACT_CHARS} characters"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("an e-mail address has no spaces");
    }
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(())
        }
        _ => bad("is not an e-mail address (name@example.org)"),
    }
}

/// The stored digest of a reference as typed: surrounding spaces and case do not matter;
/// anything but 32 hex digits is no reference (`None`).
pub fn reference_digest(reference: &str) -> Option<String> {
    let r = reference.trim();
    if r.len() != 2 * REFERENCE_BYTES || !r.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(hex::encode(Sha256::digest(
        r.to_ascii_lowercase().as_bytes(),
    )))
}

fn new_reference() -> String {
    let mut bytes = [0u8; REFERENCE_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

impl<S: RegistryStore + ApiStore> Registry<S> {
    /// Where a complaint about `certificate` would go, and what the form must name.
    pub async fn complaint_routing(
        &self,
        certificate: &CertificateId,
    ) -> ServiceResult<ComplaintRouting> {
        let (cert, _) = self
            .store()
            .certificate(certificate)
            .await?
            .ok_or_else(|| not_found("certificate", certificate))?;
        let product = self
            .store()
            .product(&cert.product)
            .await?
            .ok_or_else(|| not_found("product", &cert.product))?;
        let holder = self.organisation(&cert.holder).await?;
        // Only a national authority receives complaints (an organisation that is not one any
        // more, or was removed, cannot).
        let authority = match &cert.authority {
            Some(a) => self
                .store()
                .org(a)
                .await?
                .filter(|o| o.role == OrgRole::NationalAuthority),
            None => None,
        };
        let scheme = self.catalogue().get(&cert.scheme);
        let (scheme_title, level_name, supervisor) = match scheme {
            Some(s) => {
                // The jurisdiction the label is supervised in: where the maker is established
                // if the scheme names it, else the EU for an EU-wide scheme, else the scheme's
                // first jurisdiction.
                let j = s
                    .jurisdictions
                    .iter()
                    .find(|j| **j == holder.member_state)
                    .or_else(|| {
                        s.jurisdictions.iter().find(|j| {
                            s.applies_in(&holder.member_state)
                                && j.as_str() == keurmerk_domain::jurisdiction::EU
                        })
                    })
                    .or(s.jurisdictions.first());
                (
                    s.title.clone(),
                    s.levels
                        .iter()
                        .find(|l| l.id == cert.level)
                        .map_or_else(|| cert.level.to_string(), |l| l.name.clone()),
                    j.and_then(|j| s.supervisor(j)).map(|sv| sv.body.clone()),
                )
            }
            None => (cert.scheme.to_string(), cert.level.to_string(), None),
        };
        Ok(ComplaintRouting {
            certificate: cert,
            product,
            holder,
            scheme_title,
            level_name,
            authority,
            supervisor,
        })
    }

    /// The public files a complaint about a certificate; it goes to the certificate's national
    /// authority, and a certificate without one is refused (the complaint could not be routed).
    /// `contact`, if given, must be an e-mail address. With the nonce of a single-use form
    /// token (`form`), the nonce is consumed in the complaint's own transaction: a token used
    /// before is a [`ServiceError::Conflict`] and stores nothing. The reference returned is
    /// shown once; only its SHA-256 is stored.
    pub async fn file_complaint(
        &self,
        certificate: &CertificateId,
        contact: Option<String>,
        body: &str,
        form: Option<&FormNonce>,
    ) -> ServiceResult<FiledComplaint> {
        let routing = self.complaint_routing(certificate).await?;
        let Some(authority) = routing.authority else {
            return Err(invalid(
                "certificate",
                format!(
                    "no national authority in this registry receives complaints about {}; \
                     contact {} instead",
                    routing.certificate.id,
                    routing
                        .supervisor
                        .as_deref()
                        .unwrap_or("the maker or a consumer organisation")
                ),
            ));
        };
        check_long_text("complaint", body, MAX_COMPLAINT_CHARS)?;
        let contact = contact
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(c) = &contact {
            check_email(c)?;
        }
        let reference = new_reference();
        let n = self.store().next_sequence("CMP").await?;
        let c = Complaint {
            id: RecordId::from_sequence("CMP", n),
            certificate: routing.certificate.id,
            authority: Some(authority.id),
            filed_at: self.now(),
            contact,
            body: body.trim().to_owned(),
            reference_sha256: reference_digest(&reference),
            state: ComplaintState::Received,
            assignee: None,
            assigned_at: None,
            answer: None,
            answered_at: None,
            answer_lang: None,
            outcome: None,
            closed_at: None,
        };
        // The public files it: no organisation, and no personal data (contact, text) in the trail.
        let audit = Audit {
            at: c.filed_at,
            actor: None,
            credential: Credential::Public,
            action: "complaint.file".into(),
            subject: c.id.to_string(),
            detail: json!({"certificate": c.certificate, "authority": c.authority}),
        };
        match form {
            Some(nonce) => self
                .store()
                .insert_complaint_once(&c, nonce, &audit)
                .await
                .map_err(|e| match e {
                    keurmerk_store::StoreError::AlreadyExists { .. } => ServiceError::Conflict(
                        "this complaint form was sent already; each form is accepted once".into(),
                    ),
                    other => other.into(),
                })?,
            None => self.store().insert_complaint(&c, &audit).await?,
        }
        Ok(FiledComplaint {
            complaint: c,
            reference,
        })
    }

    /// Who reads complaints: a national authority (its own) or the registry operator (all,
    /// without the complainant's address). `None` from the authority filter means all.
    async fn complaint_reader(&self, actor: &Actor) -> ServiceResult<Organisation> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "read complaints",
        )
        .await
    }

    /// Complaints: a national authority reads those routed to it, the registry operator all
    /// (without the complainants' addresses), newest first.
    pub async fn complaints(
        &self,
        actor: &Actor,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<Complaint>> {
        let me = self.complaint_reader(actor).await?;
        let only = (me.role == OrgRole::NationalAuthority).then_some(&me.id);
        let mut list = self
            .store()
            .complaints(only, limit.clamp(1, 500), offset.max(0))
            .await?;
        if me.role == OrgRole::RegistryOperator {
            for c in &mut list {
                c.contact = None;
            }
        }
        Ok(list)
    }

    /// One complaint, for its receiving authority (in full) or the registry operator (without
    /// the complainant's address).
    pub async fn complaint(&self, actor: &Actor, id: &RecordId) -> ServiceResult<Complaint> {
        let me = self.complaint_reader(actor).await?;
        let mut c = self
            .store()
            .complaint(id)
            .await?
            .ok_or_else(|| not_found("complaint", id))?;
        match me.role {
            OrgRole::RegistryOperator => c.contact = None,
            _ if c.authority.as_ref() != Some(&me.id) => {
                return Err(ServiceError::Forbidden(format!(
                    "{id} was sent to another authority; only that authority may read it"
                )))
            }
            _ => {}
        }
        Ok(c)
    }

    /// The receiving authority takes a step on a complaint: assign, answer or close
    /// ([`keurmerk_domain::complaint::TRANSITIONS`]). Audited with the actor's organisation and
    /// credential; closing erases the complainant's address. A step the state does not allow,
    /// or one that raced another person's step, is a [`ServiceError::Conflict`].
    pub async fn handle_complaint(
        &self,
        actor: &Actor,
        id: &RecordId,
        action: ComplaintAction,
    ) -> ServiceResult<Complaint> {
        let me = self
            .acting_as(actor, &[OrgRole::NationalAuthority], "handle complaints")
            .await?;
        let stored = self
            .store()
            .complaint(id)
            .await?
            .ok_or_else(|| not_found("complaint", id))?;
        if stored.authority.as_ref() != Some(&me.id) {
            return Err(ServiceError::Forbidden(format!(
                "{id} was sent to another authority; only that authority may handle it"
            )));
        }
        let step = match &action {
            ComplaintAction::Assign { assignee } => {
                check_long_text("assignee", assignee, MAX_ASSIGNEE_CHARS)?;
                if assignee.contains(['\n', '\r', '\t']) {
                    return Err(invalid("assignee", "must be one line"));
                }
                Step::Assign
            }
            ComplaintAction::Answer { answer, .. } => {
                check_long_text("answer", answer, MAX_ANSWER_CHARS)?;
                Step::Answer
            }
            ComplaintAction::Close { outcome } => Step::Close(*outcome),
        };
        let to = complaint::step(stored.state, step)
            .map_err(|e| ServiceError::Conflict(format!("{id}: {e}")))?;
        let now = self.now();
        let mut c = stored.clone();
        c.state = to;
        let detail = match &action {
            ComplaintAction::Assign { assignee } => {
                c.assignee = Some(assignee.trim().to_owned());
                c.assigned_at = Some(now);
                json!({"from": stored.state, "to": to, "assignee": c.assignee})
            }
            ComplaintAction::Answer { answer, lang } => {
                let lang = lang
                    .or_else(|| Lang::of_member_state(&me.member_state))
                    .unwrap_or(Lang::En);
                c.answer = Some(answer.trim().to_owned());
                c.answered_at = Some(now);
                c.answer_lang = Some(lang);
                // The answer is shown to the complainant; the trail keeps only its size.
                json!({"from": stored.state, "to": to, "lang": lang,
                       "answer_chars": answer.trim().chars().count()})
            }
            ComplaintAction::Close { outcome } => {
                c.outcome = Some(*outcome);
                c.closed_at = Some(now);
                // Kept only to reply about this complaint: no longer needed once it is closed.
                c.contact = None;
                json!({"from": stored.state, "to": to, "outcome": outcome,
                       "contact_erased": stored.contact.is_some()})
            }
        };
        let audit = self.audit(
            actor,
            &format!("complaint.{}", step.as_str()),
            &c.id,
            json!({"certificate": c.certificate, "change": detail}),
        );
        self.store()
            .update_complaint(&c, stored.state, &audit)
            .await?;
        Ok(c)
    }

    /// What the complainant sees with the reference. An unknown or malformed reference is the
    /// same [`ServiceError::NotFound`], naming nothing.
    pub async fn complaint_status(&self, reference: &str) -> ServiceResult<ComplaintStatus> {
        let unknown = || not_found("complaint", "with this reference");
        let digest = reference_digest(reference).ok_or_else(unknown)?;
        let c = self
            .store()
            .complaint_by_reference(&digest)
            .await?
            .ok_or_else(unknown)?;
        let product_name = match self.store().certificate(&c.certificate).await? {
            Some((cert, _)) => self
                .store()
                .product(&cert.product)
                .await?
                .map(|p| p.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let authority_name = match &c.authority {
            Some(a) => self.store().org(a).await?.map(|o| o.name),
            None => None,
        };
        Ok(ComplaintStatus {
            id: c.id,
            certificate: c.certificate,
            product_name,
            authority: c.authority,
            authority_name,
            state: c.state,
            filed_at: c.filed_at,
            assigned_at: c.assigned_at,
            answer_lang: c.answer.as_ref().map(|_| c.answer_lang.unwrap_or(Lang::En)),
            answer: c.answer,
            answered_at: c.answered_at,
            outcome: c.outcome,
            closed_at: c.closed_at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn references_are_random_and_digested_case_insensitively() {
        let a = new_reference();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_reference());
        let d = reference_digest(&a).unwrap();
        assert_eq!(reference_digest(&a.to_ascii_uppercase()), Some(d.clone()));
        assert_eq!(reference_digest(&format!("  {a}\n")), Some(d.clone()));
        assert_eq!(d.len(), 64);
        for bad in [
            "",
            "abc",
            &a[..31],
            &format!("{a}0"),
            &"g".repeat(32),
            &"é".repeat(16),
        ] {
            assert_eq!(reference_digest(bad), None, "{bad}");
        }
    }

    #[test]
    fn email_addresses_are_checked_plainly() {
        for ok in ["a@b.nl", "first.last+tag@sub.example.org"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "plain",
            "@b.nl",
            "a@b",
            "a@.nl",
            "a@b.",
            "a b@c.nl",
            "a@@b.nl",
            "a@b@c.nl",
            "a\n@b.nl",
            &format!("{}@b.nl", "x".repeat(260)),
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever a visitor types as a reference: no panic, and a digest exactly for 32 hex
        /// digits (spaces around and case aside).
        #[test]
        fn any_text_is_a_reference_or_not_without_panicking(s in "\\PC{0,80}") {
            let t = s.trim();
            let is_ref = t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit());
            proptest::prop_assert_eq!(reference_digest(&s).is_some(), is_ref);
        }

        #[test]
        fn hex_references_digest_the_same_in_any_case(bytes in proptest::array::uniform16(0u8..)) {
            let r = hex::encode(bytes);
            let d = reference_digest(&r);
            proptest::prop_assert!(d.is_some());
            proptest::prop_assert_eq!(reference_digest(&r.to_ascii_uppercase()), d);
        }

        /// Addresses and free text from the public never panic the checks, and what passes
        /// has no control characters beyond line breaks and tabs.
        #[test]
        fn checks_of_public_text_never_panic(s in "\\PC{0,300}|[\\x00-\\x1f]{0,5}") {
            if check_email(&s).is_ok() {
                proptest::prop_assert!(!s.chars().any(char::is_control));
                proptest::prop_assert!(s.contains('@'));
            }
            if check_long_text("complaint", &s, 200).is_ok() {
                proptest::prop_assert!(!s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
            }
        }
    }

    #[test]
    fn long_text_keeps_line_breaks_but_not_other_controls() {
        assert!(check_long_text("answer", "Line one\nline two\r\n\tend", 100).is_ok());
        assert!(check_long_text("answer", "bell\u{7}", 100).is_err());
        assert!(check_long_text("answer", " \n ", 100).is_err());
        assert!(check_long_text("answer", &"x".repeat(101), 100).is_err());
    }
}
