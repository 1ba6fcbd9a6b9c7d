//! Complaint tickets, the staff pages (PRODUCT.md §6), server-rendered with plain forms:
//!
//! - `/tickets` (anyone who reads conversations): my tickets, `?view=department` my department's queue,
//!   `?view=open` every open ticket (supervisors and admins); beside the list, my follow-ups that are due and, for
//!   leads, everyone's overdue ones.
//! - `/tickets/{id}`: the facts, the step history, the remedies, and a form for each thing the viewer may do now
//!   (`TicketDetail::allowed`). Forms carry the ticket's version: when someone acted first the page comes back
//!   (409) with the current state and what the person typed.
//! - `/tickets/risk` (leads, admins): open tickets by their nearest deadline, breached / warning / ok.
//! - `/tickets/root-causes` (leads, admins): complaint types per week, by product, by department, with the emotions
//!   they caused and the recovery rate.
//! - `POST /tickets/new`: opens a ticket from the workspace's "建议立案" card ([`suggested_ticket`] decides when it
//!   shows).
//!
//! The store decides who may do what to a ticket; this module parses the forms once and turns the store's answers
//! into pages in the viewer's language.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use anxin_domain::complaint::{self, RemedyDecision, RemedyKind, RemedyLimits, RefusedBecause, TicketAction, TicketActor, TicketState};
use anxin_domain::sla::{SlaStatus, TicketSeverity, TimerKind};
use anxin_domain::{Action, ComplaintType, Role};
use anxin_store::complaint_views::{self as views, CauseGroup, RiskEntry, RootCauses, TicketLine};
use anxin_store::complaints::{COMMENT_MAX_CHARS, NewRemedy, NewTicket, OrderRef, RemedyState, TicketAct, TicketDetail, TicketRefusal, TicketView};
use anxin_store::{Principal, StoreError, Team};

use super::{Viewer, emotion_badge, forbidden, percent_encode, render, to_login, viewer, xml_escape};
use crate::AppState;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::ApiError;
use crate::i18n::Lang;

