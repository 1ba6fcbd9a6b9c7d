// Anxin supervisor board: keeps the live part of /board fresh. Any event on the staff stream asks for a refresh
// (at most one every 2 s), and the board also refreshes every 15 s without events; the connection state is shown.
// The fragment comes from our own server, already escaped; it replaces the old one as parsed nodes.
const live = document.getElementById("board-live");
const conn = document.getElementById("board-conn");
const updated = document.getElementById("board-updated");
const lang = document.querySelector(".board")?.dataset.lang ?? "zh-Hans";
const MIN_GAP_MS = 2000;
const EVERY_MS = 15000;

let lastRefresh = 0;
let timer = null;
let inFlight = false;

function setConnection(ok) {
  if (!conn) return;
  conn.textContent = ok ? conn.dataset.ok : conn.dataset.off;
  conn.classList.toggle("ok", ok);
  conn.classList.toggle("off", !ok);
}

async function refresh() {
  if (inFlight) { schedule(); return; }
  inFlight = true;
  lastRefresh = Date.now();
  try {
    const res = await fetch(`/board/live?lang=${encodeURIComponent(lang)}`, { headers: { accept: "text/html" }, credentials: "same-origin" });
    if (res.status === 401) { location.href = "/login?expired=1&next=%2Fboard"; return; }
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(`<div id="board-live">${await res.text()}</div>`, "text/html");
    const fresh = doc.getElementById("board-live");
    if (!fresh) return;
    // Keep keyboard focus on the same link or control across the swap.
    const focused = live.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
    live.replaceChildren(...Array.from(fresh.childNodes).map((n) => document.importNode(n, true)));
    if (focused) live.querySelector(`[href="${CSS.escape(focused)}"]`)?.focus();
    if (updated) updated.textContent = new Date().toLocaleTimeString(lang);
  } catch (e) {
    // Offline for a moment: the next event or tick tries again.
  } finally {
    inFlight = false;
  }
}

// Throttled: a burst of events becomes one refresh now and one at the end of the gap.
function schedule() {
  if (timer) return;
  const wait = Math.max(0, lastRefresh + MIN_GAP_MS - Date.now());
  timer = setTimeout(() => { timer = null; refresh(); }, wait);
}

let backoff = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?after=latest`);
  ws.onopen = () => { backoff = 500; setConnection(true); schedule(); };
  ws.onmessage = (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    if (frame.type === "event" && frame.event?.kind !== "typing") schedule();
  };
  ws.onclose = () => {
    setConnection(false);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };
}

if (live) {
  if (updated) updated.textContent = new Date().toLocaleTimeString(lang);
  connect();
  setInterval(schedule, EVERY_MS);
}
