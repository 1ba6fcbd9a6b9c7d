//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Written by hand next to the routes;
//! a test checks that every route is documented and every documented path exists.

use axum::Json;
use serde_json::{Value, json};

/// Every `(method, path)` the API serves, in OpenAPI path syntax.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("post", "/auth/login", "Sign in with username and password; sets the session cookie, returns the CSRF token"),
    ("post", "/auth/logout", "Sign out (ends the session)"),
    ("get", "/auth/me", "The signed-in user, role and CSRF token"),
    ("get", "/me/availability", "The signed-in person's availability: online, break or offline"),
    ("put", "/me/availability", "Set the signed-in person's availability (sessions only; the supervisor board shows it live)"),
    ("get", "/me/protection", "My protection state: hostile streak, emotional load, cool-down (with the server's clock), routing profile"),
    ("put", "/me/triggers", "Complaint types I would rather leave to a colleague when one is free"),
    ("get", "/users/{id}/protection", "A person's protection state (themselves, a supervisor sharing a team, admins; 404 otherwise)"),
    ("put", "/users/{id}/routing", "A person's routing profile: capacity, experience 0-3, languages, triggers (admin)"),
    ("get", "/teams/{id}/routing", "A team's routing policy (emotion_aware, least_busy, round_robin), protections and queue rules"),
    ("put", "/teams/{id}/routing", "Set a team's routing policy and protections"),
    ("get", "/alerts", "Supervisor alerts about the people I may watch (streak_cap, load_high, no_break, reroute, mood_drop)"),
    ("post", "/alerts/{id}/act", "Act on an alert in one step: grant_break, calmer_queue, one_to_one, reroute, acknowledge"),
    ("get", "/me/wellbeing/checkins", "My mood check-ins (only ever mine)"),
    ("post", "/me/wellbeing/checkins", "A mood check-in: mood 1-5, tags, note, shared with my supervisor or not"),
    ("get", "/me/wellbeing/selftests", "My self-test results (WHO-5 by default)"),
    ("post", "/me/wellbeing/selftests", "Submit a self-test; scored with its interpretation"),
    ("get", "/me/wellbeing/selftests/{id}", "One of my self-test results"),
    ("get", "/me/wellbeing/instruments", "The self-test instruments (items, options, scoring)"),
    ("get", "/me/wellbeing/diary", "My ABC emotion diary"),
    ("post", "/me/wellbeing/diary", "A diary entry: event, belief, consequence, reframed belief"),
    ("get", "/me/wellbeing/diary/{id}", "One of my diary entries (404 for anyone else's)"),
    ("put", "/me/wellbeing/diary/{id}", "Edit one of my diary entries"),
    ("delete", "/me/wellbeing/diary/{id}", "Delete one of my diary entries"),
    ("get", "/me/wellbeing/export", "Everything of mine, as JSON"),
    ("get", "/wellbeing/settings", "The organisation's self-test schedule"),
    ("put", "/wellbeing/settings", "Set the self-test schedule in days (admin)"),
    ("get", "/teams/{id}/weather", "A team's mood as aggregates over at least 3 people (supervisors)"),
    ("get", "/teams/{id}/shared-checkins", "Check-ins members chose to share (supervisors; audit-logged)"),
    ("post", "/conversations/{id}/tickets", "Open a complaint ticket from a conversation (type, severity, order reference; the emotion is taken from the conversation)"),
    ("get", "/tickets", "Complaint tickets: view=mine (I own), department (my department's queue), open (leads)"),
    ("get", "/tickets/{id}", "One ticket with its steps, remedies and the actions I may take now"),
    ("post", "/tickets/{id}/actions", "Take a workflow step with expected_version: 409 transition_refused lists the allowed actions, 409 ticket_changed when someone acted first"),
    ("post", "/tickets/{id}/remedies", "Offer a remedy; above the offerer's limit it waits for approval"),
    ("post", "/tickets/{id}/remedies/{rid}/approve", "Approve a remedy above the offerer's limit"),
    ("post", "/tickets/{id}/remedies/{rid}/choose", "Record the customer's choice (one per ticket)"),
    ("get", "/escalation-paths", "Which department each complaint type goes to"),
    ("put", "/escalation-paths", "Set the departments per complaint type (admin)"),
    ("get", "/conversations", "Inbox: filter by status, assignee (me|none|id), team, customer, emotion, complaint, min_risk; keyset paging with before"),
    ("get", "/conversations/{id}", "One conversation with its customer"),
    ("patch", "/conversations/{id}", "Change status, assignee, team, priority, labels"),
    ("get", "/conversations/{id}/messages", "Messages (with analysis) after a message id"),
    ("post", "/conversations/{id}/messages", "Reply to the customer or add an internal note (idempotent by client_message_id); the reply's tone check comes back with it; script {id, lang} records the script it was made from"),
    ("post", "/conversations/{id}/read", "Move the agent's read marker"),
    ("post", "/conversations/{id}/tone-check", "Check a draft reply's tone against the customer's latest message, without sending it"),
    ("get", "/events", "Committed events after an event id (polling alternative to the WebSocket)"),
    ("get", "/ws", "WebSocket: the organisation's events after ?after=N, then live; typing indicators"),
    ("get", "/users", "People of the organisation"),
    ("post", "/users", "Create a user (admin)"),
    ("get", "/teams", "Teams and their members"),
    ("post", "/teams", "Create a team"),
    ("post", "/teams/{id}/members", "Add a member to a team"),
    ("get", "/channels", "Channels (web chat, email, API)"),
    ("post", "/channels", "Create a channel (admin); web chat channels list their allowed origins"),
    ("post", "/tokens", "Create an API token for an integration (admin); shown once"),
    ("get", "/customers", "Customers with contact points"),
    ("post", "/customers", "Create a customer"),
    ("get", "/customers/{id}", "One customer"),
    ("get", "/audit", "Audit log (admin, supervisor)"),
    ("get", "/settings", "The organisation: name, time zone, settings"),
    ("patch", "/settings", "Change the organisation's name, time zone or settings (admin)"),
    ("post", "/inbound/messages", "Channel API: a customer message from an app or marketplace (idempotent by client_message_id)"),
    ("post", "/widget/{channel}/session", "Widget: a signed visitor token for this channel (renews a valid one) and the largest message in bytes (max_message_bytes)"),
    ("get", "/widget/{channel}/messages", "Widget: the visitor's conversation, without internal notes or analysis"),
    ("post", "/widget/{channel}/messages", "Widget: send a message (idempotent by client_message_id); 201 after it is stored"),
    ("post", "/widget/{channel}/read", "Widget: move the customer's read marker"),
    ("get", "/widget/{channel}/ws", "Widget WebSocket: ?token=…&after=N; send frames acknowledged after commit"),
    ("post", "/tickets/{id}/remedies/present", "Put every approved remedy to the customer: the widget shows them as choices (409 no_approved_remedies, remedy_already_chosen)"),
    ("post", "/tickets/{id}/remedies/{rid}/withdraw", "Withdraw an offered or approved remedy; the widget is told what remains (409 remedy_chosen)"),
    ("get", "/csat", "CSAT summary: count, average and 1-5 distribution by group_by=agent|team|complaint_type|conversation over days=1..366 (agents: their own)"),
    ("post", "/widget/{channel}/remedies/{id}/choose", "Widget: the customer chooses one of the remedies put to them (one per ticket; 409 remedy_already_chosen, remedy_withdrawn)"),
    ("post", "/widget/{channel}/csat", "Widget: answer a rating request {request_id, rating 1-5, comment?}; once per request (409 csat_already_recorded)"),
    ("get", "/widget/{channel}/feedback", "Widget: remedy offers and rating requests still open on the visitor's conversation"),
    ("get", "/sla", "SLA settings: working calendar (time zone, weekly hours, holidays, make-up workdays), warning share, follow-up hours, policies by complaint type × priority × channel (defaults until saved)"),
    ("put", "/sla", "Replace the SLA settings (admins); a calendar without working hours, a share outside (0, 1), zero targets or a daylight-saving zone are 422 naming the field"),
    ("get", "/tickets/{id}/timers", "A ticket's SLA clocks: kind, target, start, warning and due instants, when each warned, breached or stopped"),
    ("get", "/conversations/{id}/assist", "Reply assistance for the customer's latest message: strategy, 3 scripts for the emotion and complaint type (variables filled, the rest listed as unfilled), 3 knowledge answers, a repeated question's one-click answer"),
    ("get", "/knowledge", "Knowledge entries and scripts I may see: kind=faq|article|script, lang, pending=true for proposals awaiting approval"),
    ("get", "/knowledge/search", "Chinese full-text search: q, kind, lang, prefer, emotion, complaint_type, situation, channel, limit 1-50; snippets with highlights"),
    ("post", "/knowledge/import", "Import files {files: [{name, text}]} (Markdown with TOML front matter, or JSON; leads): all or nothing, 422 import_invalid lists file:line problems"),
    ("get", "/knowledge/export", "Every entry as one JSON file that imports back unchanged (leads)"),
    ("get", "/knowledge/synonyms", "The search synonym groups (one per line) and whether they are the organisation's own"),
    ("put", "/knowledge/synonyms", "Replace the synonym groups (leads); every node uses them for the next query"),
    ("get", "/knowledge/stats", "Script outcomes over days=1..365 (leads): used, sent, edited, customer's next emotion negative, CSAT"),
    ("post", "/knowledge/reindex", "Rebuild this organisation's search index from the database on every node (leads)"),
    ("get", "/knowledge/{id}/{lang}", "One entry with its version and standing; articles and FAQ with sanitised HTML"),
    ("put", "/knowledge/{id}/{lang}", "Save {entry, change_note}: a new version (leads) or an agent's script proposal; 422 names the field (body problems with their line)"),
    ("get", "/knowledge/{id}/{lang}/versions", "Every version, newest first, with author and change note"),
    ("get", "/knowledge/{id}/{lang}/diff", "Line changes between versions ?from=&to="),
    ("get", "/knowledge/{id}/{lang}/markdown", "The entry as an importable Markdown file"),
    ("post", "/knowledge/{id}/{lang}/publish", "Publish (approving an agent's proposal) (leads)"),
    ("post", "/knowledge/{id}/{lang}/unpublish", "Withdraw from agents and search (leads)"),
    ("post", "/knowledge/{id}/{lang}/use", "Record that I used this entry for {conversation_id}: I am told about its next version"),
    ("get", "/roleplay/scenarios", "Role-play scenarios: the starter ones and the organisation's own; toml=true adds each file (trainers, supervisors, admins)"),
    ("post", "/roleplay/scenarios", "Save the organisation's scenario {toml, from_conversation?} as its next version (trainers, supervisors, admins); 422 scenario_invalid names file:line: field"),
    ("get", "/roleplay/scenario-draft", "A scenario file drafted from a resolved conversation ?from=<id>, PII masked, to edit before saving (trainers, supervisors, admins); 409 conversation_not_resolved"),
    ("get", "/roleplay/sessions", "My role-play sessions, newest first; user=<id> someone's (trainers, supervisors, admins)"),
    ("post", "/roleplay/sessions", "Start a role-play {scenario}: the simulated customer's opening line (a person; the seed is the server's)"),
    ("get", "/roleplay/sessions/{id}", "A role-play with its transcript and scored replies (the owner; trainers, supervisors and admins of the organisation)"),
    ("post", "/roleplay/sessions/{id}/replies", "Reply {text, expected_turns}: the scores, the customer's emotion and next line, the outcome; 409 roleplay_changed (another tab replied) or roleplay_finished"),
    ("post", "/roleplay/sessions/{id}/finish", "End my role-play {expected_turns} (abandoned), storing the debrief so far"),
    ("get", "/roleplay/sessions/{id}/debrief", "The debrief: outcome, mean scores, each reply quoted with its scores, what it lacked, the model answer and the tone rewrite"),
    ("get", "/academy/curriculum", "The curriculum in use (the starter one until the organisation imports its own): version, modules with lessons, cases and number of questions; ?lang="),
    ("get", "/academy/curriculum/export", "Every file of the curriculum in use as {version, files: [{name, text}]}, which imports back (trainers, supervisors, admins)"),
    ("post", "/academy/curriculum/import", "Replace the curriculum {files: [{name, text}], expected_version?} all or nothing (trainers, supervisors, admins); 422 import_invalid lists file:line: field: message; 409 training_curriculum_changed"),
    ("post", "/academy/curriculum/reset", "Back to the starter curriculum {expected_version} (trainers, supervisors, admins)"),
    ("put", "/academy/curriculum/items/{id}/{lang}", "Edit one lesson or question in one language {expected_version, item: {kind: lesson|question, …}}; shared values apply to every language; re-validated as a whole (422 import_invalid)"),
    ("get", "/academy/modules/{id}", "A module: introduction as sanitised HTML, objectives, lessons, worked cases with their conversation"),
    ("get", "/academy/lessons/{id}", "A lesson as sanitised HTML with the cases that illustrate it"),
    ("get", "/academy/quiz/{id}", "A module's quiz questions and choices, without the answers"),
    ("post", "/academy/quiz/{id}", "Submit {answers: {question_id: [letters]}}: graded (partial credit for multiple choice), recorded, explained; the plan follows"),
    ("get", "/academy/quiz-attempts", "Quiz attempts, newest first: mine, or user_id=<trainee> for their trainer, supervisor or admin"),
    ("get", "/academy/quiz-attempts/{id}", "One attempt with each question right or wrong, the right answer and the explanation"),
    ("get", "/academy/self-assessment", "The skill areas and the latest self-assessment (mine, or user_id=<trainee>)"),
    ("post", "/academy/self-assessment", "Self-assess {answers: {area: 1-5}} for every area; the personal plan is recommended from it"),
    ("get", "/academy/plan", "A personal plan: items (module, lesson, quiz, role-play) with the reasons they were recommended, done or not, coach adjustments with who and when; null before the first"),
    ("post", "/academy/plan/refresh", "Recommend again {user_id?} from the self-assessment, quiz results, tone-check flags, complaints handled, CSAT and role-play outcomes"),
    ("post", "/academy/plan/items", "A coach adds an item {user_id, kind, target, note?, expected_version?} to a trainee's plan (409 training_plan_changed)"),
    ("patch", "/academy/plan/items/{id}", "Mark an item done {done} (the person or their coach) or set a coach's note {note}"),
    ("delete", "/academy/plan/items/{id}", "A coach removes an item ?user_id=&expected_version= (the recommendations do not bring it back)"),
    ("get", "/academy/progress", "Progress on the three dimensions: quiz attempts, role-plays, CSAT of real conversations (180 days), plan completion (mine, or user_id=<trainee>)"),
    ("get", "/academy/team", "Each trainee's latest quiz, role-play and CSAT figures and trends (trainers and supervisors: agents sharing a team; admins: every agent; 403 for others)"),
    ("get", "/openapi.json", "This document"),
];

pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary) in ROUTES {
        let mut parameters = Vec::new();
        for name in ["id", "channel"] {
            if path.contains(&format!("{{{name}}}")) {
                parameters.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": if name == "id" {"integer"} else {"string"}}}));
            }
        }
        let mut responses = json!({
            "200": {"description": "OK"},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "422": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"},
        });
        if *method == "post" {
            responses["201"] = json!({"description": "Created (or, with a repeated client_message_id, the original result)"});
            responses["413"] = json!({"$ref": "#/components/responses/Error"});
        }
        let operation = json!({"summary": summary, "parameters": parameters, "responses": responses});
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Anxin API", "version": "1", "description": "Emotion-aware customer service. Staff authenticate with the session cookie (and send X-CSRF-Token on state changes) or with `Authorization: Bearer anx_…` API tokens; widget visitors with their signed visitor token."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "anxin_session"},
                "token": {"type": "http", "scheme": "bearer"},
            },
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {"Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": ["bad_request", "malformed_json", "invalid_utf8", "invalid_field", "unsupported_media_type", "invalid_query", "invalid_credentials", "unauthenticated", "forbidden", "not_found", "conflict", "payload_too_large", "rate_limited", "service_unavailable", "internal_error"]},
                    "message": {"type": "string"},
                    "details": {},
                }}},
            }},
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
