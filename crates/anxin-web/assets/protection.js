// Anxin agent workspace: the cool-down after a hostile conversation. While it lasts no new conversation is
// assigned; the page shows the time left, a breathing exercise (in 4 s, hold 4 s, out 6 s) and a reframing
// prompt from the training decks (客户投诉我 → 客户需要帮助). It follows the server: the state is read once, then
// every `protection_changed` event for this person (app.js forwards the socket's events) updates it.
const root = document.querySelector(".workspace");
const texts = JSON.parse(root?.dataset.texts || "{}").protection ?? {};
const meId = Number(root?.dataset.me || 0);
const BREATH = [["breath.in", 4], ["breath.hold", 4], ["breath.out", 6]];
const CYCLE = BREATH.reduce((sum, [, s]) => sum + s, 0);
let banner = null;
let timer = null;
let until = 0;
let skew = 0; // server clock − browser clock, in ms

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function build() {
  banner = el("section", "cooldown");
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  banner.id = "cooldown";
  const prompts = Object.keys(texts).filter((k) => k.startsWith("reframe.") && k !== "reframe.title");
  const prompt = prompts[Math.floor(Math.random() * prompts.length)];
  banner.append(
    el("h2", null, texts["cooldown.title"] ?? "☕"),
    el("p", null, texts["cooldown.body"] ?? ""),
    el("p", "cd-time", ""),
    el("div", "breath", ""),
    el("p", "breath-text", ""),
    el("p", "reframe", `${texts["reframe.title"] ?? ""}：${prompt ? texts[prompt] : ""}`),
  );
  document.querySelector(".workspace")?.prepend(banner);
}

function now() {
  return Date.now() + skew;
}

function tick() {
  const left = until - now();
  if (left <= 0) {
    clearInterval(timer);
    timer = null;
    if (banner && !banner.hidden) {
      banner.querySelector(".cd-time").textContent = texts["cooldown.over"] ?? "";
      banner.classList.add("over");
      setTimeout(() => { if (until <= now() && banner) banner.hidden = true; }, 5000);
    }
    return;
  }
  const secs = Math.ceil(left / 1000);
  const mmss = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
  banner.querySelector(".cd-time").textContent = `${texts["cooldown.left"] ?? ""} ${mmss}`;
  banner.dataset.left = String(secs);
  let t = Math.floor(now() / 1000) % CYCLE;
  for (const [key, length] of BREATH) {
    if (t < length) {
      banner.querySelector(".breath-text").textContent = texts[key] ?? "";
      banner.querySelector(".breath").dataset.phase = key.slice(7);
      break;
    }
    t -= length;
  }
}

function update(cooldownUntil) {
  until = Number(cooldownUntil) || 0;
  if (until > now()) {
    if (!banner) build();
    banner.hidden = false;
    banner.classList.remove("over");
    tick();
    timer ??= setInterval(tick, 1000);
  } else if (banner && !banner.hidden) {
    tick();
  }
}

async function load() {
  try {
    const response = await fetch("/api/v1/me/protection", { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    skew = (body.now ?? Date.now()) - Date.now();
    update(body.protection?.cooldown_until);
  } catch {
    // Offline: the next event or page load shows the state.
  }
}

if (root && meId) {
  document.addEventListener("anxin:event", (e) => {
    const ev = e.detail;
    if (ev.kind === "protection_changed" && ev.data?.user_id === meId) update(ev.data.cooldown_until);
  });
  load();
}

// Shift start: if I have not checked in for 12 hours, or my self-test is due, a quiet prompt links to my wellbeing
// page. "Later" hides it for this browser session. Nothing here is shown to anyone else.
const NUDGE_KEY = "anxin.nudge.later";
const CHECKIN_GAP_MS = 12 * 3600 * 1000;

function nudge(kind, text) {
  if (sessionStorage.getItem(`${NUDGE_KEY}.${kind}`)) return;
  const box = el("aside", "nudge");
  box.dataset.nudge = kind;
  const link = el("a", "button", texts["nudge.go"] ?? "→");
  link.href = kind === "checkin" ? "/me/wellbeing#checkin" : "/me/wellbeing#selftest";
  const later = el("button", "secondary", texts["nudge.later"] ?? "×");
  later.type = "button";
  later.addEventListener("click", () => { sessionStorage.setItem(`${NUDGE_KEY}.${kind}`, "1"); box.remove(); });
  box.append(el("span", null, text), link, later);
  document.querySelector(".workspace")?.prepend(box);
}

async function nudges() {
  try {
    const [checkins, selftests] = await Promise.all([
      fetch("/api/v1/me/wellbeing/checkins?limit=1", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)),
      fetch("/api/v1/me/wellbeing/selftests?limit=1", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)),
    ]);
    const last = checkins?.checkins?.[0]?.created_at ?? 0;
    if (checkins && now() - last > CHECKIN_GAP_MS) nudge("checkin", texts["nudge.checkin"] ?? "");
    if (selftests?.due) nudge("selftest", texts["nudge.selftest"] ?? "");
  } catch {
    // Offline: no prompt this time.
  }
}

if (root && meId) nudges();
