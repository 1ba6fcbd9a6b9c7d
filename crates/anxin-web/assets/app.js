// Anxin agent workspace: live updates over the WebSocket (resuming from the last event seen after a drop), the
// reply box with a tone check before sending, and keyboard shortcuts. Everything the page does also works without
// this script (actions are forms); this adds live state and speed.
// Text is always inserted with textContent (never innerHTML). The draft is kept in localStorage, so an expired
// session, a reload or a dropped connection loses nothing.
const root = document.querySelector(".workspace");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const current = Number(root?.dataset.conversation || 0);
const meId = Number(root?.dataset.me || 0);
const view = root?.dataset.view ?? "mine";
const texts = JSON.parse(root?.dataset.texts || "{}");
const live = document.getElementById("live");
const messages = document.getElementById("messages");
const rows = document.getElementById("rows");
const typing = document.getElementById("typing");
const filterParams = new URLSearchParams(root?.dataset.filter ?? "");
const ICONS = { anger: "▲", anxiety: "◆", disappointment: "▼", neutral: "●", satisfied: "★" };
const MAX_BYTES = 64 * 1024;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function badge(label, intensity) {
  const key = ICONS[label] ? label : "neutral";
  let text = `${ICONS[key]} ${texts.emotion?.[key] ?? key}`;
  if (intensity !== undefined) text += ` · ${texts.intensity ?? ""} ${Math.round(intensity * 100)}%`;
  return el("span", "badge emo-" + key, text);
}

async function api(method, path, body) {
  const res = await fetch("/api/v1" + path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    // The draft is already in localStorage: sign in again and come back to it.
    location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("signed out");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { data, status: res.status });
  return data;
}

// ----- live updates -----

function appendMessage(m) {
  if (!messages || messages.querySelector(`[data-id="${m.id}"]`)) return;
  const li = el("li", "msg " + m.kind);
  li.dataset.id = m.id;
  li.appendChild(el("div", "bubble", m.text));
  const emotion = m.analysis?.emotion;
  if (emotion?.label) li.appendChild(badge(emotion.label, emotion.intensity));
  messages.appendChild(li);
  messages.scrollTop = messages.scrollHeight;
}

/// Whether a conversation belongs in the list as filtered now (the server applies the same rules on reload).
function matchesView(c) {
  const status = filterParams.get("status") ?? "open";
  if (status !== "any" && c.status !== status) return false;
  const emotion = filterParams.get("emotion");
  if (emotion && c.emotion !== emotion) return false;
  const complaint = filterParams.get("complaint");
  if (complaint && c.complaint_type !== complaint) return false;
  if (filterParams.get("risk") === "high" && !(c.risk >= 0.6)) return false;
  if (view === "mine") return c.assignee_id === meId;
  if (view === "unassigned") return c.assignee_id == null;
  if (view === "team") return null; // team membership is known to the server only
  return true;
}

let staleNotice = null;
function showStale() {
  if (staleNotice || !rows) return;
  staleNotice = el("button", "stale", texts.new_conversations ?? "↻");
  staleNotice.type = "button";
  staleNotice.addEventListener("click", () => location.reload());
  rows.before(staleNotice);
}

function touchRow(c) {
  if (!rows) return;
  let row = rows.querySelector(`.row[data-id="${c.id}"]`);
  const fits = matchesView(c);
  if (fits === false) {
    if (row && c.id !== current) row.remove();
    return;
  }
  if (fits === null && !row) { showStale(); return; }
  if (!row) {
    row = el("li", "row");
    row.dataset.id = c.id;
    const a = el("a");
    a.href = `/inbox?${filterParams}&c=${c.id}`;
    a.append(el("span", "name", c.customer_name), el("span", "badge"), el("span", "preview"), el("span", "meta"));
    row.appendChild(a);
    rows.querySelector(".empty")?.remove();
  }
  const old = row.querySelector(".badge");
  old.replaceWith(badge(c.emotion ?? "neutral"));
  row.querySelector(".preview").textContent = c.preview ?? "";
  const meta = row.querySelector(".meta");
  const percent = Math.round((c.intensity ?? 0) * 100);
  const bar = el("span", "intensity");
  bar.setAttribute("aria-label", `${texts.intensity ?? ""} ${percent}%`);
  const fill = el("span");
  fill.style.width = `${percent}%`;
  bar.appendChild(fill);
  meta.replaceChildren(bar, document.createTextNode(` ${texts.status?.[c.status] ?? c.status} · ${texts.just_now ?? ""} `));
  if (c.risk >= 0.6) meta.appendChild(el("span", "flag risk", `⚠ ${texts.risk ?? ""}`));
  if (c.signals?.length) meta.appendChild(el("span", "flag signals", "⚑"));
  if (c.id !== current) row.classList.add("updated");
  rows.prepend(row);
}