/// UI texts of the ticket pages (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("tickets.nav", ["投诉工单", "投訴工單", "Tickets"]),
    ("tickets.title", ["投诉工单", "投訴工單", "Complaint tickets"]),
    ("tickets.view.mine", ["我的工单", "我的工單", "My tickets"]),
    ("tickets.view.department", ["部门队列", "部門佇列", "Department queue"]),
    ("tickets.view.open", ["全部未结", "全部未結", "All open"]),
    ("tickets.risk", ["SLA 风险看板", "SLA 風險看板", "SLA risk board"]),
    ("tickets.causes", ["根因分析", "根因分析", "Root causes"]),
    ("tickets.empty", ["暂无工单", "暫無工單", "No tickets"]),
    ("tickets.col.id", ["编号", "編號", "No."]),
    ("tickets.col.type", ["类型", "類型", "Type"]),
    ("tickets.col.severity", ["严重程度", "嚴重程度", "Severity"]),
    ("tickets.col.emotion", ["立案时情绪", "立案時情緒", "Emotion at opening"]),
    ("tickets.col.state", ["状态", "狀態", "State"]),
    ("tickets.col.holder", ["当前处理方", "目前處理方", "With"]),
    ("tickets.col.due", ["步骤时限", "步驟時限", "Step due"]),
    ("tickets.col.sla", ["SLA", "SLA", "SLA"]),
    ("tickets.col.department", ["部门", "部門", "Department"]),
    ("tickets.col.updated", ["更新时间", "更新時間", "Updated"]),
    ("tickets.col.owner", ["负责客服", "負責客服", "Agent"]),
    ("tickets.col.clock", ["最近时限", "最近時限", "Nearest deadline"]),
    ("tickets.col.left", ["剩余时间", "剩餘時間", "Time left"]),
    ("tickets.col.count", ["数量", "數量", "Count"]),
    ("tickets.col.tickets", ["工单数", "工單數", "Tickets"]),
    ("tickets.col.resolved", ["已解决", "已解決", "Resolved"]),
    ("tickets.col.recovery", ["按时解决率", "按時解決率", "Recovery rate"]),
    ("tickets.col.week", ["周", "週", "Week"]),
    ("tickets.follow_ups", ["回访", "回訪", "Follow-ups"]),
    ("tickets.follow_ups.due", ["待我回访", "待我回訪", "My follow-ups due"]),
    ("tickets.follow_ups.overdue", ["逾期未回访", "逾期未回訪", "Overdue follow-ups"]),
    ("tickets.follow_ups.none", ["暂无", "暫無", "None"]),
    ("tickets.follow_ups.at", ["回访时间", "回訪時間", "Follow-up due"]),
    ("tickets.follow_ups.grace", [
        "回访时间过后 {n} 小时仍未回访即列为逾期。",
        "回訪時間過後 {n} 小時仍未回訪即列為逾期。",
        "A follow-up still open {n} hours after it was due is listed as overdue.",
    ]),
    ("tickets.state.awaiting_lead", ["待班长审批", "待班長審批", "Awaiting the lead"]),
    ("tickets.state.returned_to_agent", ["已退回客服", "已退回客服", "Returned to the agent"]),
    ("tickets.state.with_department", ["部门处理中", "部門處理中", "With the department"]),
    ("tickets.state.outcome_ready", ["处理结果待告知", "處理結果待告知", "Outcome ready"]),
    ("tickets.state.customer_informed", ["已告知顾客", "已告知顧客", "Customer informed"]),
    ("tickets.state.resolved", ["已解决（待回访）", "已解決（待回訪）", "Resolved (follow-up pending)"]),
    ("tickets.state.closed", ["已关闭", "已關閉", "Closed"]),
    ("tickets.state.cancelled", ["已撤销", "已撤銷", "Cancelled"]),
    ("tickets.action.open", ["立案", "立案", "Opened"]),
    ("tickets.action.submit", ["提交班长", "提交班長", "Submit to the lead"]),
    ("tickets.action.approve", ["批准并转部门", "批准並轉部門", "Approve for the department"]),
    ("tickets.action.return_to_agent", ["退回客服", "退回客服", "Return to the agent"]),
    ("tickets.action.record_outcome", ["记录处理结果", "記錄處理結果", "Record the outcome"]),
    ("tickets.action.hand_back", ["转回上一步", "轉回上一步", "Hand back"]),
    ("tickets.action.inform_customer", ["已告知顾客", "已告知顧客", "Customer informed"]),
    ("tickets.action.resolve", ["标记已解决", "標記已解決", "Resolve"]),
    ("tickets.action.confirm_fixed", ["回访确认已解决（关闭）", "回訪確認已解決（關閉）", "Follow-up: fixed (close)"]),
    ("tickets.action.reopen", ["重新打开", "重新打開", "Reopen"]),
    ("tickets.action.cancel", ["撤销工单", "撤銷工單", "Cancel the ticket"]),
    ("tickets.actor.agent", ["客服", "客服", "agent"]),
    ("tickets.actor.lead", ["班长", "班長", "lead"]),
    ("tickets.actor.handler", ["部门", "部門", "department"]),
    ("tickets.actor.admin", ["管理员", "管理員", "admin"]),
    ("tickets.severity.low", ["低", "低", "Low"]),
    ("tickets.severity.normal", ["普通", "普通", "Normal"]),
    ("tickets.severity.high", ["高", "高", "High"]),
    ("tickets.severity.critical", ["紧急", "緊急", "Critical"]),
    ("tickets.sla.none", ["无时限", "無時限", "No clock"]),
    ("tickets.sla.ok", ["正常", "正常", "On time"]),
    ("tickets.sla.warning", ["即将超时", "即將逾時", "At risk"]),
    ("tickets.sla.breached", ["已超时", "已逾時", "Breached"]),
    ("tickets.timer.step", ["当前步骤", "目前步驟", "Current step"]),
    ("tickets.timer.first_response", ["首次响应", "首次回應", "First response"]),
    ("tickets.timer.next_response", ["下次响应", "下次回應", "Next response"]),
    ("tickets.timer.resolution", ["解决", "解決", "Resolution"]),
    ("tickets.timer.follow_up", ["回访", "回訪", "Follow-up"]),
    ("tickets.left", ["还剩 {d}", "還剩 {d}", "{d} left"]),
    ("tickets.overdue", ["已超时 {d}", "已逾時 {d}", "overdue by {d}"]),
    ("tickets.remedy.refund", ["全额退款", "全額退款", "Full refund"]),
    ("tickets.remedy.partial_refund", ["部分退款", "部分退款", "Partial refund"]),
    ("tickets.remedy.replacement", ["换货", "換貨", "Replacement"]),
    ("tickets.remedy.reshipment", ["补发", "補發", "Reshipment"]),
    ("tickets.remedy.coupon", ["优惠券", "優惠券", "Coupon"]),
    ("tickets.remedy.compensation", ["补偿", "補償", "Compensation"]),
    ("tickets.remedy.repair", ["维修", "維修", "Repair"]),
    ("tickets.remedy_state.offered", ["待审批", "待審批", "Awaiting approval"]),
    ("tickets.remedy_state.approved", ["可供顾客选择", "可供顧客選擇", "Approved, for the customer to choose"]),
    ("tickets.remedy_state.chosen", ["顾客已选择", "顧客已選擇", "Chosen by the customer"]),
    ("tickets.remedy_state.withdrawn", ["已撤回", "已撤回", "Withdrawn"]),
    ("tickets.facts", ["工单信息", "工單資訊", "Facts"]),
    ("tickets.order_ref", ["订单号", "訂單號", "Order"]),
    ("tickets.product", ["商品 / SKU", "商品 / SKU", "Product / SKU"]),
    ("tickets.conversation", ["查看会话", "查看會話", "Open the conversation"]),
    ("tickets.created", ["立案时间", "立案時間", "Opened"]),
    ("tickets.first_due", ["首次响应时限", "首次回應時限", "First response due"]),
    ("tickets.next_due", ["下次响应时限", "下次回應時限", "Next response due"]),
    ("tickets.resolution_due", ["解决时限", "解決時限", "Resolution due"]),
    ("tickets.none", ["—", "—", "—"]),
    ("tickets.history", ["处理记录", "處理紀錄", "History"]),
    ("tickets.actions", ["下一步", "下一步", "Next step"]),
    ("tickets.comment", ["说明", "說明", "Comment"]),
    ("tickets.comment_hint", [
        "退回、转回、撤销和记录处理结果时必须填写说明；记录处理结果时请写明调查发现与处理方案。",
        "退回、轉回、撤銷和記錄處理結果時必須填寫說明；記錄處理結果時請寫明調查發現與處理方案。",
        "Returns, hand-backs, cancelling and the outcome need a comment; for the outcome, write the findings and the fix.",
    ]),
    ("tickets.comment_unsent", ["你填写但未提交的说明（可复制保存）", "你填寫但未提交的說明（可複製保存）", "What you typed, not submitted (copy it if you need it)"]),
    ("tickets.needs_comment", ["（需填写说明）", "（需填寫說明）", "(needs a comment)"]),
    ("tickets.department_pick", ["转交部门", "轉交部門", "Department"]),
    ("tickets.department_default", ["按升级路径（默认）", "按升級路徑（預設）", "By the escalation path (default)"]),
    ("tickets.no_actions", ["当前没有需要你处理的步骤", "目前沒有需要你處理的步驟", "Nothing for you to do on this ticket now"]),
    ("tickets.remedies", ["补救方案", "補救方案", "Remedies"]),
    ("tickets.remedies.none", ["尚未提供补救方案", "尚未提供補救方案", "No remedies offered yet"]),
    ("tickets.offer", ["提供补救方案", "提供補救方案", "Offer a remedy"]),
    ("tickets.kind", ["方案", "方案", "Remedy"]),
    ("tickets.amount", ["金额（元）", "金額（元）", "Amount (yuan)"]),
    ("tickets.amount_hint", ["仅部分退款、优惠券、补偿需要填写金额", "僅部分退款、優惠券、補償需要填寫金額", "Only partial refunds, coupons and compensation carry an amount"]),
    ("tickets.note", ["备注（选填）", "備註（選填）", "Note (optional)"]),
    ("tickets.offer_submit", ["提供方案", "提供方案", "Offer"]),
    ("tickets.limit", ["你可单独给出的金额上限：{a}；超出需{who}审批。", "你可單獨給出的金額上限：{a}；超出需{who}審批。", "You may grant up to {a} alone; above it, the {who} approves."]),
    ("tickets.limit_none", ["你可以单独给出任意金额。", "你可以單獨給出任意金額。", "You may grant any amount."]),
    ("tickets.approve_remedy", ["批准", "批准", "Approve"]),
    ("tickets.choose_remedy", ["顾客选择此方案", "顧客選擇此方案", "Customer chose this"]),
    ("tickets.needs_approval", ["需{who}审批（超出 {a} 上限）", "需{who}審批（超出 {a} 上限）", "Needs the {who}'s approval (over the {a} limit)"]),
    ("tickets.ok.opened", ["工单已创建，已提交班长审批", "工單已建立，已提交班長審批", "Ticket opened and sent to the lead"]),
    ("tickets.ok.acted", ["已完成：{a}", "已完成：{a}", "Done: {a}"]),
    ("tickets.ok.remedy_allowed", ["方案已提供，可直接请顾客选择", "方案已提供，可直接請顧客選擇", "Remedy offered; the customer may choose it now"]),
    ("tickets.ok.remedy_lead", ["方案已提交：超出你的上限，需班长审批", "方案已提交：超出你的上限，需班長審批", "Remedy submitted: above your limit, the lead approves it"]),
    ("tickets.ok.remedy_admin", ["方案已提交：超出你的上限，需管理员审批", "方案已提交：超出你的上限，需管理員審批", "Remedy submitted: above your limit, an admin approves it"]),
    ("tickets.ok.remedy_withdrawn", ["方案已撤回，顾客端已同步", "方案已撤回，顧客端已同步", "Remedy withdrawn; the customer's view is updated"]),
    ("tickets.ok.remedies_presented", ["已将可选方案发送给顾客", "已將可選方案發送給顧客", "The remedies were put to the customer"]),
    ("tickets.error.no_approved_remedies", ["没有已批准的方案可以发送", "沒有已批准的方案可以發送", "No approved remedy to put to the customer"]),
    ("tickets.error.remedy_chosen", ["顾客已选择该方案，不能撤回", "顧客已選擇該方案，不能撤回", "The customer chose this remedy; it cannot be withdrawn"]),
    ("tickets.withdraw_remedy", ["撤回", "撤回", "Withdraw"]),
    ("tickets.present_remedies", ["发送给顾客选择", "發送給顧客選擇", "Put to the customer"]),
    ("tickets.present_hint", ["顾客将在聊天窗口中看到这些方案并自行选择。", "顧客將在聊天視窗中看到這些方案並自行選擇。", "The customer sees these in the chat window and chooses one."]),
    ("tickets.ok.remedy_approved", ["方案已批准", "方案已批准", "Remedy approved"]),
    ("tickets.ok.remedy_chosen", ["已记录顾客的选择", "已記錄顧客的選擇", "The customer's choice is recorded"]),
    ("tickets.error.changed", [
        "工单刚刚被其他人更新，下面是最新状态。你填写的内容已保留，请确认后再提交。",
        "工單剛剛被其他人更新，下面是最新狀態。你填寫的內容已保留，請確認後再提交。",
        "The ticket changed while you were looking at it; here is its current state. What you typed is kept: check it and submit again.",
    ]),
    ("tickets.error.comment_required", ["这一步需要填写说明", "這一步需要填寫說明", "This step needs a comment saying why"]),
    ("tickets.error.not_yours", ["这一步不由你处理", "這一步不由你處理", "Someone else takes this step"]),
    ("tickets.error.not_from_state", ["工单当前的状态不能执行这一步", "工單目前的狀態不能執行這一步", "This step is not possible in the ticket's state"]),
    ("tickets.error.unknown_action", ["无法识别的操作，请刷新页面后重试", "無法識別的操作，請重新整理頁面後重試", "Unknown action; reload the page and try again"]),
    ("tickets.error.bad_form", ["表单内容无效，请刷新页面后重试", "表單內容無效，請重新整理頁面後重試", "The form is not valid; reload the page and try again"]),
    ("tickets.error.comment", ["说明最多 2000 字，且不能包含控制字符", "說明最多 2000 字，且不能包含控制字元", "Up to 2000 characters, without control characters"]),
    ("tickets.error.department", ["请选择一个有效的部门", "請選擇有效的部門", "Choose one of the departments"]),
    ("tickets.error.department_required", ["该类型的升级路径要求班长选择转交部门", "該類型的升級路徑要求班長選擇轉交部門", "This type's escalation path leaves the department to the lead: choose one"]),
    ("tickets.error.amount", [
        "金额需为正数（元，最多两位小数，不超过 1000 万）；仅部分退款、优惠券、补偿填写金额",
        "金額需為正數（元，最多兩位小數，不超過 1000 萬）；僅部分退款、優惠券、補償填寫金額",
        "A positive amount in yuan (at most 2 decimals, up to 10 million), only for partial refunds, coupons and compensation",
    ]),
    ("tickets.error.kind", ["请选择一种方案", "請選擇一種方案", "Choose a remedy"]),
    ("tickets.error.note", ["备注最多 500 字，且不能包含控制字符", "備註最多 500 字，且不能包含控制字元", "Up to 500 characters, without control characters"]),
    ("tickets.error.not_open", ["工单已解决、关闭或撤销，不能再操作补救方案", "工單已解決、關閉或撤銷，不能再操作補救方案", "The ticket is resolved, closed or cancelled"]),
    ("tickets.error.remedy_not_approved", ["只有已批准的方案才能由顾客选择", "只有已批准的方案才能由顧客選擇", "Only an approved remedy can be chosen"]),
    ("tickets.error.remedy_not_awaiting", ["该方案不在待审批状态", "該方案不在待審批狀態", "This remedy is not waiting for approval"]),
    ("tickets.error.remedy_already_chosen", ["顾客已经选择了一个方案", "顧客已經選擇了一個方案", "The customer already chose a remedy"]),
    ("tickets.error.remedy_forbidden", ["该方案超出你的审批权限", "該方案超出你的審批權限", "This remedy is above your approval limit"]),
    ("tickets.error.bad_id", ["无效的编号", "無效的編號", "Not a valid number"]),
    ("tickets.error.open_failed", ["无法立案：表单内容无效，请返回会话重试", "無法立案：表單內容無效，請返回會話重試", "Could not open the ticket: the form is not valid; go back and try again"]),
    ("tickets.suggest.title", ["建议立案", "建議立案", "Open a complaint ticket?"]),
    ("tickets.suggest.risk", ["投诉风险 {n}%", "投訴風險 {n}%", "Complaint risk {n}%"]),
    ("tickets.suggest.signals", ["升级信号：", "升級訊號：", "Escalation signals: "]),
    ("tickets.suggest.submit", ["一键立案", "一鍵立案", "Open the ticket"]),
    ("tickets.suggest.order_ref", ["订单号（选填）", "訂單號（選填）", "Order (optional)"]),
    ("tickets.risk.by_department", ["各部门", "各部門", "By department"]),
    ("tickets.risk.no_department", ["尚未转部门", "尚未轉部門", "Not with a department yet"]),
    ("tickets.causes.weeks", ["最近 {n} 周", "最近 {n} 週", "Last {n} weeks"]),
    ("tickets.causes.show", ["显示", "顯示", "Show"]),
    ("tickets.causes.weekly", ["每周投诉类型", "每週投訴類型", "Complaint types per week"]),
    ("tickets.causes.chart_desc", ["每周新立案的工单，按投诉类型堆叠。合计：", "每週新立案的工單，按投訴類型堆疊。合計：", "Tickets opened per week, stacked by complaint type. Totals: "]),
    ("tickets.causes.by_type", ["按类型", "按類型", "By type"]),
    ("tickets.causes.by_product", ["按商品", "按商品", "By product"]),
    ("tickets.causes.by_department", ["按部门", "按部門", "By department"]),
    ("tickets.causes.no_product", ["未填写商品", "未填寫商品", "No product given"]),
    ("tickets.causes.emotions", ["引起的情绪", "引起的情緒", "Emotions caused"]),
    ("tickets.causes.recovery_note", [
        "按时解决率 = 已解决的工单中，在解决时限内解决的比例。",
        "按時解決率 = 已解決的工單中，在解決時限內解決的比例。",
        "Recovery rate = the share of resolved tickets that were resolved within the target.",
    ]),
    ("tickets.causes.empty", ["这段时间没有投诉工单", "這段時間沒有投訴工單", "No complaint tickets in this period"]),
    ("tickets.causes.total", ["合计", "合計", "Total"]),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list_page))
        .route("/tickets/new", post(open_form))
        .route("/tickets/risk", get(risk_page))
        .route("/tickets/root-causes", get(causes_page))
        .route("/tickets/{id}", get(ticket_page))
        .route("/tickets/{id}/act", post(act_form))
        .route("/tickets/{id}/remedies", post(offer_form))
        .route("/tickets/{id}/remedies/present", post(present_form))
        .route("/tickets/{id}/remedies/{rid}/{op}", post(remedy_form))
        .route(
            "/assets/tickets.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../../assets/tickets.css")) }),
        )
}

