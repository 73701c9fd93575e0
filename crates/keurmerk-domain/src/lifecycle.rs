//! The certificate lifecycle (SPEC §4) as an explicit transition table:
//! state × command × actor role → new state, or a typed [`Denial`].
//!
//! [`TRANSITIONS`] lists every allowed transition. [`transition`] looks a request up in it and,
//! when it is not there, says precisely why (terminal state, wrong state, or wrong role).

use serde::{Deserialize, Serialize};

use crate::model::{text_enum, UnknownValue};

text_enum!(
    /// Lifecycle state of a certificate or statement of conformity.
    State, "certificate state" {
        /// In force.
        Active = "active",
        /// Temporarily not in force.
        Suspended = "suspended",
        /// Revoked for good.
        Withdrawn = "withdrawn",
        /// Past its validity.
        Expired = "expired",
        /// Replaced by a newer certificate.
        Superseded = "superseded",
        /// Its scheme stopped issuing; the existing label stays visible.
        Legacy = "legacy",
    }
);

impl State {
    /// States from which nothing further can happen.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Withdrawn | State::Expired | State::Superseded)
    }
}

text_enum!(
    /// A request to change a certificate's state.
    Command, "lifecycle command" {
        /// Suspend the certificate.
        Suspend = "suspend",
        /// Extend a running suspension (national authority only, EUCC Art 30).
        ExtendSuspension = "extend_suspension",
        /// Lift a suspension.
        Reinstate = "reinstate",
        /// Withdraw for good.
        Withdraw = "withdraw",
        /// Record that the validity period ended.
        Expire = "expire",
        /// Replace by a newer certificate.
        Supersede = "supersede",
        /// The scheme stopped issuing.
        MarkLegacy = "mark_legacy",
    }
);

text_enum!(
    /// The actor's role *relative to this certificate*, resolved by the service layer.
    ActorRole, "actor role" {
        /// The organisation that issued it (the assessment body, or the manufacturer for a
        /// self-declared statement).
        Issuer = "issuer",
        /// The holder, when it is not the issuer (a third-party certificate's manufacturer).
        Holder = "holder",
        /// The national authority supervising it.
        NationalAuthority = "national_authority",
        /// The registry itself: the operator, or the status policy acting automatically.
        Registry = "registry",
        /// The registry's scheduler applying the scheme's policy when a date passes
        /// (`keurmerk_domain::schedule`). No person or organisation ever acts in this role: the
        /// service resolves people to the other roles, and only the scheduler's pass uses it.
        Scheduler = "scheduler",
        /// Anyone else.
        Other = "other",
    }
);