let typingTimer;
function showTyping() {
  if (!typing) return;
  typing.textContent = texts.typing ?? "…";
  typing.hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { typing.hidden = true; }, 4000);
}

let backoff = 500;
let lastEvent = null;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // First connection: from now (the page was just rendered). After a drop: from the last event seen, so the
  // server replays what happened meanwhile and nothing is lost.
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?after=${lastEvent ?? "latest"}`);
  ws.onopen = () => { backoff = 500; if (live) { live.textContent = live.dataset.ok; live.classList.remove("off"); } };
  ws.onmessage = (e) => {
    const f = JSON.parse(e.data);
    if (f.type === "hello") { lastEvent ??= f.last_event_id; return; }
    if (f.type !== "event") return;
    const ev = f.event;
    if (ev.id > 0) lastEvent = Math.max(lastEvent ?? 0, ev.id);
    // Other modules of the page (protection.js) listen without opening a socket of their own.
    document.dispatchEvent(new CustomEvent("anxin:event", { detail: ev }));
    if (ev.kind === "message_created" && ev.conversation_id === current) {
      appendMessage(ev.data.message);
      if (typing) typing.hidden = true;
      if (ev.data.message?.kind === "customer") refreshAssist();
    }
    if (ev.kind === "knowledge_updated") knowledgeNotice(ev.data);
    if (ev.kind === "conversation_created" || ev.kind === "conversation_updated") touchRow(ev.data.conversation);
    if (ev.kind === "typing" && ev.conversation_id === current && ev.data?.side === "customer") showTyping();
    if (ev.kind === "ticket_updated") ticketNotice(ev.data);
  };
  ws.onclose = () => {
    if (live) { live.textContent = live.dataset.off; live.classList.add("off"); }
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };
  socket = ws;
}
let socket = null;
if (root) connect();

// A complaint ticket that now waits for me (the department's outcome is back, the lead returned it) or whose
// clock warned or breached: a notice with a link, so the agent knows without watching the ticket list.
function ticketNotice(data) {
  const t = data?.ticket;
  const box = document.getElementById("ticket-notices");
  if (!t || !box || t.owner_id !== meId) return;
  const fired = data.sla?.fired;
  const key = fired ?? (t.holder === "agent" && ["outcome_ready", "returned_to_agent"].includes(t.state) ? t.state : null);
  if (!key || !texts.ticket_notice?.[key]) return;
  box.querySelector(`[data-ticket="${t.id}"]`)?.remove();
  const p = el("p", `ticket-notice ticket-notice-${key}`);
  p.dataset.ticket = t.id;
  p.append(el("span", null, `${texts.ticket_notice[key]} `));
  const a = el("a", null, `${texts.ticket_notice.open} #${t.id}`);
  a.href = `/tickets/${t.id}`;
  p.append(a);
  box.prepend(p);
}

// An entry I used (a script I sent, an answer I opened) has a new version: say what changed, with a link.
function knowledgeNotice(data) {
  const box = document.getElementById("ticket-notices");
  if (!box || !data?.id) return;
  const key = `${data.id}/${data.lang}`;
  box.querySelector(`[data-entry="${CSS.escape(key)}"]`)?.remove();
  const p = el("p", "ticket-notice knowledge-notice");
  p.dataset.entry = key;
  p.append(el("span", null, `${texts.knowledge_updated ?? ""}：`));
  const a = el("a", null, `「${data.title}」 v${data.version}`);
  a.href = `/knowledge/${encodeURIComponent(data.id)}/${encodeURIComponent(data.lang)}/history`;
  p.append(a);
  if (data.change_note) p.append(el("span", null, ` · ${data.change_note}`));
  box.prepend(p);
}

// The customer sees "read" once the agent has the conversation open (and the page is visible).
let readUpTo = 0;
function markRead() {
  if (!current || !messages || document.hidden) return;
  const ids = [...messages.querySelectorAll(".msg[data-id]")].map((m) => Number(m.dataset.id));
  const last = Math.max(0, ...ids);
  if (last <= readUpTo) return;
  readUpTo = last;
  api("POST", `/conversations/${current}/read`, { message_id: last }).catch(() => { readUpTo = 0; });
}
markRead();
document.addEventListener("visibilitychange", markRead);
if (messages) new MutationObserver(markRead).observe(messages, { childList: true });

