// Anxin chat widget. Embed with:
//   <script src="https://anxin.example.com/widget.js" data-channel="ch_…" async></script>
// Optional: data-lang="zh-Hans|zh-Hant|en". Messages are rendered as text (never as HTML); every message
// carries a client id, so a retry after a network error never duplicates it; after a reconnect the widget
// resumes from the last event it saw.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.channel) { return; }
  var channel = script.dataset.channel;
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1/widget/" + encodeURIComponent(channel);
  var TEXT = {
    "zh-Hans": { open: "联系客服", title: "在线客服", placeholder: "请输入消息…", send: "发送", retry: "发送失败，点击重试", typing: "客服正在输入…", offline: "连接中断，正在重连…" },
    "zh-Hant": { open: "聯繫客服", title: "線上客服", placeholder: "請輸入訊息…", send: "發送", retry: "發送失敗，點擊重試", typing: "客服正在輸入…", offline: "連線中斷，正在重新連線…" },
    "en": { open: "Chat with us", title: "Customer service", placeholder: "Type a message…", send: "Send", retry: "Not sent. Tap to retry", typing: "Agent is typing…", offline: "Reconnecting…" }
  };
  var lang = script.dataset.lang || (/^zh-(TW|HK|MO|Hant)/i.test(navigator.language) ? "zh-Hant" : /^zh/i.test(navigator.language) ? "zh-Hans" : "en");
  var t = TEXT[lang] || TEXT["zh-Hans"];
  var storeKey = "anxin:" + channel;
  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { saved = {}; }
  var token = saved.token || null;
  var lastEvent = saved.lastEvent || 0;
  var shown = {};
  var ws = null, backoff = 500, pending = {};

  function save() { try { localStorage.setItem(storeKey, JSON.stringify({ token: token, lastEvent: lastEvent })); } catch (e) {} }
  function uid() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)); }
  function el(tag, css, text) { var e = document.createElement(tag); if (css) { e.style.cssText = css; } if (text) { e.textContent = text; } return e; }

  var host = el("div");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var button = el("button", "position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#0f766e;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.2)", t.open);
  button.setAttribute("data-anxin", "open");
  var panel = el("div", "position:fixed;right:20px;bottom:76px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:460px;background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);display:none;flex-direction:column;font:14px system-ui,'PingFang SC','Microsoft YaHei',sans-serif;overflow:hidden");
  panel.setAttribute("data-anxin", "panel");
  var head = el("div", "background:#0f766e;color:#fff;padding:10px 14px;font-weight:600", t.title);
  var list = el("div", "flex:1;overflow-y:auto;padding:10px;background:#f8fafc");
  list.setAttribute("data-anxin", "messages");
  var status = el("div", "font-size:12px;color:#64748b;padding:0 10px;min-height:16px");
  var form = el("form", "display:flex;border-top:1px solid #e2e8f0");
  var input = el("textarea", "flex:1;border:0;padding:10px;resize:none;font:inherit;height:44px;outline:none");
  input.placeholder = t.placeholder; input.maxLength = 4000; input.setAttribute("data-anxin", "input");
  var send = el("button", "border:0;background:#0f766e;color:#fff;padding:0 16px;cursor:pointer", t.send);
  send.type = "submit"; send.setAttribute("data-anxin", "send");
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(list); panel.appendChild(status); panel.appendChild(form);
  root.appendChild(button); root.appendChild(panel);

  function render(message, state) {
    var key = message.client_message_id || ("m" + message.id);
    var row = shown[key] || (message.id && shown["m" + message.id]);
    var mine = message.kind === "customer";
    if (!row) {
      row = el("div", "display:flex;margin:6px 0;justify-content:" + (mine ? "flex-end" : "flex-start"));
      var bubble = el("div", "max-width:78%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-break:break-word;" + (mine ? "background:#0f766e;color:#fff" : "background:#fff;border:1px solid #e2e8f0"));
      bubble.textContent = message.text; // text, never HTML
      row.appendChild(bubble);
      row.setAttribute("data-anxin-kind", message.kind);
      list.appendChild(row);
      list.scrollTop = list.scrollHeight;
    }
    shown[key] = row;
    if (message.id) { shown["m" + message.id] = row; }
    row.style.opacity = state === "sending" ? "0.6" : "1";
    row.title = state === "failed" ? t.retry : "";
    row.onclick = state === "failed" ? function () { deliver(pending[key]); } : null;
    if (state === "failed") { row.firstChild.style.outline = "2px solid #dc2626"; } else { row.firstChild.style.outline = ""; }
  }

  function session() {
    return fetch(api + "/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: token }) })
      .then(function (r) { if (!r.ok) { throw new Error("session " + r.status); } return r.json(); })
      .then(function (s) { if (s.token !== token && saved.token && s.visitor !== saved.visitor) { lastEvent = 0; } token = s.token; saved.visitor = s.visitor; save(); });
  }

  function history() {
    return fetch(api + "/messages", { headers: { authorization: "Bearer " + token } })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (d) { d.messages.forEach(function (m) { render(m, "sent"); }); });
  }

  function connect() {
    var url = base.replace(/^http/, "ws") + "/api/v1/widget/" + encodeURIComponent(channel) + "/ws?token=" + encodeURIComponent(token) + "&after=" + lastEvent;
    ws = new WebSocket(url);
    ws.onopen = function () { backoff = 500; status.textContent = ""; Object.keys(pending).forEach(function (k) { deliver(pending[k]); }); };
    ws.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.type === "event") {
        var ev = f.event;
        if (ev.id) { lastEvent = Math.max(lastEvent, ev.id); save(); }
        if (ev.kind === "message_created") { render(ev.data.message, "sent"); }
        if (ev.kind === "typing") { status.textContent = t.typing; setTimeout(function () { status.textContent = ""; }, 3000); }
      } else if (f.type === "ack") {
        delete pending[f.client_message_id];
        render(Object.assign({ client_message_id: f.client_message_id }, f.message), "sent");
      } else if (f.type === "error" && f.client_message_id && pending[f.client_message_id]) {
        render(pending[f.client_message_id], "failed");
      }
    };
    ws.onclose = function () {
      status.textContent = t.offline;
      setTimeout(function () { session().then(connect, function () { setTimeout(connect, backoff); }); }, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  function deliver(message) {
    render(message, "sending");
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "send", client_message_id: message.client_message_id, text: message.text }));
    } else {
      // Not connected: the same client id goes out over HTTP; a duplicate is answered with the original.
      fetch(api + "/messages", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer " + token }, body: JSON.stringify({ client_message_id: message.client_message_id, text: message.text }) })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (d) { delete pending[message.client_message_id]; render(Object.assign({ client_message_id: message.client_message_id }, d.message), "sent"); })
        .catch(function () { render(message, "failed"); });
    }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    var message = { client_message_id: uid(), text: text, kind: "customer" };
    pending[message.client_message_id] = message;
    deliver(message);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
    else if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "typing" })); }
  });
  var started = false;
  button.addEventListener("click", function () {
    var open = panel.style.display !== "flex";
    panel.style.display = open ? "flex" : "none";
    if (open && !started) { started = true; session().then(history).then(connect); }
  });
  (document.body || document.documentElement).appendChild(host);
})();