// ----- pure helpers -----

/// Conversation risk from which the workspace suggests a ticket (with a complaint type).
pub(crate) const SUGGEST_RISK: f64 = 0.6;
/// The escalation signals that suggest a ticket on their own.
pub(crate) const ESCALATION_SIGNALS: [&str; 4] = ["regulator", "platform_complaint", "media", "legal"];

/// Whether the workspace suggests opening a complaint ticket for a conversation, and with which type: when the
/// analysis found a complaint type and the complaint risk is high (≥ [`SUGGEST_RISK`]), or when the customer
/// threatened a regulator, a platform complaint, the media or the law — unless a ticket is already open on it.
/// The type is the one found, else `other`.
pub(crate) fn suggested_ticket(complaint_type: Option<&str>, risk: f64, signals: &[String], has_open_ticket: bool) -> Option<ComplaintType> {
    if has_open_ticket {
        return None;
    }
    let kind = complaint_type.and_then(ComplaintType::parse);
    let escalating = signals.iter().any(|s| ESCALATION_SIGNALS.contains(&s.as_str()));
    (escalating || (kind.is_some() && risk >= SUGGEST_RISK)).then(|| kind.unwrap_or(ComplaintType::Other))
}

/// Most money a remedy form accepts (¥10,000,000 in fen), as the API does.
const MAX_AMOUNT_FEN: i64 = 1_000_000_000;
/// Longest note on a remedy.
const NOTE_MAX_CHARS: usize = 500;

/// A yuan amount as typed ("12", "12.5", "¥12.50") in fen; empty is none. At most two decimals, at most
/// [`MAX_AMOUNT_FEN`]; zero allowed (a limit may be zero).
pub(crate) fn parse_yuan(text: &str) -> Result<Option<i64>, ()> {
    let t = text.trim().trim_start_matches(['¥', '￥']).trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 9 {
        return Err(());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| ())? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| ())? };
    let fen = whole * 100 + frac;
    if fen > MAX_AMOUNT_FEN { Err(()) } else { Ok(Some(fen)) }
}

/// [`parse_yuan`] for a remedy's amount, which must be positive.
pub(crate) fn yuan_to_fen(text: &str) -> Result<Option<i64>, ()> {
    match parse_yuan(text)? {
        Some(0) => Err(()),
        amount => Ok(amount),
    }
}

/// "¥12.50".
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}¥{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// A wall-clock duration in plain words: "45 分钟", "3 小时 20 分", "2 天 4 小时" (minutes are dropped from days).
pub(crate) fn duration_words(lang: Lang, ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let u = |zh: &'static str, hant: &'static str, en: &'static str| [zh, hant, en][lang as usize];
    let part = |n: i64, unit: &str| format!("{n} {unit}");
    match (d, h) {
        (0, 0) => part(m, u("分钟", "分鐘", "min")),
        (0, _) if m == 0 => part(h, u("小时", "小時", "h")),
        (0, _) => format!("{} {}", part(h, u("小时", "小時", "h")), part(m, u("分", "分", "min"))),
        (_, 0) => part(d, u("天", "天", "d")),
        _ => format!("{} {}", part(d, u("天", "天", "d")), part(h, u("小时", "小時", "h"))),
    }
}

/// "还剩 3 小时" before the deadline, "已超时 1 天 2 小时" after it.
pub(crate) fn time_left(lang: Lang, due: i64, now: i64) -> String {
    if due > now {
        lang.t("tickets.left").replace("{d}", &duration_words(lang, due - now))
    } else {
        lang.t("tickets.overdue").replace("{d}", &duration_words(lang, now - due))
    }
}

/// "05-14 09:30" at a fixed offset.
fn when(at: i64, offset_ms: i64) -> String {
    let local = at + offset_ms;
    let date = anxin_domain::calendar::LocalDate::from_day_number(local.div_euclid(86_400_000));
    let ms = local.rem_euclid(86_400_000);
    format!("{:02}-{:02} {:02}:{:02}", date.month(), date.day(), ms / 3_600_000, ms / 60_000 % 60)
}

/// The wire spelling of a unit enum (`awaiting_lead`, `partial_refund`, …).
fn spell<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn parse_wire<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).ok()
}

/// SLA status → (css key, icon, catalog key): the icon and the words go with the colour.
fn sla_badge(status: SlaStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        SlaStatus::None => ("none", "–", "tickets.sla.none"),
        SlaStatus::Ok => ("ok", "✓", "tickets.sla.ok"),
        SlaStatus::Warning => ("warning", "⚠", "tickets.sla.warning"),
        SlaStatus::Breached => ("breached", "✖", "tickets.sla.breached"),
    }
}

fn type_text(lang: Lang, kind: ComplaintType) -> &'static str {
    lang.t(&format!("complaint.{}", kind.as_str()))
}

fn state_text(lang: Lang, state: TicketState) -> &'static str {
    lang.t(&format!("tickets.state.{}", spell(state)))
}

fn action_text(lang: Lang, action: &str) -> &'static str {
    lang.t(&format!("tickets.action.{action}"))
}

fn actor_text(lang: Lang, actor: TicketActor) -> &'static str {
    lang.t(&format!("tickets.actor.{}", spell(actor)))
}

fn severity_text(lang: Lang, severity: TicketSeverity) -> &'static str {
    lang.t(&format!("tickets.severity.{}", spell(severity)))
}

fn is_lead(p: &Principal) -> bool {
    matches!(p.role, Role::Supervisor | Role::Admin)
}

// ----- the gate -----

/// A signed-in person who reads conversations (with the session's CSRF token for a form); leads only when asked.
async fn gate(state: &AppState, headers: &HeaderMap, here: &str, lang: Option<&str>, csrf: Option<&str>, leads_only: bool) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if !p.role.can(Action::ReadConversations) || (leads_only && !is_lead(&p)) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent) {
            return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
        }
    Ok((v, p))
}

/// A form body as text fields; not a form counts as empty.
type Pairs = Result<Form<Vec<(String, String)>>, FormRejection>;

