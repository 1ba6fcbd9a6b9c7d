//! Complaint tickets (PRODUCT.md §6): the escalation workflow as a state machine, and the remedies an agent may
//! offer on their own.
//!
//! The training decks' flow: the agent reports to the team lead, the lead hands the complaint to the department
//! (warehouse, logistics, after-sales, finance, quality), the department acts, the agent tells the customer, and a
//! follow-up confirms the fix. Every step has an owner; hand-backs carry a comment saying why. Pure: the store
//! applies `next` inside its transaction and keeps the state; a refused step answers with what *is* allowed.

use serde::{Deserialize, Serialize};

/// Where a ticket stands, named after who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Submitted by the agent; the team lead approves it for the department or returns it.
    AwaitingLead,
    /// The lead returned it to the agent with a comment (more facts needed, or handle it directly).
    ReturnedToAgent,
    /// The department investigates and records findings and an outcome.
    WithDepartment,
    /// The department's outcome is back with the agent, who tells the customer.
    OutcomeReady,
    /// The customer has been told (and offered remedies); resolution follows.
    CustomerInformed,
    /// Resolved; a follow-up confirms the fix with the customer.
    Resolved,
    /// The follow-up confirmed the fix.
    Closed,
    /// Withdrawn before the department acted (opened by mistake, duplicate).
    Cancelled,
}

/// What someone does to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketAction {
    /// The agent sends it (again) to the lead.
    Submit,
    /// The lead sends it to the department.
    Approve,
    /// The lead sends it back to the agent, with a comment.
    ReturnToAgent,
    /// The department records its findings and outcome.
    RecordOutcome,
    /// A step goes back one hop with a comment: the department to the lead (wrong department, needs a decision),
    /// the agent to the department (the outcome does not solve it).
    HandBack,
    /// The agent has told the customer the outcome.
    InformCustomer,
    Resolve,
    /// The follow-up: the customer confirms the fix.
    ConfirmFixed,
    /// It was not fixed after all: back to the lead, with a comment.
    Reopen,
    Cancel,
}

/// Who acts, as the ticket sees them: its agent, the team lead, a handler of its department, or an admin (who may
/// do what a lead may).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketActor {
    Agent,
    Lead,
    Handler,
    Admin,
}

impl TicketState {
    pub const ALL: [TicketState; 8] = [
        TicketState::AwaitingLead,
        TicketState::ReturnedToAgent,
        TicketState::WithDepartment,
        TicketState::OutcomeReady,
        TicketState::CustomerInformed,
        TicketState::Resolved,
        TicketState::Closed,
        TicketState::Cancelled,
    ];

    /// Who holds the step now (whose list shows it, whose due time runs); `None` once nothing is left to do.
    pub fn holder(self) -> Option<TicketActor> {
        match self {
            TicketState::AwaitingLead => Some(TicketActor::Lead),
            TicketState::ReturnedToAgent | TicketState::OutcomeReady | TicketState::CustomerInformed => Some(TicketActor::Agent),
            TicketState::WithDepartment => Some(TicketActor::Handler),
            // The follow-up task is the agent's.
            TicketState::Resolved => Some(TicketActor::Agent),
            TicketState::Closed | TicketState::Cancelled => None,
        }
    }

    /// Whether the ticket still counts as open (SLA clocks run, it shows in queues).
    pub fn is_open(self) -> bool {
        !matches!(self, TicketState::Resolved | TicketState::Closed | TicketState::Cancelled)
    }
}

impl TicketAction {
    pub const ALL: [TicketAction; 10] = [
        TicketAction::Submit,
        TicketAction::Approve,
        TicketAction::ReturnToAgent,
        TicketAction::RecordOutcome,
        TicketAction::HandBack,
        TicketAction::InformCustomer,
        TicketAction::Resolve,
        TicketAction::ConfirmFixed,
        TicketAction::Reopen,
        TicketAction::Cancel,
    ];
}

impl TicketActor {
    pub const ALL: [TicketActor; 4] = [TicketActor::Agent, TicketActor::Lead, TicketActor::Handler, TicketActor::Admin];
}

/// One allowed step of the workflow.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub from: TicketState,
    pub action: TicketAction,
    pub to: TicketState,
    /// Who may take it (an admin may take any step a lead may).
    pub by: &'static [TicketActor],
    /// Hand-backs and returns must say why.
    pub needs_comment: bool,
}

use TicketActor::{Agent, Handler, Lead};
use TicketState as S;

const fn step(from: TicketState, action: TicketAction, to: TicketState, by: &'static [TicketActor], needs_comment: bool) -> Transition {
    Transition { from, action, to, by, needs_comment }
}

