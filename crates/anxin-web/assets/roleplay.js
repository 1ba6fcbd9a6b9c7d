// Anxin role-play practice: sends a reply to the API and appends the scored reply and the customer's reaction
// live. The page works without this script (the reply box is a form that the server answers with the new page);
// this only makes it quicker. Text is always inserted with textContent, never innerHTML. A refused reply stays in
// the box; when another tab replied first the page reloads with the latest conversation (the text kept).
const root = document.getElementById("rp-session");
const form = document.getElementById("rp-form");
const box = document.getElementById("rp-reply");
const send = document.getElementById("rp-send");
const list = document.getElementById("rp-messages");
const problem = document.getElementById("rp-error");
const status = document.getElementById("rp-status");
const texts = JSON.parse(root?.dataset.texts || "{}");
const ICONS = { anger: "▲", anxiety: "◆", disappointment: "▼", neutral: "●", satisfied: "★" };
const OUTCOME_ICONS = { ongoing: "…", resolved: "✓", escalated: "▲", abandoned: "✕" };
const DIMENSIONS = ["acknowledgement", "empathy", "clarity", "solution", "options", "tone", "overall"];
const session = Number(root?.dataset.session || 0);
const keptKey = `anxin.roleplay.${session}.draft`;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function emotionText(label, intensity) {
  const key = ICONS[label] ? label : "neutral";
  return { key, text: `${ICONS[key]} ${texts["emotion." + key] ?? key} · ${texts.intensity ?? ""} ${Math.round(Math.min(1, intensity) * 100)}%` };
}

function showProblem(text) {
  if (!problem) return;
  problem.textContent = text;
  problem.hidden = !text;
}

function appendTurn(turn) {
  const agent = el("li", "msg agent");
  agent.id = `rp-turn-${turn.number}`;
  agent.dataset.turn = turn.number;
  agent.appendChild(el("div", "bubble", turn.reply));
  const scores = el("dl", "rp-scores");
  scores.setAttribute("aria-label", texts.scores ?? "");
  for (const d of DIMENSIONS) {
    const item = el("div", `rp-score sc-${d}`);
    item.appendChild(el("dt", "", texts[`dim.${d}`] ?? d));
    item.appendChild(el("dd", "", String(turn.scores[d])));
    scores.appendChild(item);
  }
  agent.appendChild(scores);
  if (turn.met.length) {
    agent.appendChild(el("p", "rp-met", `✓ ${texts.met ?? ""}：${turn.met.map((n) => texts[`need.${n}`] ?? n).join("、")}`));
  }
  for (const o of turn.offences) {
    agent.appendChild(el("p", "rp-offence", `⚠ ${texts[`offence.${o.offence}`] ?? o.offence}：“${o.text}”`));
  }
  list.appendChild(agent);

  const customer = el("li", "msg customer");
  const bubble = el("div", "bubble", turn.customer);
  bubble.lang = "zh-Hans";
  customer.appendChild(bubble);
  const e = emotionText(turn.emotion, turn.intensity);
  customer.appendChild(el("span", `badge emo-${e.key}`, e.text));
  list.appendChild(customer);
  list.scrollTop = list.scrollHeight;

  const header = document.getElementById("rp-emotion");
  if (header) {
    header.className = `badge emo-${e.key}`;
    header.textContent = e.text;
  }
}

function setTurns(n) {
  root.dataset.turns = String(n);
  for (const id of ["rp-turns", "rp-end-turns"]) {
    const input = document.getElementById(id);
    if (input) input.value = String(n);
  }
  const patience = document.querySelector("#rp-patience b");
  if (patience) patience.textContent = String(Math.max(0, Number(patience.textContent) - 1));
}

function ended(outcome, debriefUrl) {
  root.dataset.outcome = outcome;
  const line = document.getElementById("rp-outcome");
  line.className = `rp-outcome oc-${outcome}`;
  line.dataset.outcome = outcome;
  line.textContent = "";
  line.appendChild(document.createTextNode(`${OUTCOME_ICONS[outcome] ?? ""} `));
  line.appendChild(el("b", "", texts[`outcome.${outcome}`] ?? outcome));
  line.appendChild(document.createTextNode(` · ${texts[`outcome.said.${outcome}`] ?? ""} `));
  const link = el("a", "rp-button", `${texts.view_debrief ?? "Debrief"} →`);
  link.href = debriefUrl;
  link.id = "rp-debrief-link";
  line.appendChild(link);
  line.hidden = false;
  form?.remove();
  document.getElementById("rp-end-form")?.remove();
  link.focus();
}

async function submit(event) {
  event.preventDefault();
  const text = box.value;
  if (!text.trim()) {
    showProblem(texts["error.empty"] ?? "");
    box.focus();
    return;
  }
  send.disabled = true;
  status.textContent = texts.sending ?? "…";
  showProblem("");
  let response;
  try {
    response = await fetch(`/api/v1/roleplay/sessions/${session}/replies`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": root.dataset.csrf },
      body: JSON.stringify({ text, expected_turns: Number(root.dataset.turns) }),
    });
  } catch {
    response = null;
  }
  send.disabled = false;
  status.textContent = "";
  if (!response) {
    showProblem(texts["error.failed"] ?? "");
    return;
  }
  if (response.status === 401) {
    localStorage.setItem(keptKey, text);
    location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname);
    return;
  }
  const data = await response.json().catch(() => ({}));
  if (response.ok) {
    box.value = "";
    localStorage.removeItem(keptKey);
    appendTurn(data.turn);
    setTurns(data.session.turns);
    if (data.session.outcome !== "ongoing") ended(data.session.outcome, data.debrief_url);
    else box.focus();
    return;
  }
  const code = data.error?.code;
  if (code === "roleplay_changed") {
    // Another tab replied first: show the latest conversation, keeping what was typed.
    localStorage.setItem(keptKey, text);
    sessionStorage.setItem(`${keptKey}.changed`, "1");
    location.reload();
    return;
  }
  const reason = data.error?.details?.reason;
  const key = code === "roleplay_finished" ? "error.finished"
    : code === "roleplay_scenario_changed" ? "error.scenario_changed"
    : reason === "too_long" ? "error.too_long"
    : reason === "empty" ? "error.empty"
    : "error.failed";
  showProblem(texts[key] ?? data.error?.message ?? "");
}

if (root && form && box) {
  const kept = localStorage.getItem(keptKey);
  if (kept && !box.value) box.value = kept;
  if (sessionStorage.getItem(`${keptKey}.changed`)) {
    sessionStorage.removeItem(`${keptKey}.changed`);
    showProblem(texts["error.changed"] ?? "");
  }
  box.addEventListener("input", () => localStorage.setItem(keptKey, box.value));
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", submit);
  list.scrollTop = list.scrollHeight;
} else if (root) {
  localStorage.removeItem(keptKey);
}