fn pairs(body: Pairs) -> Vec<(String, String)> {
    body.map(|f| f.0).unwrap_or_default()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn bad_id(lang: Lang) -> Response {
    (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, "no-store")], Html(format!("<!doctype html><title>400</title><p>{}</p>", xml_escape(lang.t("tickets.error.bad_id"))))).into_response()
}

fn not_found(lang: Lang) -> Response {
    (StatusCode::NOT_FOUND, Html(format!("<!doctype html><title>404</title><p>{}</p>", xml_escape(lang.t("error.not_found"))))).into_response()
}

/// A store failure on a page: 404 and 403 as pages, the rest as the API's error.
fn store_failed(v: &Viewer, here: &str, e: StoreError) -> Response {
    match e {
        StoreError::NotFound => not_found(v.lang),
        StoreError::Forbidden(_) => forbidden(v, here),
        e => ApiError::from(e).into_response(),
    }
}

async fn org_offset(state: &AppState, org_id: i64) -> (i64, serde_json::Value) {
    match state.store.organization(org_id).await {
        Ok(org) => (crate::wellbeing::utc_offset_ms(&org.timezone), org.settings),
        Err(_) => (8 * 3_600_000, serde_json::Value::Null),
    }
}

// ----- list rows -----

pub(crate) struct RowView {
    id: i64,
    type_text: &'static str,
    severity_key: String,
    severity_text: &'static str,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    state_text: &'static str,
    holder_text: &'static str,
    owner: String,
    due: String,
    sla_key: &'static str,
    sla_icon: &'static str,
    sla_text: &'static str,
    department: String,
    updated: String,
    /// The nearest deadline's clock and "time left" words (risk board and follow-ups).
    clock_text: &'static str,
    left: String,
}

fn row_view(lang: Lang, l: &TicketLine, offset: i64, now: i64, status: SlaStatus, deadline: Option<(i64, TimerKind)>) -> RowView {
    let (emotion_key, emotion_icon, emotion_key_text) = emotion_badge(l.emotion.as_deref());
    let (sla_key, sla_icon, sla_text) = sla_badge(status);
    let none = lang.t("tickets.none");
    RowView {
        id: l.id,
        type_text: type_text(lang, l.complaint_type),
        severity_key: spell(l.severity),
        severity_text: severity_text(lang, l.severity),
        emotion_key,
        emotion_icon,
        emotion_text: if l.emotion.is_some() { lang.t(emotion_key_text) } else { none },
        state_text: state_text(lang, l.state),
        holder_text: l.holder.map_or(none, |h| actor_text(lang, h)),
        owner: l.owner_name.clone(),
        due: l.step_due_at.map_or_else(|| none.to_owned(), |d| when(d, offset)),
        sla_key,
        sla_icon,
        sla_text: lang.t(sla_text),
        department: l.department_name.clone().unwrap_or_else(|| none.to_owned()),
        updated: when(l.updated_at, offset),
        clock_text: deadline.map_or(none, |(_, k)| lang.t(&format!("tickets.timer.{}", k.as_str()))),
        left: deadline.map_or_else(|| none.to_owned(), |(at, _)| format!("{} · {}", when(at, offset), time_left(lang, at, now))),
    }
}

fn follow_up_row(lang: Lang, l: &TicketLine, offset: i64, now: i64, grace_ms: i64) -> RowView {
    let due = views::follow_up_due(l);
    let status = match due {
        Some(d) if d + grace_ms <= now => SlaStatus::Breached,
        Some(d) if d <= now => SlaStatus::Warning,
        _ => SlaStatus::Ok,
    };
    let mut row = row_view(lang, l, offset, now, status, due.map(|d| (d, TimerKind::FollowUp)));
    // When it was due, and the time left before it counts as overdue (or how long it has been overdue).
    if let Some(d) = due {
        row.left = format!("{} · {}", when(d, offset), time_left(lang, d + grace_ms, now));
    }
    row
}

// ----- /tickets -----

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    view: &'static str,
    /// Which tab of `tickets_nav.html` is current.
    current: &'static str,
    views: Vec<(&'static str, &'static str)>,
    lead: bool,
    rows: Vec<RowView>,
    due: Vec<RowView>,
    overdue: Vec<RowView>,
    grace_text: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    view: Option<String>,
    lang: Option<String>,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let view = match q.view.as_deref() {
        Some("department") => TicketView::Department,
        Some("open") => TicketView::Open,
        _ => TicketView::Mine,
    };
    let key = spell(view);
    let here = format!("/tickets?view={key}");
    let (v, p) = match gate(&state, &headers, &here, q.lang.as_deref(), None, view == TicketView::Open).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let now = state.store.now();
    let (offset, _) = org_offset(&state, p.org_id).await;
    let tickets = match state.store.tickets(p.clone(), view).await {
        Ok(t) => t,
        Err(e) => return store_failed(&v, &here, e),
    };
    // How long a due follow-up may wait before it is overdue: the organisation's SLA settings.
    let grace_ms = match state.store.sla_settings(p.org_id).await {
        Ok(sla) => i64::from(sla.follow_up_grace_hours) * 3_600_000,
        Err(_) => views::DEFAULT_FOLLOW_UP_GRACE_MS,
    };
    let follow = match state.store.follow_ups(p.clone(), grace_ms).await {
        Ok(f) => f,
        Err(e) => return store_failed(&v, &here, e),
    };
    let lead = is_lead(&p);
    let mut views_list = vec![("mine", lang.t("tickets.view.mine")), ("department", lang.t("tickets.view.department"))];
    if lead {
        views_list.push(("open", lang.t("tickets.view.open")));
    }
    let page = ListPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        view: match view {
            TicketView::Mine => "mine",
            TicketView::Department => "department",
            TicketView::Open => "open",
        },
        current: match view {
            TicketView::Mine => "mine",
            TicketView::Department => "department",
            TicketView::Open => "open",
        },
        views: views_list,
        lead,
        rows: tickets
            .iter()
            .map(|t| {
                let l = TicketLine::from(t);
                // Only open tickets run clocks; a resolved one shows its stored status (none).
                let status = if t.state.is_open() { views::board_status(&l, now) } else { t.sla_status };
                row_view(lang, &l, offset, now, status, views::nearest_deadline(&l))
            })
            .collect(),
        due: follow.due.iter().map(|l| follow_up_row(lang, l, offset, now, grace_ms)).collect(),
        overdue: follow.overdue.iter().map(|l| follow_up_row(lang, l, offset, now, grace_ms)).collect(),
        grace_text: lang.t("tickets.follow_ups.grace").replace("{n}", &(grace_ms / 3_600_000).to_string()),
    };
    render(&page, StatusCode::OK)
}

// ----- /tickets/{id} -----

struct Choice {
    value: String,
    text: String,
    selected: bool,
}

struct StepView {
    when: String,
    actor: String,
    as_text: &'static str,
    action_key: String,
    action_text: &'static str,
    from_text: &'static str,
    to_text: &'static str,
    comment: Option<String>,
    department: Option<String>,
}

struct RemedyView {
    id: i64,
    kind_text: &'static str,
    amount: String,
    note: String,
    state_key: String,
    state_text: &'static str,
    approval: Option<String>,
    may_approve: bool,
    may_choose: bool,
    /// Offered or approved, not chosen: the agent may take it back (the widget is told).
    may_withdraw: bool,
}

struct ActionButton {
    value: String,
    text: &'static str,
    needs_comment: bool,
}

/// What the viewer typed, kept when the page comes back.
#[derive(Default)]
struct Typed {
    comment: String,
    department: Option<i64>,
    kind: String,
    amount: String,
    note: String,
    /// Field → message.
    errors: Vec<(&'static str, &'static str)>,
}

impl Typed {
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }
}

#[derive(Template)]
#[template(path = "tickets_show.html")]
struct TicketPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    notice: Option<String>,
    alert: Option<String>,
    id: i64,
    version: i64,
    open: bool,
    facts: Vec<(&'static str, String)>,
    conversation_href: String,
    sla_key: &'static str,
    sla_icon: &'static str,
    sla_text: &'static str,
    step_due: String,
    steps: Vec<StepView>,
    remedies: Vec<RemedyView>,
    buttons: Vec<ActionButton>,
    departments: Option<Vec<Choice>>,
    comment: String,
    comment_error: Option<&'static str>,
    may_offer: bool,
    /// Approved remedies wait and none is chosen: put them to the customer in the widget.
    may_present: bool,
    kinds: Vec<Choice>,
    amount: String,
    note: String,
    amount_error: Option<&'static str>,
    kind_error: Option<&'static str>,
    note_error: Option<&'static str>,
    limit_text: String,
}

/// The hats the page can see the viewer in (the store decides; this only chooses which forms to draw).
fn hats(p: &Principal, detail: &TicketDetail, teams: &[Team]) -> Vec<TicketActor> {
    let mut out = Vec::new();
    match p.role {
        Role::Admin => out.push(TicketActor::Admin),
        Role::Supervisor => out.push(TicketActor::Lead),
        _ => {}
    }
    let t = &detail.ticket;
    if p.user_id == Some(t.owner_id) {
        out.push(TicketActor::Agent);
    }
    let member = |team: i64| teams.iter().any(|x| x.id == team && p.user_id.is_some_and(|me| x.member_ids.contains(&me)));
    if p.role == Role::Handler && t.department_team_id.is_some_and(member) {
        out.push(TicketActor::Handler);
    }
    out
}