/// The workflow. Anything not listed is refused.
pub const TRANSITIONS: &[Transition] = &[
    step(S::AwaitingLead, TicketAction::Approve, S::WithDepartment, &[Lead], false),
    step(S::AwaitingLead, TicketAction::ReturnToAgent, S::ReturnedToAgent, &[Lead], true),
    step(S::AwaitingLead, TicketAction::Cancel, S::Cancelled, &[Agent, Lead], true),
    step(S::ReturnedToAgent, TicketAction::Submit, S::AwaitingLead, &[Agent], false),
    // The lead's comment may be "handle it yourself": the agent tells the customer without the department.
    step(S::ReturnedToAgent, TicketAction::InformCustomer, S::CustomerInformed, &[Agent], false),
    step(S::ReturnedToAgent, TicketAction::Cancel, S::Cancelled, &[Agent, Lead], true),
    step(S::WithDepartment, TicketAction::RecordOutcome, S::OutcomeReady, &[Handler], true),
    step(S::WithDepartment, TicketAction::HandBack, S::AwaitingLead, &[Handler], true),
    step(S::OutcomeReady, TicketAction::InformCustomer, S::CustomerInformed, &[Agent, Lead], false),
    step(S::OutcomeReady, TicketAction::HandBack, S::WithDepartment, &[Agent, Lead], true),
    step(S::CustomerInformed, TicketAction::Resolve, S::Resolved, &[Agent, Lead], false),
    step(S::CustomerInformed, TicketAction::HandBack, S::WithDepartment, &[Agent, Lead], true),
    step(S::Resolved, TicketAction::ConfirmFixed, S::Closed, &[Agent, Lead], false),
    step(S::Resolved, TicketAction::Reopen, S::AwaitingLead, &[Agent, Lead], true),
    step(S::Closed, TicketAction::Reopen, S::AwaitingLead, &[Lead], true),
];

/// Why a step was refused, with what this actor may do instead (the API answers 409 with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub state: TicketState,
    pub action: TicketAction,
    pub reason: RefusedBecause,
    /// The actions this actor may take in this state.
    pub allowed: Vec<TicketAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedBecause {
    /// No such step from this state.
    NotFromThisState,
    /// The step exists but someone else takes it.
    NotYours,
    /// The step needs a comment saying why.
    CommentRequired,
}

fn may(transition: &Transition, actor: TicketActor) -> bool {
    transition.by.contains(&actor) || (actor == TicketActor::Admin && transition.by.contains(&Lead))
}

/// The actions `actor` may take on a ticket in `state`.
pub fn allowed(state: TicketState, actor: TicketActor) -> Vec<TicketAction> {
    TRANSITIONS.iter().filter(|t| t.from == state && may(t, actor)).map(|t| t.action).collect()
}

/// The state after `actor` takes `action` on a ticket in `state`, or why not.
pub fn next(state: TicketState, action: TicketAction, actor: TicketActor, comment: Option<&str>) -> Result<TicketState, Refused> {
    let refuse = |reason| Refused { state, action, reason, allowed: allowed(state, actor) };
    let Some(transition) = TRANSITIONS.iter().find(|t| t.from == state && t.action == action) else {
        return Err(refuse(RefusedBecause::NotFromThisState));
    };
    if !may(transition, actor) {
        return Err(refuse(RefusedBecause::NotYours));
    }
    if transition.needs_comment && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(refuse(RefusedBecause::CommentRequired));
    }
    Ok(transition.to)
}

/// What an agent can offer; the seeds insist on offering choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyKind {
    Refund,
    PartialRefund,
    Replacement,
    Reshipment,
    Coupon,
    Compensation,
    Repair,
}

impl RemedyKind {
    pub const ALL: [RemedyKind; 7] = [
        RemedyKind::Refund,
        RemedyKind::PartialRefund,
        RemedyKind::Replacement,
        RemedyKind::Reshipment,
        RemedyKind::Coupon,
        RemedyKind::Compensation,
        RemedyKind::Repair,
    ];

    /// Whether the remedy is money (an amount in fen), so a limit applies.
    pub fn is_money(self) -> bool {
        matches!(self, RemedyKind::PartialRefund | RemedyKind::Coupon | RemedyKind::Compensation)
    }
}

/// The largest money remedies (in fen) each role grants alone; above it, the lead (or, above the lead's, an admin)
/// approves. Full refunds, replacements, reshipments and repairs follow the order's value and need no limit here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemedyLimits {
    pub agent_fen: i64,
    pub lead_fen: i64,
}

impl Default for RemedyLimits {
    /// An agent gives up to ¥20 alone, a lead up to ¥200 (PRODUCT.md §6's example).
    fn default() -> Self {
        RemedyLimits { agent_fen: 2_000, lead_fen: 20_000 }
    }
}

