//! SLA timers, stored (PRODUCT.md §6).
use anxin_domain::events::EventKind;

/// Migration 6: SLA settings per organisation, durable timers, and the ticket columns the views read.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE sla_settings (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id),
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE sla_timers (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    kind TEXT NOT NULL,
    target_ms BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    warn_at BIGINT,
    due_at BIGINT NOT NULL,
    next_fire_at BIGINT,
    warned_at BIGINT,
    breached_at BIGINT,
    stopped_at BIGINT
);
CREATE INDEX sla_timers_next_fire ON sla_timers(next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX sla_timers_ticket ON sla_timers(ticket_id, kind);
ALTER TABLE complaint_tickets ADD COLUMN product TEXT;
ALTER TABLE complaint_tickets ADD COLUMN channel TEXT;
ALTER TABLE complaint_tickets ADD COLUMN sla_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE complaint_tickets ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN next_response_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN resolution_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN follow_up_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN escalated_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN resolved_within_target BIGINT;
CREATE INDEX complaint_tickets_created ON complaint_tickets(org_id, created_at);
"#;

pub(crate) fn wakes_sweeper(kind: EventKind) -> bool {
    matches!(kind, EventKind::TicketCreated | EventKind::TicketUpdated | EventKind::MessageCreated)
}