fn limits_of(settings: &serde_json::Value) -> RemedyLimits {
    settings.get("remedy_limits").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default()
}

/// "You may grant up to ¥20.00 alone; above it, the lead approves." for the most senior hat.
fn limit_text(lang: Lang, hats: &[TicketActor], limits: &RemedyLimits) -> String {
    let senior = [TicketActor::Admin, TicketActor::Lead, TicketActor::Agent, TicketActor::Handler].into_iter().find(|h| hats.contains(h));
    let (limit, by) = match senior {
        Some(TicketActor::Admin) | None => return lang.t("tickets.limit_none").to_owned(),
        Some(TicketActor::Lead) => (limits.lead_fen, TicketActor::Admin),
        Some(_) => (limits.agent_fen, TicketActor::Lead),
    };
    lang.t("tickets.limit").replace("{a}", &yuan(limit)).replace("{who}", actor_text(lang, by))
}

/// The message at the top of the ticket page: a success (after a redirect) or what went wrong with a form.
enum Banner {
    None,
    Notice(String),
    Alert(String),
}

impl Banner {
    fn alert(lang: Lang, key: &str) -> Banner {
        Banner::Alert(lang.t(key).to_owned())
    }
}

async fn ticket_view(state: &AppState, v: &Viewer, p: &Principal, id: i64, typed: Typed, banner: Banner) -> Result<TicketPage, StoreError> {
    let lang = v.lang;
    let detail = state.store.ticket(p.clone(), id).await?;
    let teams = state.store.teams(p.org_id).await?;
    let (offset, settings) = org_offset(state, p.org_id).await;
    let now = state.store.now();
    let t = &detail.ticket;
    let none = || lang.t("tickets.none").to_owned();
    let at = |ms: Option<i64>| ms.map_or_else(none, |ms| when(ms, offset));
    let line = TicketLine::from(t);
    let status = if t.state.is_open() { views::board_status(&line, now) } else { t.sla_status };
    let (sla_key, sla_icon, sla_text) = sla_badge(status);
    let hats = hats(p, &detail, &teams);
    let open = t.state.is_open();
    let lead_hat = hats.iter().any(|h| matches!(h, TicketActor::Lead | TicketActor::Admin));
    let chooser = hats.iter().any(|h| matches!(h, TicketActor::Agent | TicketActor::Lead | TicketActor::Admin));
    let chosen = detail.remedies.iter().any(|r| r.state == RemedyState::Chosen);
    let team_name = |team: Option<i64>| team.and_then(|id| teams.iter().find(|x| x.id == id).map(|x| x.name.clone()));
    let (_, emotion_icon, emotion_text) = emotion_badge(t.emotion.as_deref());
    let mut facts = vec![
        ("tickets.col.type", type_text(lang, t.complaint_type).to_owned()),
        ("tickets.col.severity", severity_text(lang, t.severity).to_owned()),
        ("tickets.col.state", state_text(lang, t.state).to_owned()),
        ("tickets.col.holder", t.holder.map_or_else(none, |h| actor_text(lang, h).to_owned())),
        ("tickets.col.emotion", if t.emotion.is_some() { format!("{emotion_icon} {} · {:.0}%", lang.t(emotion_text), t.intensity * 100.0) } else { none() }),
        ("tickets.order_ref", t.order_ref.clone().unwrap_or_else(none)),
        ("tickets.product", t.product.clone().unwrap_or_else(none)),
        ("tickets.col.owner", t.owner_name.clone()),
        ("tickets.col.department", t.department_name.clone().unwrap_or_else(none)),
        ("tickets.created", when(t.created_at, offset)),
        ("tickets.first_due", at(t.first_response_due_at)),
        ("tickets.next_due", at(t.next_response_due_at)),
        ("tickets.resolution_due", at(t.resolution_due_at)),
    ];
    if let Some(channel) = t.channel {
        facts.push(("inbox.channel", channel.as_str().to_owned()));
    }
    if t.state == TicketState::Resolved || t.follow_up_due_at.is_some() {
        facts.push(("tickets.follow_ups.at", at(views::follow_up_due(&line))));
    }
    let steps = detail
        .steps
        .iter()
        .map(|s| StepView {
            when: when(s.created_at, offset),
            actor: s.actor_name.clone(),
            as_text: s.acted_as.map_or("", |h| actor_text(lang, h)),
            action_key: s.action.clone(),
            action_text: action_text(lang, &s.action),
            from_text: s.from_state.map_or("", |st| state_text(lang, st)),
            to_text: state_text(lang, s.to_state),
            comment: s.comment.clone(),
            department: team_name(s.department_team_id),
        })
        .collect();
    let remedies = detail
        .remedies
        .iter()
        .map(|r| RemedyView {
            id: r.id,
            kind_text: lang.t(&format!("tickets.remedy.{}", spell(r.kind))),
            amount: r.amount_fen.map_or_else(none, yuan),
            note: r.note.clone().unwrap_or_default(),
            state_key: spell(r.state),
            state_text: lang.t(&format!("tickets.remedy_state.{}", spell(r.state))),
            approval: (r.state == RemedyState::Offered).then(|| {
                let who = actor_text(lang, r.needs_approval_by.unwrap_or(TicketActor::Lead));
                lang.t("tickets.needs_approval").replace("{who}", who).replace("{a}", &r.limit_fen.map_or_else(none, yuan))
            }),
            may_approve: open
                && r.state == RemedyState::Offered
                && match r.needs_approval_by {
                    Some(TicketActor::Admin) => hats.contains(&TicketActor::Admin),
                    _ => lead_hat,
                },
            may_choose: open && chooser && !chosen && r.state == RemedyState::Approved,
            may_withdraw: open && chooser && matches!(r.state, RemedyState::Offered | RemedyState::Approved),
        })
        .collect();
    let buttons = detail
        .allowed
        .iter()
        .map(|a| {
            let needs_comment = complaint::TRANSITIONS.iter().any(|tr| tr.from == t.state && tr.action == *a && tr.needs_comment);
            ActionButton { value: spell(*a), text: action_text(lang, &spell(*a)), needs_comment }
        })
        .collect();
    let departments = detail.allowed.contains(&TicketAction::Approve).then(|| {
        let chosen = typed.department.or(t.department_team_id);
        teams.iter().map(|x| Choice { value: x.id.to_string(), text: x.name.clone(), selected: Some(x.id) == chosen }).collect()
    });
    let kinds = RemedyKind::ALL
        .iter()
        .map(|k| Choice { value: spell(*k), text: lang.t(&format!("tickets.remedy.{}", spell(*k))).to_owned(), selected: typed.kind == spell(*k) })
        .collect();
    Ok(TicketPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&format!("/tickets/{id}")),
        notice: if let Banner::Notice(n) = &banner { Some(n.clone()) } else { None },
        alert: if let Banner::Alert(a) = &banner { Some(a.clone()) } else { None },
        id,
        version: t.version,
        open,
        facts: facts.into_iter().map(|(k, v)| (lang.t(k), v)).collect(),
        conversation_href: format!("/inbox?view=all&status=any&c={}", t.conversation_id),
        sla_key,
        sla_icon,
        sla_text: lang.t(sla_text),
        step_due: match (t.step_due_at, t.state.is_open()) {
            (Some(due), true) => format!("{} · {}", when(due, offset), time_left(lang, due, now)),
            _ => none(),
        },
        steps,
        remedies,
        buttons,
        departments,
        comment_error: typed.error("comment"),
        amount_error: typed.error("amount"),
        kind_error: typed.error("kind"),
        note_error: typed.error("note"),
        comment: typed.comment,
        may_offer: open && !hats.is_empty(),
        may_present: open && chooser && !chosen && detail.remedies.iter().any(|r| r.state == RemedyState::Approved),
        kinds,
        amount: typed.amount,
        note: typed.note,
        limit_text: limit_text(lang, &hats, &limits_of(&settings)),
    })
}

async fn show_ticket(state: &AppState, v: &Viewer, p: &Principal, id: i64, typed: Typed, status: StatusCode, banner: Banner) -> Response {
    match ticket_view(state, v, p, id, typed, banner).await {
        Ok(page) => render(&page, status),
        Err(e) => store_failed(v, &format!("/tickets/{id}"), e),
    }
}

#[derive(Deserialize, Default)]
struct TicketQuery {
    lang: Option<String>,
    ok: Option<String>,
    a: Option<String>,
}

fn notice_text(lang: Lang, ok: Option<&str>, action: Option<&str>) -> Option<String> {
    let key = match ok? {
        "opened" => "tickets.ok.opened",
        "acted" => {
            let action = action.and_then(parse_wire::<TicketAction>)?;
            return Some(lang.t("tickets.ok.acted").replace("{a}", action_text(lang, &spell(action))));
        }
        "remedy_allowed" => "tickets.ok.remedy_allowed",
        "remedy_lead" => "tickets.ok.remedy_lead",
        "remedy_admin" => "tickets.ok.remedy_admin",
        "remedy_approved" => "tickets.ok.remedy_approved",
        "remedy_chosen" => "tickets.ok.remedy_chosen",
        "remedy_withdrawn" => "tickets.ok.remedy_withdrawn",
        "remedies_presented" => "tickets.ok.remedies_presented",
        _ => return None,
    };
    Some(lang.t(key).to_owned())
}

