//! One test per table row, plus the full state × command × role grid checked against an
//! independently written expectation.

use super::*;

macro_rules! allowed {
    ($name:ident, $from:ident, $cmd:ident, $role:ident => $to:ident) => {
        #[test]
        fn $name() {
            assert_eq!(
                transition(State::$from, Command::$cmd, ActorRole::$role),
                Ok(State::$to)
            );
        }
    };
}

allowed!(issuer_suspends_active, Active, Suspend, Issuer => Suspended);
allowed!(authority_suspends_active, Active, Suspend, NationalAuthority => Suspended);
allowed!(registry_policy_suspends_active, Active, Suspend, Registry => Suspended);
allowed!(authority_extends_suspension, Suspended, ExtendSuspension, NationalAuthority => Suspended);
allowed!(issuer_reinstates, Suspended, Reinstate, Issuer => Active);
allowed!(authority_reinstates, Suspended, Reinstate, NationalAuthority => Active);
allowed!(issuer_withdraws_active, Active, Withdraw, Issuer => Withdrawn);
allowed!(authority_withdraws_active, Active, Withdraw, NationalAuthority => Withdrawn);
allowed!(issuer_withdraws_suspended, Suspended, Withdraw, Issuer => Withdrawn);
allowed!(authority_withdraws_suspended, Suspended, Withdraw, NationalAuthority => Withdrawn);
allowed!(issuer_withdraws_legacy, Legacy, Withdraw, Issuer => Withdrawn);
allowed!(authority_withdraws_legacy, Legacy, Withdraw, NationalAuthority => Withdrawn);
allowed!(registry_expires_active, Active, Expire, Registry => Expired);
allowed!(registry_expires_suspended, Suspended, Expire, Registry => Expired);
allowed!(registry_expires_legacy, Legacy, Expire, Registry => Expired);
allowed!(issuer_supersedes, Active, Supersede, Issuer => Superseded);
allowed!(issuer_supersedes_suspended, Suspended, Supersede, Issuer => Superseded);
allowed!(registry_supersedes, Active, Supersede, Registry => Superseded);
allowed!(registry_supersedes_suspended, Suspended, Supersede, Registry => Superseded);
allowed!(registry_marks_legacy, Active, MarkLegacy, Registry => Legacy);
allowed!(scheduler_suspends_overdue, Active, Suspend, Scheduler => Suspended);
allowed!(scheduler_withdraws_active, Active, Withdraw, Scheduler => Withdrawn);
allowed!(scheduler_withdraws_unremedied, Suspended, Withdraw, Scheduler => Withdrawn);
allowed!(scheduler_withdraws_legacy, Legacy, Withdraw, Scheduler => Withdrawn);
allowed!(scheduler_expires_active, Active, Expire, Scheduler => Expired);
allowed!(scheduler_expires_suspended, Suspended, Expire, Scheduler => Expired);
allowed!(scheduler_expires_legacy, Legacy, Expire, Scheduler => Expired);

#[test]
fn every_row_has_a_named_test() {
    // 27 `allowed!` tests above; adding a row without a test fails here.
    assert_eq!(TRANSITIONS.len(), 27);
}

#[test]
fn holder_cannot_suspend_or_withdraw_a_third_party_certificate() {
    for cmd in [Command::Suspend, Command::Withdraw] {
        assert!(matches!(
            transition(State::Active, cmd, ActorRole::Holder),
            Err(Denial::NotPermitted {
                role: ActorRole::Holder,
                ..
            })
        ));
    }
    assert!(matches!(
        transition(State::Suspended, Command::Reinstate, ActorRole::Holder),
        Err(Denial::NotPermitted { .. })
    ));
}

#[test]
fn others_are_denied() {
    assert!(matches!(
        transition(State::Active, Command::Suspend, ActorRole::Other),
        Err(Denial::NotPermitted { .. })
    ));
}