// ----- reply with tone check -----
const form = document.getElementById("reply");
const draft = document.getElementById("draft");
const asNote = document.getElementById("as-note");
const tone = document.getElementById("tone");
const status = document.getElementById("reply-status");
const draftKey = "anxin:draft:" + current;
let lastTyping = 0;
if (draft) {
  draft.value = localStorage.getItem(draftKey) ?? "";
  draft.addEventListener("input", () => {
    localStorage.setItem(draftKey, draft.value);
    if (!draft.value.trim()) rememberScript(null); // cleared: what comes next is the agent's own
    if (!tone.hidden) tone.hidden = true; // the warning was about the old text
    const now = Date.now();
    if (!asNote?.checked && socket?.readyState === 1 && now - lastTyping > 2000) {
      lastTyping = now;
      socket.send(JSON.stringify({ type: "typing", conversation_id: current }));
    }
  });
  draft.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === "Escape") draft.blur();
  });
}

function say(text) { if (status) status.textContent = text ?? ""; }

async function send(text, toneOverride) {
  if (new TextEncoder().encode(text).length > MAX_BYTES) { say(texts.too_long); return; }
  const body = { text, kind: asNote?.checked ? "note" : "reply", client_message_id: crypto.randomUUID(), tone_override: toneOverride };
  if (usedScript && body.kind === "reply") body.script = usedScript;
  const data = await api("POST", `/conversations/${current}/messages`, body);
  appendMessage(data.message);
  draft.value = "";
  localStorage.removeItem(draftKey);
  rememberScript(null);
  tone.hidden = true;
  say("");
}

/// The draft with each flagged span marked (spans are character offsets, so split by code points).
function markedDraft(text, problems) {
  const chars = Array.from(text);
  const out = [];
  let at = 0;
  for (const p of [...problems].sort((a, b) => a.span.start - b.span.start)) {
    if (p.span.start < at || p.span.end > chars.length) continue;
    if (p.span.start > at) out.push(document.createTextNode(chars.slice(at, p.span.start).join("")));
    const mark = el("mark", "tone-flag", chars.slice(p.span.start, p.span.end).join(""));
    mark.title = texts.problems?.[p.kind] ?? p.advice ?? p.kind;
    out.push(mark);
    at = p.span.end;
  }
  if (at < chars.length) out.push(document.createTextNode(chars.slice(at).join("")));
  return out;
}

function showTone(check, text) {
  const list = (id, items) => document.getElementById(id).replaceChildren(...items.map((t) => el("li", "", t)));
  document.getElementById("tone-draft").replaceChildren(...markedDraft(text, check.problems));
  list("tone-problems", check.problems.map((p) => `「${p.text}」 ${texts.problems?.[p.kind] ?? p.advice ?? p.kind}`));
  list("tone-missing", (check.missing ?? []).map((m) => texts.missing?.[m] ?? m));
  document.getElementById("tone-suggestion").textContent = check.suggestion ?? "";
  document.getElementById("tone-use").hidden = !check.suggestion;
  tone.dataset.suggestion = check.suggestion ?? "";
  tone.hidden = false;
  (check.suggestion ? document.getElementById("tone-use") : document.getElementById("tone-send")).focus();
}

form?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = draft.value.trim();
  if (!text) return;
  // A script's blank ({date}, {amount}) must never reach the customer.
  const blank = PLACEHOLDER.exec(text);
  if (blank && !asNote?.checked) { say(`${texts.fill_first ?? ""} ${blank[0]}`); selectPlaceholder(); return; }
  try {
    if (!asNote?.checked) {
      say(texts.checking);
      const { tone: check } = await api("POST", `/conversations/${current}/tone-check`, { text });
      say("");
      if (check.problems.length > 0 || check.score < 70) { showTone(check, text); return; }
    }
    await send(text, false);
  } catch (err) {
    say(err.status === 413 ? texts.too_long : `${texts.failed ?? ""} ${err.message}`);
  }
});
document.getElementById("tone-use")?.addEventListener("click", () => {
  draft.value = tone.dataset.suggestion;
  send(draft.value, false).catch((e) => say(`${texts.failed ?? ""} ${e.message}`));
});
document.getElementById("tone-send")?.addEventListener("click", () => {
  send(draft.value.trim(), true).catch((e) => say(`${texts.failed ?? ""} ${e.message}`));
});
document.getElementById("tone-edit")?.addEventListener("click", () => { tone.hidden = true; draft.focus(); });
document.getElementById("script-insert")?.addEventListener("click", () => {
  const script = document.getElementById("script")?.textContent ?? "";
  draft.value = draft.value ? `${draft.value}\n${script}` : script;
  localStorage.setItem(draftKey, draft.value);
  draft.focus();
});