async fn ticket_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<TicketQuery>) -> Response {
    let here = format!("/tickets/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, q.lang.as_deref(), None, false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return bad_id(v.lang) };
    let banner = notice_text(v.lang, q.ok.as_deref(), q.a.as_deref()).map_or(Banner::None, Banner::Notice);
    show_ticket(&state, &v, &p, id, Typed::default(), StatusCode::OK, banner).await
}

/// Keeps what was typed, bounded (a huge field is refused, and what comes back is its first part).
fn keep(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// A comment as typed: trimmed, empty is none; too long or with control characters is an error.
fn parse_text(text: &str, max: usize) -> Result<Option<String>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(());
    }
    Ok(Some(text.replace("\r\n", "\n")))
}

async fn act_form(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/tickets/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok(id) = id.parse::<i64>() else { return bad_id(lang) };
    let comment_text = first(&f, "comment");
    let mut typed = Typed { comment: keep(comment_text, COMMENT_MAX_CHARS * 2), ..Default::default() };
    let department = match first(&f, "department_team_id").trim() {
        "" => Ok(None),
        d => d.parse::<i64>().map(Some).map_err(|_| ()),
    };
    typed.department = department.ok().flatten();
    let action = parse_wire::<TicketAction>(first(&f, "action"));
    let version = first(&f, "version").trim().parse::<i64>().ok().filter(|v| *v >= 1);
    let comment = parse_text(comment_text, COMMENT_MAX_CHARS);
    let problem = match (&action, &version, &comment, &department) {
        (None, ..) => Some((StatusCode::UNPROCESSABLE_ENTITY, "tickets.error.unknown_action")),
        (_, None, ..) => Some((StatusCode::UNPROCESSABLE_ENTITY, "tickets.error.bad_form")),
        (_, _, Err(()), _) => {
            typed.errors.push(("comment", lang.t("tickets.error.comment")));
            Some((StatusCode::UNPROCESSABLE_ENTITY, "tickets.error.comment"))
        }
        (_, _, _, Err(())) => Some((StatusCode::UNPROCESSABLE_ENTITY, "tickets.error.department")),
        _ => None,
    };
    if let Some((status, key)) = problem {
        return show_ticket(&state, &v, &p, id, typed, status, Banner::alert(lang, key)).await;
    }
    let (Some(action), Some(version), Ok(comment), Ok(department)) = (action, version, comment, department) else { unreachable!("checked above") };
    let act = TicketAct {
        action,
        comment,
        expected_version: version,
        department_team_id: if action == TicketAction::Approve { department } else { None },
    };
    let refusal = match state.store.act_on_ticket(p.clone(), id, act).await {
        Ok(Ok(_)) => return Redirect::to(&format!("/tickets/{id}?ok=acted&a={}", spell(action))).into_response(),
        Ok(Err(refusal)) => refusal,
        Err(StoreError::Conflict(what)) if what == "department_team_id" || what == "department_required" => {
            let key = if what == "department_required" { "tickets.error.department_required" } else { "tickets.error.department" };
            return show_ticket(&state, &v, &p, id, typed, StatusCode::UNPROCESSABLE_ENTITY, Banner::alert(lang, key)).await;
        }
        Err(e) => return store_failed(&v, &here, e),
    };
    let (status, key) = match refusal {
        TicketRefusal::Changed { .. } => (StatusCode::CONFLICT, "tickets.error.changed"),
        TicketRefusal::Workflow(r) => match r.reason {
            RefusedBecause::CommentRequired => {
                typed.errors.push(("comment", lang.t("tickets.error.comment_required")));
                (StatusCode::UNPROCESSABLE_ENTITY, "tickets.error.comment_required")
            }
            RefusedBecause::NotYours => (StatusCode::CONFLICT, "tickets.error.not_yours"),
            RefusedBecause::NotFromThisState => (StatusCode::CONFLICT, "tickets.error.not_from_state"),
        },
    };
    show_ticket(&state, &v, &p, id, typed, status, Banner::alert(lang, key)).await
}

async fn offer_form(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/tickets/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok(id) = id.parse::<i64>() else { return bad_id(lang) };
    let mut typed = Typed { kind: keep(first(&f, "kind"), 40), amount: keep(first(&f, "amount"), 40), note: keep(first(&f, "note"), NOTE_MAX_CHARS * 2), ..Default::default() };
    let kind = parse_wire::<RemedyKind>(first(&f, "kind"));
    let amount = yuan_to_fen(first(&f, "amount"));
    let note = parse_text(first(&f, "note"), NOTE_MAX_CHARS);
    if kind.is_none() {
        typed.errors.push(("kind", lang.t("tickets.error.kind")));
    }
    // The shape rules (an amount exactly for money remedies) do not depend on who offers.
    let shape_ok = match (kind, amount) {
        (Some(k), Ok(a)) => complaint::check_remedy(&RemedyLimits::default(), TicketActor::Admin, k, a).is_ok(),
        (None, Ok(_)) => true,
        (_, Err(())) => false,
    };
    if !shape_ok {
        typed.errors.push(("amount", lang.t("tickets.error.amount")));
    }
    if note.is_err() {
        typed.errors.push(("note", lang.t("tickets.error.note")));
    }
    let (Some(kind), Ok(amount_fen), Ok(note), true) = (kind, amount, note, shape_ok) else {
        return show_ticket(&state, &v, &p, id, typed, StatusCode::UNPROCESSABLE_ENTITY, Banner::alert(lang, "form.fix_errors")).await;
    };
    match state.store.offer_remedy(p.clone(), id, NewRemedy { kind, amount_fen, note }).await {
        Ok((_, decision)) => {
            let ok = match decision {
                RemedyDecision::Allowed => "remedy_allowed",
                RemedyDecision::NeedsApproval { by: TicketActor::Admin, .. } => "remedy_admin",
                RemedyDecision::NeedsApproval { .. } => "remedy_lead",
            };
            Redirect::to(&format!("/tickets/{id}?ok={ok}#remedies")).into_response()
        }
        Err(StoreError::Conflict(what)) => {
            let key = match what.as_str() {
                "amount_fen" => {
                    typed.errors.push(("amount", lang.t("tickets.error.amount")));
                    "tickets.error.amount"
                }
                _ => "tickets.error.not_open",
            };
            show_ticket(&state, &v, &p, id, typed, StatusCode::CONFLICT, Banner::alert(lang, key)).await
        }
        Err(e) => store_failed(&v, &here, e),
    }
}

async fn remedy_form(State(state): State<AppState>, headers: HeaderMap, Path((id, rid, op)): Path<(String, String, String)>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/tickets/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let (Ok(id), Ok(rid)) = (id.parse::<i64>(), rid.parse::<i64>()) else { return bad_id(lang) };
    let result = match op.as_str() {
        "approve" => state.store.approve_remedy(p.clone(), id, rid).await.map(|_| "remedy_approved"),
        "choose" => state.store.choose_remedy(p.clone(), id, rid).await.map(|_| "remedy_chosen"),
        "withdraw" => state.store.withdraw_remedy(p.clone(), id, rid).await.map(|_| "remedy_withdrawn"),
        _ => return not_found(lang),
    };
    let key = match result {
        Ok(ok) => return Redirect::to(&format!("/tickets/{id}?ok={ok}#remedies")).into_response(),
        Err(StoreError::Conflict(what)) => match what.as_str() {
            "remedy_not_approved" => "tickets.error.remedy_not_approved",
            "remedy_not_awaiting_approval" => "tickets.error.remedy_not_awaiting",
            "remedy_already_chosen" => "tickets.error.remedy_already_chosen",
            "remedy_chosen" => "tickets.error.remedy_chosen",
            _ => "tickets.error.not_open",
        },
        // Seeing the ticket but above one's approval limit (or not the ticket's agent): say so on the page.
        Err(StoreError::Forbidden(_)) if state.store.ticket(p.clone(), id).await.is_ok() => "tickets.error.remedy_forbidden",
        Err(e) => return store_failed(&v, &here, e),
    };
    let status = if key == "tickets.error.remedy_forbidden" { StatusCode::FORBIDDEN } else { StatusCode::CONFLICT };
    show_ticket(&state, &v, &p, id, Typed::default(), status, Banner::alert(lang, key)).await
}

/// `POST /tickets/{id}/remedies/present`: the approved remedies go to the customer, who chooses in the widget.
async fn present_form(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/tickets/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok(id) = id.parse::<i64>() else { return bad_id(lang) };
    let key = match state.store.present_remedies(p.clone(), id).await {
        Ok(_) => return Redirect::to(&format!("/tickets/{id}?ok=remedies_presented#remedies")).into_response(),
        Err(StoreError::Conflict(what)) if what == "no_approved_remedies" => "tickets.error.no_approved_remedies",
        Err(StoreError::Conflict(what)) if what == "remedy_already_chosen" => "tickets.error.remedy_already_chosen",
        Err(StoreError::Conflict(_)) => "tickets.error.not_open",
        Err(StoreError::Forbidden(_)) if state.store.ticket(p.clone(), id).await.is_ok() => "tickets.error.remedy_forbidden",
        Err(e) => return store_failed(&v, &here, e),
    };
    show_ticket(&state, &v, &p, id, Typed::default(), StatusCode::CONFLICT, Banner::alert(lang, key)).await
}

