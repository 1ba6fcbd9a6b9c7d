// Anxin agent workspace: live updates over the WebSocket, and replies with a tone check before sending.
// Text is always inserted with textContent (never innerHTML). The draft is kept in localStorage, so an expired
// session or a reload loses nothing.
const root = document.querySelector(".workspace");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const current = Number(root?.dataset.conversation || 0);
const live = document.getElementById("live");
const messages = document.getElementById("messages");
const rows = document.getElementById("rows");

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function api(method, path, body) {
  const res = await fetch("/api/v1" + path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("signed out");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { data, status: res.status });
  return data;
}

function appendMessage(m) {
  if (!messages || messages.querySelector(`[data-id="${m.id}"]`)) return;
  const li = el("li", "msg " + m.kind);
  li.dataset.id = m.id;
  li.appendChild(el("div", "bubble", m.text));
  const label = m.analysis?.emotion?.label;
  if (label) {
    const badge = el("span", "badge emo-" + label, label);
    li.appendChild(badge);
  }
  messages.appendChild(li);
  messages.scrollTop = messages.scrollHeight;
}

function touchRow(conversation) {
  if (!rows) return;
  let row = rows.querySelector(`[data-id="${conversation.id}"]`);
  if (!row) {
    row = el("li", "row");
    row.dataset.id = conversation.id;
    const a = el("a");
    a.href = "/inbox?view=all&c=" + conversation.id;
    a.append(el("span", "name", conversation.customer_name), el("span", "badge emo-" + (conversation.emotion ?? "neutral"), conversation.emotion ?? ""), el("span", "preview", conversation.preview ?? ""), el("span", "meta", conversation.status));
    row.appendChild(a);
    rows.querySelector(".empty")?.remove();
  } else {
    const preview = row.querySelector(".preview");
    if (preview) preview.textContent = conversation.preview ?? "";
  }
  if (conversation.id !== current) row.classList.add("updated");
  rows.prepend(row);
}

let backoff = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?after=latest`);
  ws.onopen = () => { backoff = 500; if (live) { live.textContent = live.dataset.ok; live.classList.remove("off"); } };
  ws.onmessage = (e) => {
    const f = JSON.parse(e.data);
    if (f.type !== "event") return;
    const ev = f.event;
    if (ev.kind === "message_created" && ev.conversation_id === current) appendMessage(ev.data.message);
    if (ev.kind === "conversation_created" || ev.kind === "conversation_updated") touchRow(ev.data.conversation);
  };
  ws.onclose = () => {
    if (live) { live.textContent = live.dataset.off; live.classList.add("off"); }
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };
}
if (root) connect();

// ----- reply with tone check -----
const form = document.getElementById("reply");
const draft = document.getElementById("draft");
const asNote = document.getElementById("as-note");
const tone = document.getElementById("tone");
const draftKey = "anxin:draft:" + current;
if (draft) {
  draft.value = localStorage.getItem(draftKey) ?? "";
  draft.addEventListener("input", () => localStorage.setItem(draftKey, draft.value));
  draft.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit(); });
}

async function send(text, overrideTone) {
  const body = { text, kind: asNote?.checked ? "note" : "reply", client_message_id: crypto.randomUUID() };
  const data = await api("POST", `/conversations/${current}/messages`, body);
  appendMessage(data.message);
  draft.value = "";
  localStorage.removeItem(draftKey);
  tone.hidden = true;
  return overrideTone;
}

function showTone(check) {
  const list = (id, items) => {
    const ul = document.getElementById(id);
    ul.replaceChildren(...items.map((t) => el("li", "", t)));
  };
  const missingText = JSON.parse(root.dataset.missing || "{}");
  list("tone-problems", check.problems.map((p) => `「${p.text}」 ${p.advice ?? p.kind}`));
  list("tone-missing", (check.missing ?? []).map((m) => missingText[m] ?? m));
  document.getElementById("tone-suggestion").textContent = check.suggestion ?? "";
  document.getElementById("tone-use").hidden = !check.suggestion;
  tone.hidden = false;
  tone.dataset.suggestion = check.suggestion ?? "";
}

form?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = draft.value.trim();
  if (!text) return;
  try {
    if (!asNote?.checked) {
      const { tone: check } = await api("POST", `/conversations/${current}/tone-check`, { text });
      if (check.problems.length > 0 || check.score < 70) { showTone(check); return; }
    }
    await send(text, false);
  } catch (err) {
    alert(err.message);
  }
});
document.getElementById("tone-use")?.addEventListener("click", () => { draft.value = tone.dataset.suggestion; send(draft.value, false).catch((e) => alert(e.message)); });
document.getElementById("tone-send")?.addEventListener("click", () => { send(draft.value.trim(), true).catch((e) => alert(e.message)); });
document.getElementById("tone-edit")?.addEventListener("click", () => { tone.hidden = true; draft.focus(); });