// ----- reply assistant: scripts and answers into the draft -----
const PLACEHOLDER = /\{(customer_name|order_no|date|time|product|amount|agent_name)\}/;
const scriptKey = draftKey + ":script";
let usedScript = JSON.parse(localStorage.getItem(scriptKey) ?? "null");
function rememberScript(script) {
  usedScript = script;
  if (script) localStorage.setItem(scriptKey, JSON.stringify(script)); else localStorage.removeItem(scriptKey);
}
/// Selects the first blank left in the draft, so the agent types over it; false when there is none.
function selectPlaceholder() {
  const m = draft ? PLACEHOLDER.exec(draft.value) : null;
  if (!m) return false;
  draft.focus();
  draft.setSelectionRange(m.index, m.index + m[0].length);
  return true;
}
function recordUse(id, lang) {
  api("POST", `/knowledge/${encodeURIComponent(id)}/${encodeURIComponent(lang)}/use`, { conversation_id: current }).catch(() => {});
}
document.addEventListener("click", async (e) => {
  const button = e.target.closest?.("#assist button[data-kind]");
  if (!button || !draft || !form) return;
  const { kind, id, lang, text } = button.dataset;
  if (kind === "answer") recordUse(id, lang);
  if (asNote) asNote.checked = false;
  if (button.dataset.send) {
    // One click: the answer goes through the same checks as a typed reply.
    draft.value = text;
    rememberScript(null);
    form.requestSubmit();
    return;
  }
  draft.value = draft.value.trim() ? `${draft.value.trimEnd()}\n${text}` : text;
  rememberScript(kind === "script" ? { id, lang } : usedScript);
  localStorage.setItem(draftKey, draft.value);
  tone.hidden = true;
  if (!selectPlaceholder()) draft.focus();
  // What was inserted passes the tone check at once, like anything typed.
  try {
    const { tone: check } = await api("POST", `/conversations/${current}/tone-check`, { text: draft.value });
    if (check.problems.length > 0) showTone(check, draft.value);
  } catch { /* the check runs again on send */ }
});
// Opening an answer to read it counts as using it: the agent hears of its next version.
document.addEventListener("toggle", (e) => {
  const d = e.target;
  if (d instanceof HTMLDetailsElement && d.open && d.matches(".assist-answer")) recordUse(d.dataset.id, d.dataset.lang);
}, true);
/// Fetches the panel again (the customer wrote again): same template, rendered and escaped by the server.
async function refreshAssist() {
  const slot = document.getElementById("assist-slot");
  if (!slot || !current) return;
  const res = await fetch(`/inbox/${current}/assist`).catch(() => null);
  if (!res?.ok) return;
  const panel = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("assist");
  if (panel) slot.replaceChildren(document.importNode(panel, true));
}

// ----- keyboard shortcuts (not while typing in a field) -----
function go(step) {
  const links = [...(rows?.querySelectorAll(".row a") ?? [])];
  if (links.length === 0) return;
  const at = links.findIndex((a) => a.closest(".row").dataset.id === String(current));
  const next = links[Math.min(Math.max(at + step, 0), links.length - 1)];
  if (at === -1) links[0].click(); else next?.click();
}
document.addEventListener("keydown", (e) => {
  const t = e.target;
  if (e.ctrlKey || e.metaKey || e.altKey || t.closest?.("input, textarea, select, [contenteditable]")) return;
  const click = (id) => document.getElementById(id)?.click();
  switch (e.key) {
    case "j": go(1); break;
    case "k": go(-1); break;
    case "r": if (draft) { e.preventDefault(); if (asNote) asNote.checked = false; draft.focus(); } break;
    case "n": if (draft) { e.preventDefault(); if (asNote) asNote.checked = true; draft.focus(); } break;
    case "a": click("act-assign-me"); break;
    case "e": click("act-status"); break;
    case "?": document.getElementById("shortcuts")?.classList.toggle("open"); break;
    default: return;
  }
});