// ----- POST /tickets/new (the workspace's suggestion card) -----

/// The workspace's "建议立案" card.
pub(crate) struct Suggestion {
    pub(crate) conversation_id: i64,
    pub(crate) kinds: Vec<(String, &'static str, bool)>,
    pub(crate) severities: Vec<(String, &'static str, bool)>,
    pub(crate) reasons: Vec<String>,
}

impl Suggestion {
    pub(crate) fn new(lang: Lang, conversation_id: i64, kind: ComplaintType, risk: f64, signals: &[String]) -> Suggestion {
        let escalating: Vec<&String> = signals.iter().filter(|s| ESCALATION_SIGNALS.contains(&s.as_str())).collect();
        let severity = if escalating.is_empty() { TicketSeverity::Normal } else { TicketSeverity::High };
        let mut reasons = vec![lang.t("tickets.suggest.risk").replace("{n}", &format!("{:.0}", risk * 100.0))];
        if !escalating.is_empty() {
            let names: Vec<&str> = escalating.iter().map(|s| lang.t(&format!("signal.{s}"))).collect();
            reasons.push(format!("{}{}", lang.t("tickets.suggest.signals"), names.join(if lang == Lang::En { ", " } else { "、" })));
        }
        Suggestion {
            conversation_id,
            kinds: ComplaintType::ALL.iter().map(|k| (k.as_str().to_owned(), type_text(lang, *k), *k == kind)).collect(),
            severities: TicketSeverity::ALL.iter().map(|s| (spell(*s), severity_text(lang, *s), *s == severity)).collect(),
            reasons,
        }
    }
}

async fn open_form(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let conversation = first(&f, "conversation_id").trim().parse::<i64>().ok();
    let back = conversation.map_or_else(|| "/inbox".to_owned(), |c| format!("/inbox?view=all&status=any&c={c}"));
    let (v, p) = match gate(&state, &headers, &back, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    if !p.role.can(Action::UpdateConversation) {
        return forbidden(&v, &back);
    }
    let label = |name: &str| match first(&f, name).trim() {
        "" => Ok(None),
        text => OrderRef::parse(text).map(Some),
    };
    let kind = match first(&f, "complaint_type").trim() {
        "" => Ok(None),
        k => ComplaintType::parse(k).map(Some).ok_or(()),
    };
    let severity = match first(&f, "severity").trim() {
        "" => Some(TicketSeverity::Normal),
        s => parse_wire::<TicketSeverity>(s),
    };
    let parsed = (conversation, kind, severity, label("order_ref"), label("product"), parse_text(first(&f, "comment"), COMMENT_MAX_CHARS));
    let (Some(conversation_id), Ok(complaint_type), Some(severity), Ok(order_ref), Ok(product), Ok(comment)) = parsed else {
        let text = format!("<!doctype html><title>422</title><p>{}</p><p><a href=\"{}\">{}</a></p>", xml_escape(v.lang.t("tickets.error.open_failed")), xml_escape(&back), xml_escape(v.lang.t("form.back")));
        return (StatusCode::UNPROCESSABLE_ENTITY, Html(text)).into_response();
    };
    let new = NewTicket { conversation_id, complaint_type, severity, order_ref, product, comment };
    match state.store.open_ticket(p, new).await {
        Ok(detail) => Redirect::to(&format!("/tickets/{}?ok=opened", detail.ticket.id)).into_response(),
        Err(e) => store_failed(&v, &back, e),
    }
}

// ----- /tickets/risk -----

#[derive(Template)]
#[template(path = "tickets_risk.html")]
struct RiskPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    groups: Vec<(&'static str, &'static str, &'static str, Vec<RowView>)>,
    departments: Vec<(String, [usize; 3])>,
    current: &'static str,
    lead: bool,
}

#[derive(Deserialize, Default)]
struct LangOnly {
    lang: Option<String>,
}

async fn risk_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangOnly>) -> Response {
    let here = "/tickets/risk";
    let (v, p) = match gate(&state, &headers, here, q.lang.as_deref(), None, true).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let lines = match state.store.open_ticket_lines(p.clone()).await {
        Ok(l) => l,
        Err(e) => return store_failed(&v, here, e),
    };
    let now = state.store.now();
    let (offset, _) = org_offset(&state, p.org_id).await;
    let board = views::risk_board(lines, now);
    let rows = |group: &[RiskEntry]| group.iter().map(|e| row_view(lang, &e.line, offset, now, e.status, e.deadline)).collect::<Vec<_>>();
    let groups = vec![
        ("breached", "✖", lang.t("tickets.sla.breached"), rows(&board.breached)),
        ("warning", "⚠", lang.t("tickets.sla.warning"), rows(&board.warning)),
        ("ok", "✓", lang.t("tickets.sla.ok"), rows(&board.ok)),
    ];
    let page = RiskPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(here),
        groups,
        departments: board.departments.into_iter().map(|(d, c)| (d.unwrap_or_else(|| lang.t("tickets.risk.no_department").to_owned()), c)).collect(),
        current: "risk",
        lead: true,
    };
    render(&page, StatusCode::OK)
}

// ----- /tickets/root-causes -----

/// Weeks the root-cause view may show.
const WEEK_CHOICES: [usize; 4] = [4, 8, 12, 26];

struct GroupView {
    name: String,
    tickets: usize,
    emotions: Vec<(&'static str, &'static str, &'static str, usize)>,
    resolved: usize,
    recovery: String,
}

fn group_view(lang: Lang, name: String, g: &CauseGroup) -> GroupView {
    GroupView {
        name,
        tickets: g.tickets,
        emotions: views::EMOTIONS
            .iter()
            .zip(g.emotions)
            .filter(|(_, n)| *n > 0)
            .map(|(e, n)| {
                let (key, icon, text) = emotion_badge(Some(e));
                (key, icon, lang.t(text), n)
            })
            .collect(),
        resolved: g.resolved,
        recovery: g.recovery_rate().map_or_else(|| lang.t("tickets.none").to_owned(), |r| format!("{:.0}%", r * 100.0)),
    }
}

#[derive(Template)]
#[template(path = "tickets_causes.html")]
struct CausesPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    weeks: usize,
    week_choices: Vec<(usize, String, bool)>,
    week_labels: Vec<String>,
    weekly: Vec<(&'static str, Vec<usize>, usize)>,
    week_totals: Vec<usize>,
    chart: String,
    /// (table id, catalog key of the heading, rows): by type, by product, by department.
    sections: Vec<(&'static str, &'static str, Vec<GroupView>)>,
    total: GroupView,
    current: &'static str,
    lead: bool,
}

/// Fills for the chart's complaint types (the legend and each bar's `<title>` name them; colour is not alone).
const TYPE_FILLS: [&str; 8] = ["#0f766e", "#b45309", "#7c3aed", "#be123c", "#1d4ed8", "#4d7c0f", "#a21caf", "#475569"];

/// Tickets per week as stacked bars by complaint type, drawn here: every text escaped, `<title>`/`<desc>` for
/// screen readers, a `<title>` per segment, a legend naming each type with its total.
pub(crate) fn causes_svg(lang: Lang, rc: &RootCauses, week_labels: &[String]) -> String {
    const W: f64 = 640.0;
    const LEFT: f64 = 36.0;
    const TOP: f64 = 10.0;
    const PLOT_H: f64 = 140.0;
    const RIGHT: f64 = 8.0;
    let weeks = rc.week_starts.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let axis_y = TOP + PLOT_H;
    let slot = plot_w / weeks as f64;
    let bar = (slot * 0.7).floor().max(1.0);
    let totals: Vec<usize> = (0..weeks).map(|w| rc.by_week.iter().map(|(_, c)| c.get(w).copied().unwrap_or(0)).sum()).collect();
    let top = totals.iter().copied().max().unwrap_or(0).max(1);
    let legend_rows = rc.by_week.len().div_ceil(4).max(1);
    let h = axis_y + 24.0 + 18.0 * legend_rows as f64;
    let fill = |k: ComplaintType| TYPE_FILLS[ComplaintType::ALL.iter().position(|x| *x == k).unwrap_or(7) % TYPE_FILLS.len()];
    let mut desc = lang.t("tickets.causes.chart_desc").to_owned();
    let sep = if lang == Lang::En { ", " } else { "、" };
    for (i, (k, counts)) in rc.by_week.iter().enumerate() {
        let _ = write!(desc, "{}{} {}", if i == 0 { "" } else { sep }, type_text(lang, *k), counts.iter().sum::<usize>());
    }
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="causes-chart" id="causes-chart" viewBox="0 0 {W} {h}" width="100%" role="img" aria-labelledby="causes-title causes-desc"><title id="causes-title">{}</title><desc id="causes-desc">{}</desc>"#,
        xml_escape(lang.t("tickets.causes.weekly")),
        xml_escape(&desc)
    );
    for value in [0, top] {
        let y = axis_y - PLOT_H * value as f64 / top as f64;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e2e8f0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#475569" font-size="11">{value}</text>"##,
            W - RIGHT,
            LEFT - 5.0,
            y + 4.0
        );
    }
    for w in 0..weeks {
        let x = LEFT + slot * w as f64 + (slot - bar) / 2.0;
        let mut y = axis_y;
        let label = week_labels.get(w).cloned().unwrap_or_default();
        for (k, counts) in &rc.by_week {
            let n = counts.get(w).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let bh = PLOT_H * n as f64 / top as f64;
            y -= bh;
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}" stroke="#fff"><title>{} · {} · {n}</title></rect>"##,
                fill(*k),
                xml_escape(&label),
                xml_escape(type_text(lang, *k))
            );
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#475569" font-size="11">{}</text>"##,
            x + bar / 2.0,
            axis_y + 14.0,
            xml_escape(&label)
        );
    }
    for (i, (k, counts)) in rc.by_week.iter().enumerate() {
        let (col, row) = (i % 4, i / 4);
        let x = LEFT + col as f64 * (plot_w / 4.0);
        let y = axis_y + 30.0 + 18.0 * row as f64;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{y:.1}" font-size="12" fill="#1f2937">{} {}</text>"##,
            y - 9.0,
            fill(*k),
            x + 14.0,
            xml_escape(type_text(lang, *k)),
            counts.iter().sum::<usize>()
        );
    }
    s.push_str("</svg>");
    s
}