/// Whether an offer can go out now or needs someone's approval first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum RemedyDecision {
    Allowed,
    /// Above the offerer's limit: the named role approves (the limit is given so the UI can say so).
    NeedsApproval { by: TicketActor, limit_fen: i64 },
}

/// Checks a remedy against the offerer's limit. `amount_fen` is required for money remedies and must be positive.
pub fn check_remedy(limits: &RemedyLimits, offerer: TicketActor, kind: RemedyKind, amount_fen: Option<i64>) -> Result<RemedyDecision, &'static str> {
    if !kind.is_money() {
        return if amount_fen.is_some() { Err("only partial refunds, coupons and compensation carry an amount") } else { Ok(RemedyDecision::Allowed) };
    }
    let amount = amount_fen.ok_or("an amount in fen is required for this remedy")?;
    if amount <= 0 {
        return Err("the amount must be positive");
    }
    let decision = match offerer {
        TicketActor::Admin => RemedyDecision::Allowed,
        TicketActor::Lead if amount <= limits.lead_fen => RemedyDecision::Allowed,
        TicketActor::Lead => RemedyDecision::NeedsApproval { by: TicketActor::Admin, limit_fen: limits.lead_fen },
        TicketActor::Agent | TicketActor::Handler if amount <= limits.agent_fen => RemedyDecision::Allowed,
        TicketActor::Agent | TicketActor::Handler => RemedyDecision::NeedsApproval { by: TicketActor::Lead, limit_fen: limits.agent_fen },
    };
    Ok(decision)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketAction as A;
    use TicketActor::Admin;

    /// The whole workflow written out independently of `TRANSITIONS`: (from, action, to, who may).
    const EXPECTED: &[(TicketState, TicketAction, TicketState, &[TicketActor])] = &[
        (S::AwaitingLead, A::Approve, S::WithDepartment, &[Lead, Admin]),
        (S::AwaitingLead, A::ReturnToAgent, S::ReturnedToAgent, &[Lead, Admin]),
        (S::AwaitingLead, A::Cancel, S::Cancelled, &[Agent, Lead, Admin]),
        (S::ReturnedToAgent, A::Submit, S::AwaitingLead, &[Agent]),
        (S::ReturnedToAgent, A::InformCustomer, S::CustomerInformed, &[Agent]),
        (S::ReturnedToAgent, A::Cancel, S::Cancelled, &[Agent, Lead, Admin]),
        (S::WithDepartment, A::RecordOutcome, S::OutcomeReady, &[Handler]),
        (S::WithDepartment, A::HandBack, S::AwaitingLead, &[Handler]),
        (S::OutcomeReady, A::InformCustomer, S::CustomerInformed, &[Agent, Lead, Admin]),
        (S::OutcomeReady, A::HandBack, S::WithDepartment, &[Agent, Lead, Admin]),
        (S::CustomerInformed, A::Resolve, S::Resolved, &[Agent, Lead, Admin]),
        (S::CustomerInformed, A::HandBack, S::WithDepartment, &[Agent, Lead, Admin]),
        (S::Resolved, A::ConfirmFixed, S::Closed, &[Agent, Lead, Admin]),
        (S::Resolved, A::Reopen, S::AwaitingLead, &[Agent, Lead, Admin]),
        (S::Closed, A::Reopen, S::AwaitingLead, &[Lead, Admin]),
    ];

    #[test]
    fn every_state_action_and_actor_is_allowed_or_refused_as_written() {
        let mut checked = 0;
        for state in TicketState::ALL {
            for action in TicketAction::ALL {
                let expected = EXPECTED.iter().find(|(from, a, _, _)| *from == state && *a == action);
                for actor in TicketActor::ALL {
                    let result = next(state, action, actor, Some("原因"));
                    match expected {
                        Some((_, _, to, who)) if who.contains(&actor) => {
                            assert_eq!(result, Ok(*to), "{state:?} {action:?} by {actor:?}")
                        }
                        Some(_) => {
                            let refused = result.expect_err("someone else's step");
                            assert_eq!(refused.reason, RefusedBecause::NotYours, "{state:?} {action:?} by {actor:?}");
                        }
                        None => {
                            let refused = result.expect_err("no such step");
                            assert_eq!(refused.reason, RefusedBecause::NotFromThisState, "{state:?} {action:?} by {actor:?}");
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 10 * 4);
        assert_eq!(TRANSITIONS.len(), EXPECTED.len(), "no step beyond the written ones");
    }

    #[test]
    fn refusals_say_what_is_allowed_instead() {
        // Closing a ticket the department still holds.
        let refused = next(S::WithDepartment, A::ConfirmFixed, Lead, None).unwrap_err();
        assert_eq!(refused.reason, RefusedBecause::NotFromThisState);
        assert!(refused.allowed.is_empty(), "the lead has nothing to do while the department holds it");
        let handler = next(S::WithDepartment, A::Resolve, Handler, None).unwrap_err();
        assert_eq!(handler.allowed, vec![A::RecordOutcome, A::HandBack]);
        let json = serde_json::to_value(&handler).unwrap();
        assert_eq!(json["allowed"], serde_json::json!(["record_outcome", "hand_back"]));
        assert_eq!(json["reason"], "not_from_this_state");
    }

    #[test]
    fn hand_backs_and_returns_need_a_comment() {
        let needing: Vec<_> = TRANSITIONS.iter().filter(|t| t.needs_comment).map(|t| (t.from, t.action)).collect();
        for (from, action) in &needing {
            let actor = EXPECTED.iter().find(|(f, a, _, _)| f == from && a == action).unwrap().3[0];
            for comment in [None, Some(""), Some("  \n")] {
                let refused = next(*from, *action, actor, comment).unwrap_err();
                assert_eq!(refused.reason, RefusedBecause::CommentRequired, "{from:?} {action:?}");
            }
            assert!(next(*from, *action, actor, Some("仓库确认漏发")).is_ok());
        }
        assert!(needing.contains(&(S::AwaitingLead, A::ReturnToAgent)) && needing.contains(&(S::WithDepartment, A::HandBack)));
        assert_eq!(next(S::AwaitingLead, A::Approve, Lead, None), Ok(S::WithDepartment), "approving needs no comment");
    }

    #[test]
    fn every_open_state_has_a_holder_who_can_move_it() {
        for state in TicketState::ALL {
            match state.holder() {
                Some(holder) => assert!(!allowed(state, holder).is_empty(), "{state:?} is stuck with {holder:?}"),
                None => assert!(!state.is_open()),
            }
        }
        // The happy path of the seeds, end to end.
        let path = [
            (A::Approve, Lead),
            (A::RecordOutcome, Handler),
            (A::InformCustomer, Agent),
            (A::Resolve, Agent),
            (A::ConfirmFixed, Agent),
        ];
        let end = path.iter().try_fold(S::AwaitingLead, |state, (action, actor)| next(state, *action, *actor, Some("ok")));
        assert_eq!(end, Ok(S::Closed));
    }

    #[test]
    fn remedies_within_the_limit_go_out_and_above_it_need_approval() {
        let limits = RemedyLimits::default();
        type Case = (TicketActor, RemedyKind, Option<i64>, Result<RemedyDecision, ()>);
        let cases: &[Case] = &[
            (Agent, RemedyKind::Coupon, Some(2_000), Ok(RemedyDecision::Allowed)),
            (Agent, RemedyKind::Coupon, Some(2_001), Ok(RemedyDecision::NeedsApproval { by: Lead, limit_fen: 2_000 })),
            (Handler, RemedyKind::Compensation, Some(5_000), Ok(RemedyDecision::NeedsApproval { by: Lead, limit_fen: 2_000 })),
            (Lead, RemedyKind::PartialRefund, Some(20_000), Ok(RemedyDecision::Allowed)),
            (Lead, RemedyKind::PartialRefund, Some(20_001), Ok(RemedyDecision::NeedsApproval { by: Admin, limit_fen: 20_000 })),
            (Admin, RemedyKind::Compensation, Some(1_000_000), Ok(RemedyDecision::Allowed)),
            (Agent, RemedyKind::Replacement, None, Ok(RemedyDecision::Allowed)),
            (Agent, RemedyKind::Refund, None, Ok(RemedyDecision::Allowed)),
            (Agent, RemedyKind::Coupon, None, Err(())),
            (Agent, RemedyKind::Coupon, Some(0), Err(())),
            (Agent, RemedyKind::Coupon, Some(-5), Err(())),
            (Agent, RemedyKind::Reshipment, Some(100), Err(())),
        ];
        for (actor, kind, amount, expected) in cases {
            let got = check_remedy(&limits, *actor, *kind, *amount).map_err(|_| ());
            assert_eq!(&got, expected, "{actor:?} {kind:?} {amount:?}");
        }
        assert_eq!(RemedyKind::ALL.iter().filter(|k| k.is_money()).count(), 3);
        let parsed: RemedyLimits = serde_json::from_str(r#"{"agent_fen": 1000}"#).unwrap();
        assert_eq!((parsed.agent_fen, parsed.lead_fen), (1_000, 20_000));
        assert!(serde_json::from_str::<RemedyLimits>(r#"{"agent": 1}"#).is_err());
    }
}