#[test]
fn issuer_cannot_extend_a_suspension() {
    assert!(matches!(
        transition(
            State::Suspended,
            Command::ExtendSuspension,
            ActorRole::Issuer
        ),
        Err(Denial::NotPermitted {
            allowed: "the national authority",
            ..
        })
    ));
}

#[test]
fn registry_cannot_reinstate_or_withdraw() {
    assert!(matches!(
        transition(State::Suspended, Command::Reinstate, ActorRole::Registry),
        Err(Denial::NotPermitted { .. })
    ));
    assert!(matches!(
        transition(State::Active, Command::Withdraw, ActorRole::Registry),
        Err(Denial::NotPermitted { .. })
    ));
}

#[test]
fn wrong_state_is_named() {
    assert_eq!(
        transition(State::Active, Command::Reinstate, ActorRole::Issuer),
        Err(Denial::WrongState {
            command: Command::Reinstate,
            state: State::Active
        })
    );
    assert_eq!(
        transition(
            State::Suspended,
            Command::Suspend,
            ActorRole::NationalAuthority
        ),
        Err(Denial::WrongState {
            command: Command::Suspend,
            state: State::Suspended
        })
    );
}

#[test]
fn terminal_states_refuse_everything() {
    for state in [State::Withdrawn, State::Expired, State::Superseded] {
        for &cmd in Command::ALL {
            for &role in ActorRole::ALL {
                assert_eq!(
                    transition(state, cmd, role),
                    Err(Denial::Terminal { state }),
                    "{state} {cmd} {role}"
                );
            }
        }
    }
}

/// The whole grid, with the expectation written from the rules in SPEC §2/§4 rather than from
/// the table, so a wrong row is caught.
#[test]
fn full_grid_matches_the_rules() {
    use ActorRole::*;
    for &state in State::ALL {
        for &cmd in Command::ALL {
            for &role in ActorRole::ALL {
                let got = transition(state, cmd, role);
                let expected_to = if state.is_terminal() {
                    None
                } else {
                    match (cmd, state, role) {
                        (
                            Command::Suspend,
                            State::Active,
                            Issuer | NationalAuthority | Registry | Scheduler,
                        ) => Some(State::Suspended),
                        (Command::ExtendSuspension, State::Suspended, NationalAuthority) => {
                            Some(State::Suspended)
                        }
                        (Command::Reinstate, State::Suspended, Issuer | NationalAuthority) => {
                            Some(State::Active)
                        }
                        (
                            Command::Withdraw,
                            State::Active | State::Suspended | State::Legacy,
                            Issuer | NationalAuthority | Scheduler,
                        ) => Some(State::Withdrawn),
                        (
                            Command::Expire,
                            State::Active | State::Suspended | State::Legacy,
                            Registry | Scheduler,
                        ) => Some(State::Expired),
                        (
                            Command::Supersede,
                            State::Active | State::Suspended,
                            Issuer | Registry,
                        ) => Some(State::Superseded),
                        (Command::MarkLegacy, State::Active, Registry) => Some(State::Legacy),
                        _ => None,
                    }
                };
                match expected_to {
                    Some(to) => assert_eq!(got, Ok(to), "{state} {cmd} {role}"),
                    None => assert!(got.is_err(), "{state} {cmd} {role} should be denied"),
                }
            }
        }
    }
}

#[test]
fn denials_read_as_sentences() {
    let e = transition(State::Active, Command::Withdraw, ActorRole::Holder).unwrap_err();
    assert_eq!(
        e.to_string(),
        "only the issuer, the national authority or the registry's scheduler under the scheme's policy may withdraw this certificate, not the holder"
    );
}

#[test]
fn the_scheduler_never_reinstates_extends_or_supersedes() {
    for &state in State::ALL {
        for cmd in [
            Command::Reinstate,
            Command::ExtendSuspension,
            Command::Supersede,
            Command::MarkLegacy,
        ] {
            assert!(
                transition(state, cmd, ActorRole::Scheduler).is_err(),
                "{state} {cmd}"
            );
        }
    }
}