#[derive(Deserialize, Default)]
struct CausesQuery {
    weeks: Option<String>,
    lang: Option<String>,
}

async fn causes_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<CausesQuery>) -> Response {
    let weeks = q.weeks.as_deref().and_then(|w| w.trim().parse::<usize>().ok()).filter(|w| WEEK_CHOICES.contains(w)).unwrap_or(8);
    let here = format!("/tickets/root-causes?weeks={weeks}");
    let (v, p) = match gate(&state, &headers, &here, q.lang.as_deref(), None, true).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let now = state.store.now();
    let (offset, _) = org_offset(&state, p.org_id).await;
    let start = views::weeks_start(now, offset, weeks);
    let rows = match state.store.cause_rows(p.clone(), start).await {
        Ok(r) => r,
        Err(e) => return store_failed(&v, &here, e),
    };
    let rc = views::root_causes(&rows, start, weeks);
    let week_labels: Vec<String> = rc.week_starts.iter().map(|w| when(*w, offset)[..5].to_owned()).collect();
    let page = CausesPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        weeks,
        week_choices: WEEK_CHOICES.iter().map(|w| (*w, lang.t("tickets.causes.weeks").replace("{n}", &w.to_string()), *w == weeks)).collect(),
        week_totals: (0..weeks).map(|w| rc.by_week.iter().map(|(_, c)| c[w]).sum()).collect(),
        chart: causes_svg(lang, &rc, &week_labels),
        week_labels,
        weekly: rc.by_week.iter().map(|(k, c)| (type_text(lang, *k), c.clone(), c.iter().sum())).collect(),
        sections: vec![
            ("causes-types", "tickets.causes.by_type", rc.by_type.iter().map(|(k, g)| group_view(lang, type_text(lang, *k).to_owned(), g)).collect()),
            (
                "causes-products",
                "tickets.causes.by_product",
                rc.by_product
                    .iter()
                    .map(|(name, g)| group_view(lang, name.clone().unwrap_or_else(|| lang.t("tickets.causes.no_product").to_owned()), g))
                    .collect(),
            ),
            (
                "causes-departments",
                "tickets.causes.by_department",
                rc.by_department
                    .iter()
                    .map(|(name, g)| group_view(lang, name.clone().unwrap_or_else(|| lang.t("tickets.risk.no_department").to_owned()), g))
                    .collect(),
            ),
        ],
        total: group_view(lang, lang.t("tickets.causes.total").to_owned(), &rc.total),
        current: "causes",
        lead: true,
    };
    render(&page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_suggested_for_a_risky_complaint_or_an_escalation_threat_without_an_open_ticket() {
        let s = |list: &[&str]| list.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        type Case<'a> = (Option<&'a str>, f64, &'a [&'a str], bool, Option<ComplaintType>);
        let cases: &[Case] = &[
            (Some("logistics"), 0.6, &[], false, Some(ComplaintType::Logistics)),
            (Some("logistics"), 0.59, &[], false, None),
            (None, 0.95, &[], false, None), // high risk but no complaint type
            (None, 0.1, &["regulator"], false, Some(ComplaintType::Other)),
            (Some("quality"), 0.1, &["media"], false, Some(ComplaintType::Quality)),
            (Some("quality"), 0.1, &["legal", "shouting"], false, Some(ComplaintType::Quality)),
            (Some("quality"), 0.1, &["platform_complaint"], false, Some(ComplaintType::Quality)),
            (Some("quality"), 0.5, &["urgency", "shouting", "profanity"], false, None), // not escalation threats
            (Some("logistics"), 0.9, &["regulator"], true, None),                        // a ticket is open already
            (Some("<script>"), 0.9, &[], false, None),
        ];
        for (kind, risk, signals, open, expected) in cases {
            assert_eq!(suggested_ticket(*kind, *risk, &s(signals), *open), *expected, "{kind:?} {risk} {signals:?} {open}");
        }
    }

    #[test]
    fn yuan_amounts_become_fen_and_anything_else_is_refused() {
        let cases: &[(&str, Result<Option<i64>, ()>)] = &[
            ("", Ok(None)),
            ("  ", Ok(None)),
            ("20", Ok(Some(2_000))),
            ("12.5", Ok(Some(1_250))),
            ("¥0.01", Ok(Some(1))),
            ("￥ 300.00", Ok(Some(30_000))),
            (".5", Ok(Some(50))),
            ("10000000", Ok(Some(1_000_000_000))),
            ("10000000.01", Err(())),
            ("0", Err(())),
            ("0.00", Err(())),
            ("-5", Err(())),
            ("1.234", Err(())),
            ("1e3", Err(())),
            ("12,5", Err(())),
            (".", Err(())),
            ("99999999999999999999", Err(())),
            ("<script>", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(yuan_to_fen(text), *expected, "{text:?}");
        }
        assert_eq!(yuan(2_000), "¥20.00");
        assert_eq!(yuan(5), "¥0.05");
    }

    #[test]
    fn time_left_is_said_in_plain_words() {
        const M: i64 = 60_000;
        assert_eq!(duration_words(Lang::ZhHans, 45 * M), "45 分钟");
        assert_eq!(duration_words(Lang::ZhHans, 3 * 60 * M), "3 小时");
        assert_eq!(duration_words(Lang::ZhHans, 200 * M), "3 小时 20 分");
        assert_eq!(duration_words(Lang::En, (2 * 24 * 60 + 4 * 60 + 7) * M), "2 d 4 h");
        assert_eq!(duration_words(Lang::ZhHant, 24 * 60 * M), "1 天");
        assert_eq!(duration_words(Lang::En, -5), "0 min");
        assert_eq!(time_left(Lang::ZhHans, 1_000 + 90 * M, 1_000), "还剩 1 小时 30 分");
        assert_eq!(time_left(Lang::En, 1_000, 1_000 + 30 * M), "overdue by 30 min");
        assert_eq!(time_left(Lang::ZhHans, 0, 26 * 60 * M), "已超时 1 天 2 小时");
    }

    #[test]
    fn the_causes_chart_names_every_type_and_escapes_its_text() {
        let rc = RootCauses {
            week_starts: vec![0, 7],
            by_week: vec![(ComplaintType::Quality, vec![2, 0]), (ComplaintType::Logistics, vec![1, 3])],
            ..Default::default()
        };
        let labels = vec!["<w1>".to_owned(), "05-18".to_owned()];
        let svg = causes_svg(Lang::ZhHans, &rc, &labels);
        crate::pages::balanced(&svg).unwrap();
        assert!(svg.contains("<title id=\"causes-title\">每周投诉类型</title>"));
        assert!(svg.contains("质量问题 2") && svg.contains("物流问题 4"), "legend with totals: {svg}");
        assert_eq!(svg.matches("<rect").count(), 3 + 2, "three bar segments and two legend keys");
        assert!(svg.contains("&lt;w1&gt;") && !svg.contains("<w1>"));
        let empty = causes_svg(Lang::En, &RootCauses { week_starts: vec![0], ..Default::default() }, &["x".to_owned()]);
        crate::pages::balanced(&empty).unwrap();
    }

    #[test]
    fn notices_come_only_from_known_codes() {
        assert_eq!(notice_text(Lang::ZhHans, Some("acted"), Some("approve")).as_deref(), Some("已完成：批准并转部门"));
        assert_eq!(notice_text(Lang::ZhHans, Some("acted"), Some("<script>")), None);
        assert_eq!(notice_text(Lang::En, Some("whatever"), None), None);
        assert!(notice_text(Lang::En, Some("opened"), None).is_some());
    }
}
