//! How a complaint from the public is handled (Cybersecurity Act Art 63): a small state machine,
//! pure and table-driven like [`crate::lifecycle`].
//!
//! ```text
//! received ──assign──▶ assigned ──answer──▶ answered ──close(any outcome)──▶ closed
//!     │                  │  ▲ assign (hand over)
//!     └──────────────────┴──close(forwarded | withdrawn)──▶ closed
//! ```
//!
//! A complaint is *upheld* or *rejected* only after the complainant has been given an answer
//! (they must be told why); one that is *forwarded* elsewhere or *withdrawn* by the complainant
//! may be closed at any time before. `closed` is final: nothing changes it.

use serde::{Deserialize, Serialize};

use crate::model::{text_enum, UnknownValue};

text_enum!(
    /// Where a complaint stands.
    ComplaintState, "complaint state" {
        /// Filed by the public; nobody handles it yet.
        Received = "received",
        /// A named person of the authority handles it.
        Assigned = "assigned",
        /// The authority has answered the complainant.
        Answered = "answered",
        /// Done, with an outcome.
        Closed = "closed",
    }
);

text_enum!(
    /// How a closed complaint ended.
    Outcome, "complaint outcome" {
        /// The complaint was right; the authority acts on it.
        Upheld = "upheld",
        /// The complaint was not right.
        Rejected = "rejected",
        /// Sent on to the body that can deal with it.
        Forwarded = "forwarded",
        /// The complainant took it back.
        Withdrawn = "withdrawn",
    }
);

/// What the authority does to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step", content = "outcome")]
pub enum Step {
    /// Give it to a named person (again, to hand it over).
    Assign,
    /// Answer the complainant.
    Answer,
    /// Close it with an outcome.
    Close(Outcome),
}

impl Step {
    /// The step's name, for messages and the audit trail (`assign`, `answer`, `close`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Assign => "assign",
            Step::Answer => "answer",
            Step::Close(_) => "close",
        }
    }

    /// The step done, for messages (`assigned`, `answered`, `closed`).
    pub fn done(self) -> &'static str {
        match self {
            Step::Assign => "assigned",
            Step::Answer => "answered",
            Step::Close(_) => "closed",
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepDenied {
    /// The complaint is closed; nothing changes it any more.
    #[error("the complaint is closed; it cannot be changed")]
    Closed,
    /// Not possible from this state.
    #[error("a {state} complaint cannot be {step}{hint}")]
    WrongState {
        /// The complaint's state.
        state: ComplaintState,
        /// The step asked for, done (`answered`).
        step: &'static str,
        /// What would be possible instead.
        hint: &'static str,
    },
}

/// Every allowed step: (from, step, to). For `Close` the outcome matters; see [`step`].
pub const TRANSITIONS: &[(ComplaintState, Step, ComplaintState)] = {
    use ComplaintState::*;
    use Outcome::*;
    &[
        (Received, Step::Assign, Assigned),
        (Assigned, Step::Assign, Assigned),
        (Assigned, Step::Answer, Answered),
        (Answered, Step::Close(Upheld), Closed),
        (Answered, Step::Close(Rejected), Closed),
        (Answered, Step::Close(Forwarded), Closed),
        (Answered, Step::Close(Withdrawn), Closed),
        (Received, Step::Close(Forwarded), Closed),
        (Received, Step::Close(Withdrawn), Closed),
        (Assigned, Step::Close(Forwarded), Closed),
        (Assigned, Step::Close(Withdrawn), Closed),
    ]
};

/// The state after `step` from `from`, or why not.
pub fn step(from: ComplaintState, step: Step) -> Result<ComplaintState, StepDenied> {
    if let Some((_, _, to)) = TRANSITIONS
        .iter()
        .find(|(f, s, _)| *f == from && *s == step)
    {
        return Ok(*to);
    }
    if from == ComplaintState::Closed {
        return Err(StepDenied::Closed);
    }
    let hint = match (from, step) {
        (ComplaintState::Received, Step::Answer) => " (assign it to a person first)",
        (_, Step::Close(Outcome::Upheld | Outcome::Rejected)) => {
            " as upheld or rejected before the complainant has an answer (answer first)"
        }
        (ComplaintState::Answered, Step::Answer) => " again (the answer is given)",
        (ComplaintState::Answered, Step::Assign) => " (it is answered; close it)",
        _ => "",
    };
    Err(StepDenied::WrongState {
        state: from,
        step: step.done(),
        hint,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::ComplaintState::*;
    use super::Outcome::*;
    use super::*;

    /// Every (state, step) pair, with the expected answer: one row each.
    #[test]
    fn every_state_and_step() {
        let close = |o| Step::Close(o);
        let rows: &[(ComplaintState, Step, Option<ComplaintState>)] = &[
            (Received, Step::Assign, Some(Assigned)),
            (Received, Step::Answer, None),
            (Received, close(Upheld), None),
            (Received, close(Rejected), None),
            (Received, close(Forwarded), Some(Closed)),
            (Received, close(Withdrawn), Some(Closed)),
            (Assigned, Step::Assign, Some(Assigned)),
            (Assigned, Step::Answer, Some(Answered)),
            (Assigned, close(Upheld), None),
            (Assigned, close(Rejected), None),
            (Assigned, close(Forwarded), Some(Closed)),
            (Assigned, close(Withdrawn), Some(Closed)),
            (Answered, Step::Assign, None),
            (Answered, Step::Answer, None),
            (Answered, close(Upheld), Some(Closed)),
            (Answered, close(Rejected), Some(Closed)),
            (Answered, close(Forwarded), Some(Closed)),
            (Answered, close(Withdrawn), Some(Closed)),
            (Closed, Step::Assign, None),
            (Closed, Step::Answer, None),
            (Closed, close(Upheld), None),
            (Closed, close(Rejected), None),
            (Closed, close(Forwarded), None),
            (Closed, close(Withdrawn), None),
        ];
        let steps = 2 + Outcome::ALL.len();
        assert_eq!(rows.len(), ComplaintState::ALL.len() * steps, "every pair");
        for (from, s, want) in rows {
            assert_eq!(step(*from, *s).ok(), *want, "{from} {s:?}");
        }
        // The table holds exactly the allowed rows.
        assert_eq!(
            TRANSITIONS.len(),
            rows.iter().filter(|r| r.2.is_some()).count()
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(step(Closed, Step::Assign), Err(StepDenied::Closed));
        let e = step(Received, Step::Answer).unwrap_err().to_string();
        assert!(e.contains("received complaint cannot be answered"), "{e}");
        assert!(e.contains("assign it"), "{e}");
        let e = step(Assigned, Step::Close(Upheld)).unwrap_err().to_string();
        assert!(e.contains("answer first"), "{e}");
        let e = step(Answered, Step::Answer).unwrap_err().to_string();
        assert!(e.contains("again"), "{e}");
    }

    #[test]
    fn text_forms_round_trip() {
        for s in ComplaintState::ALL {
            assert_eq!(s.as_str().parse::<ComplaintState>().unwrap(), *s);
        }
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), *o);
        }
        assert!("open".parse::<ComplaintState>().is_err());
        assert!("UPHELD".parse::<Outcome>().is_err());
    }
}
