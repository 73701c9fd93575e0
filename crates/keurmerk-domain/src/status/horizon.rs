//! When time alone next changes a status report (issue 15, ADR 0015).
//!
//! [`evaluate_view`](super::evaluate_view) depends on the time only through the UTC date, and
//! only through comparisons with dates of the view (validity end, remediation deadlines, support
//! end and its warning window, dependencies' validity ends). [`stale_after`] gives the first
//! midnight after `now` at which one of those comparisons can flip, so a report computed at `now`
//! stays the report of every instant before it (`evaluated_at` aside). It may answer earlier
//! than needed (that only costs a fold), never later: the property test below evaluates every
//! day up to it.

use chrono::{DateTime, NaiveDate, Utc};

use crate::event::CertificateView;
use crate::scheme::StatusPolicy;

/// The first instant after `now` at which the time alone may change
/// `evaluate_view(view, policy, ·)`; `None` when it never does.
pub fn stale_after(
    view: &CertificateView,
    policy: &StatusPolicy,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let today = now.date_naive();
    // Each rule reads `today > d`: it flips at the start of the day after `d`.
    let mut flips: Vec<Option<NaiveDate>> = Vec::new();
    flips.push(view.valid_until.succ_opt());
    for v in view.vulnerabilities.values() {
        let deadline = v
            .first_seen
            .date_naive()
            .checked_add_days(chrono::Days::new(
                policy.remediation_days_for(v.severity).into(),
            ));
        flips.push(deadline.and_then(|d| d.succ_opt()));
    }
    if let Some(end) = view.support_until {
        flips.push(end.succ_opt());
        // `days_left < warning` flips at `end - warning + 1`; inside the window `days_left`
        // itself is shown, so the report changes every day.
        let warn_from = end
            .checked_sub_days(chrono::Days::new(policy.support_warning_days.into()))
            .and_then(|d| d.succ_opt());
        flips.push(warn_from);
        if warn_from.is_none_or(|w| w <= today) && today <= end {
            flips.push(today.succ_opt());
        }
    }
    for d in view.dependencies.values() {
        flips.push(d.certificate_valid_until.and_then(|u| u.succ_opt()));
    }
    flips
        .into_iter()
        .flatten()
        .filter(|d| *d > today)
        .min()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::event::tests::{cert, issued};
    use crate::event::{fold, DependencySnapshot, Resolution, VulnerabilityState};
    use crate::ids::RecordId;
    use crate::lifecycle::State;
    use crate::model::{DependencyKind, Severity};
    use crate::status::evaluate_view;
    use crate::status::tests::policy;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(n)
    }

    const SEVERITIES: [Severity; 6] = [
        Severity::None,
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];
    const STATES: [State; 4] = [
        State::Active,
        State::Suspended,
        State::Expired,
        State::Withdrawn,
    ];

    /// A view with random dates around 2026–2028 (the day numbers count from 2026-01-01).
    #[allow(clippy::type_complexity)]
    fn view_of(
        valid_until: i64,
        support: Option<i64>,
        vulns: &[(usize, i64, bool)],
        deps: &[(Option<i64>, usize)],
    ) -> CertificateView {
        let mut view = fold(&[issued(support.map(day), vec![])]).unwrap();
        view.valid_until = day(valid_until);
        for (i, (sev, seen, resolved)) in vulns.iter().enumerate() {
            let id = format!("CVE-2026-{i:04}");
            view.vulnerabilities.insert(
                id.clone(),
                VulnerabilityState {
                    id,
                    severity: SEVERITIES[*sev % SEVERITIES.len()],
                    component: "pkg:cargo/x@1.0.0".into(),
                    exploited: false,
                    fixed_in: None,
                    first_seen: Utc.from_utc_datetime(&day(*seen).and_hms_opt(9, 30, 0).unwrap()),
                    resolution: resolved.then_some(Resolution::AdvisoryWithdrawn),
                    versions: vec![],
                },
            );
        }
        for (i, (until, state)) in deps.iter().enumerate() {
            let id = RecordId::new(format!("DEP-{i:06}")).unwrap();
            view.dependencies.insert(
                id.clone(),
                DependencySnapshot {
                    id,
                    kind: DependencyKind::Cloud,
                    provider: "p".into(),
                    service: "s".into(),
                    certificate: Some(cert()),
                    certificate_state: Some(STATES[*state % STATES.len()]),
                    certificate_valid_until: until.map(day),
                },
            );
        }
        view
    }

    fn same(
        view: &CertificateView,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
    ) -> Result<(), TestCaseError> {
        let p = policy();
        let mut x = evaluate_view(view, &p, a);
        let mut y = evaluate_view(view, &p, b);
        x.evaluated_at = b;
        y.evaluated_at = b;
        prop_assert_eq!(x, y, "report differs between {} and {}", a, b);
        Ok(())
    }

    #[test]
    fn support_warning_window_changes_every_day() {
        let p = policy();
        let view = view_of(1000, Some(100), &[], &[]);
        let inside = Utc.with_ymd_and_hms(2026, 4, 1, 15, 0, 0).unwrap();
        assert!(day(100) - inside.date_naive() < Duration::days(p.support_warning_days.into()));
        assert_eq!(
            stale_after(&view, &p, inside),
            Some(Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn a_label_past_everything_never_changes_by_time() {
        let p = policy();
        let view = view_of(10, Some(5), &[], &[]);
        let later = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(stale_after(&view, &p, later), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// The report is the same at every instant from `now` up to `stale_after` (exclusive),
        /// checked day by day over up to three years.
        #[test]
        fn the_report_holds_until_stale_after(
            valid_until in 0i64..900,
            support in proptest::option::of(0i64..900),
            vulns in proptest::collection::vec((0usize..6, 0i64..900, any::<bool>()), 0..4),
            deps in proptest::collection::vec((proptest::option::of(0i64..900), 0usize..4), 0..3),
            now_day in 0i64..1000,
            now_secs in 0i64..86_400,
        ) {
            let view = view_of(valid_until, support, &vulns, &deps);
            let now = Utc.from_utc_datetime(&day(now_day).and_hms_opt(0, 0, 0).unwrap())
                + Duration::seconds(now_secs);
            let end = stale_after(&view, &policy(), now);
            if let Some(end) = end {
                prop_assert!(end > now);
            }
            let horizon = end.unwrap_or(now + Duration::days(1100));
            let mut t = now;
            while t < horizon && t < now + Duration::days(1100) {
                same(&view, now, t)?;
                // The last instant of this day, then the next day's start.
                let next = Utc.from_utc_datetime(
                    &t.date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap(),
                );
                let last = next - Duration::microseconds(1);
                if last < horizon {
                    same(&view, now, last)?;
                }
                t = next;
            }
        }
    }
}