impl ActorRole {
    /// The registry itself (the operator or its policy, or the scheduler): its events are signed
    /// with the registry's root key, never an organisation's.
    pub fn is_registry(self) -> bool {
        matches!(self, ActorRole::Registry | ActorRole::Scheduler)
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "denial", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Denial {
    /// The certificate is withdrawn, expired or superseded: nothing can change it any more.
    #[error("the certificate is {state}; a {state} certificate cannot be changed")]
    Terminal {
        /// Its state.
        state: State,
    },
    /// The command makes no sense in this state (e.g. reinstating an active certificate).
    #[error("cannot {command} a certificate that is {state}")]
    WrongState {
        /// The requested command.
        command: Command,
        /// The current state.
        state: State,
    },
    /// The command is possible in this state, but not for this actor.
    #[error("only {allowed} may {command} this certificate, not the {role}")]
    NotPermitted {
        /// The requested command.
        command: Command,
        /// The actor's role.
        role: ActorRole,
        /// Who may, in words.
        allowed: &'static str,
    },
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Current state.
    pub from: State,
    /// Requested command.
    pub command: Command,
    /// Who asks.
    pub role: ActorRole,
    /// Resulting state.
    pub to: State,
}

const fn row(from: State, command: Command, role: ActorRole, to: State) -> Transition {
    Transition {
        from,
        command,
        role,
        to,
    }
}

use ActorRole as R;
use Command as C;
use State as S;

/// Every allowed transition. Anything not listed is denied.
pub const TRANSITIONS: &[Transition] = &[
    row(S::Active, C::Suspend, R::Issuer, S::Suspended),
    row(S::Active, C::Suspend, R::NationalAuthority, S::Suspended),
    row(S::Active, C::Suspend, R::Registry, S::Suspended),
    row(
        S::Suspended,
        C::ExtendSuspension,
        R::NationalAuthority,
        S::Suspended,
    ),
    row(S::Suspended, C::Reinstate, R::Issuer, S::Active),
    row(S::Suspended, C::Reinstate, R::NationalAuthority, S::Active),
    row(S::Active, C::Withdraw, R::Issuer, S::Withdrawn),
    row(S::Active, C::Withdraw, R::NationalAuthority, S::Withdrawn),
    row(S::Suspended, C::Withdraw, R::Issuer, S::Withdrawn),
    row(
        S::Suspended,
        C::Withdraw,
        R::NationalAuthority,
        S::Withdrawn,
    ),
    row(S::Legacy, C::Withdraw, R::Issuer, S::Withdrawn),
    row(S::Legacy, C::Withdraw, R::NationalAuthority, S::Withdrawn),
    row(S::Active, C::Expire, R::Registry, S::Expired),
    row(S::Suspended, C::Expire, R::Registry, S::Expired),
    row(S::Legacy, C::Expire, R::Registry, S::Expired),
    // A new certificate for the same product and scheme replaces a live one: recorded by its
    // issuer, or by the registry when another organisation issued the new one.
    row(S::Active, C::Supersede, R::Issuer, S::Superseded),
    row(S::Suspended, C::Supersede, R::Issuer, S::Superseded),
    row(S::Active, C::Supersede, R::Registry, S::Superseded),
    row(S::Suspended, C::Supersede, R::Registry, S::Superseded),
    row(S::Active, C::MarkLegacy, R::Registry, S::Legacy),
    // The scheduler applies the scheme's policy on time (SPEC §4, issue 12): it suspends for an
    // overdue vulnerability, withdraws at the end of a suspension that was not lifted (EUCC) or
    // for a certificate issued after its assessment body lost the authorisation, and records
    // expiry (validity or, where labels are valid only while supported, support).
    row(S::Active, C::Suspend, R::Scheduler, S::Suspended),
    row(S::Active, C::Withdraw, R::Scheduler, S::Withdrawn),
    row(S::Suspended, C::Withdraw, R::Scheduler, S::Withdrawn),
    row(S::Legacy, C::Withdraw, R::Scheduler, S::Withdrawn),
    row(S::Active, C::Expire, R::Scheduler, S::Expired),
    row(S::Suspended, C::Expire, R::Scheduler, S::Expired),
    row(S::Legacy, C::Expire, R::Scheduler, S::Expired),
];

fn who_may(command: Command) -> &'static str {
    match command {
        Command::Suspend => "the issuer, the national authority or the registry's status policy",
        Command::ExtendSuspension => "the national authority",
        Command::Reinstate => "the issuer or the national authority",
        Command::Withdraw => {
            "the issuer, the national authority or the registry's scheduler under the scheme's policy"
        }
        Command::Expire => "the registry",
        Command::MarkLegacy => "the registry",
        Command::Supersede => "the issuer or the registry",
    }
}

/// Applies the table: the new state, or why not.
pub fn transition(from: State, command: Command, role: ActorRole) -> Result<State, Denial> {
    if from.is_terminal() {
        return Err(Denial::Terminal { state: from });
    }
    if let Some(t) = TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.command == command && t.role == role)
    {
        return Ok(t.to);
    }
    if TRANSITIONS
        .iter()
        .any(|t| t.from == from && t.command == command)
    {
        Err(Denial::NotPermitted {
            command,
            role,
            allowed: who_may(command),
        })
    } else {
        Err(Denial::WrongState {
            command,
            state: from,
        })
    }
}

#[cfg(test)]
mod tests;
