// Anxin chat widget. Embed with:
//   <script src="https://anxin.example.com/widget.js" data-channel="ch_…" async></script>
// Optional: data-lang="zh-Hans|zh-Hant|en" (otherwise the browser's language; Simplified Chinese by default).
//
// How it keeps the conversation whole:
// - Every text is inserted with textContent, never as HTML; bubbles isolate bidirectional text, so markup,
//   right-to-left overrides and zero-width characters in a message stay inside it, shown as text.
// - Every message gets a client id before it is sent; until the server acknowledges it (after the commit) it stays
//   in `pending` (also in localStorage, with the unsent draft) and is sent again after a reconnect or a reload.
//   The server answers a repeated client id with the original message, so a retry never duplicates.
// - The socket resumes with `?after=<last event id>`: after a reconnect it gets exactly the events it missed.
//   Messages are shown once per server id.
// - Remedies put to the customer (`remedies_offered`) are cards of buttons (`.anxin-offer[data-ticket-id]`,
//   `.anxin-remedy[data-remedy-id]`); a click chooses one (`POST …/remedies/{id}/choose`), and the card then confirms
//   the choice (`.anxin-remedy-chosen`, also on `remedy_chosen`). A rating request (`csat_requested`) shows 1–5 stars
//   (`.anxin-csat button[data-rating]`), an optional comment (`#anxin-csat-comment`) and `#anxin-csat-send`
//   (`POST …/csat`), then thanks. After a reload both come back from `GET …/feedback`; events replay idempotently.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.channel || window.__anxinWidget) { return; }
  window.__anxinWidget = true;
  var channel = script.dataset.channel;
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1/widget/" + encodeURIComponent(channel);

  var TEXT = {
    "zh-Hans": {
      open: "联系客服", close: "关闭", title: "在线客服", hello: "您好！请问有什么可以帮您？",
      placeholder: "输入消息，Enter 发送", send: "发送",
      sending: "发送中…", failed: "发送失败，点击重试", waiting: "等待网络恢复后自动发送",
      typing: "客服正在输入…", online: "在线", connecting: "连接中…", offline: "连接中断，正在重连…",
      tooLong: "消息太长（{size}），最多 {max}。请删减后再发送，已为您保留草稿。",
      rejected: "消息未能发送：{reason}", slow: "发送太频繁，稍后自动重试",
      rateTitle: "本次服务您满意吗？", rateThanks: "感谢您的评价！", star: "{n} 星", unread: "条新消息",
      rateComment: "还有什么想告诉我们的吗？（选填）", rateSend: "提交评价", rateFailed: "评价未能提交，请稍后重试",
      remediesTitle: "请选择您希望的解决方案", remedyChosen: "您已选择：{remedy}。我们会尽快为您处理。",
      remedyFailed: "未能提交您的选择，请稍后重试", remedyGone: "该方案已不再提供，请选择其他方案",
      kinds: { refund: "退款", partial_refund: "部分退款 {amount}", replacement: "换货", reshipment: "补发",
        coupon: "优惠券 {amount}", compensation: "补偿 {amount}", repair: "维修" }
    },
    "zh-Hant": {
      open: "聯繫客服", close: "關閉", title: "線上客服", hello: "您好！請問有什麼可以幫您？",
      placeholder: "輸入訊息，Enter 發送", send: "發送",
      sending: "發送中…", failed: "發送失敗，點擊重試", waiting: "等待網路恢復後自動發送",
      typing: "客服正在輸入…", online: "線上", connecting: "連線中…", offline: "連線中斷，正在重新連線…",
      tooLong: "訊息太長（{size}），最多 {max}。請刪減後再發送，已為您保留草稿。",
      rejected: "訊息未能發送：{reason}", slow: "發送太頻繁，稍後自動重試",
      rateTitle: "本次服務您滿意嗎？", rateThanks: "感謝您的評價！", star: "{n} 星", unread: "則新訊息",
      rateComment: "還有什麼想告訴我們的嗎？（選填）", rateSend: "提交評價", rateFailed: "評價未能提交，請稍後重試",
      remediesTitle: "請選擇您希望的解決方案", remedyChosen: "您已選擇：{remedy}。我們會盡快為您處理。",
      remedyFailed: "未能提交您的選擇，請稍後重試", remedyGone: "該方案已不再提供，請選擇其他方案",
      kinds: { refund: "退款", partial_refund: "部分退款 {amount}", replacement: "換貨", reshipment: "補發",
        coupon: "優惠券 {amount}", compensation: "補償 {amount}", repair: "維修" }
    },
    "en": {
      open: "Chat with us", close: "Close", title: "Customer service", hello: "Hello! How can we help you?",
      placeholder: "Type a message…", send: "Send",
      sending: "Sending…", failed: "Not sent. Tap to retry", waiting: "Will be sent when the connection is back",
      typing: "An agent is typing…", online: "Online", connecting: "Connecting…", offline: "Disconnected, reconnecting…",
      tooLong: "This message is too long ({size}; the limit is {max}). Please shorten it; your draft is kept.",
      rejected: "Not sent: {reason}", slow: "Sending too fast; will retry shortly",
      rateTitle: "How was our service?", rateThanks: "Thank you for your rating!", star: "{n} stars", unread: "new messages",
      rateComment: "Anything else you would like to tell us? (optional)", rateSend: "Send rating",
      rateFailed: "Your rating could not be sent; please try again", remediesTitle: "Please choose the solution you prefer",
      remedyChosen: "You chose: {remedy}. We will take care of it right away.",
      remedyFailed: "Your choice could not be sent; please try again", remedyGone: "This option is no longer offered; please choose another",
      kinds: { refund: "Refund", partial_refund: "Partial refund {amount}", replacement: "Replacement", reshipment: "Reshipment",
        coupon: "Coupon {amount}", compensation: "Compensation {amount}", repair: "Repair" }
    }
  };
  function pickLang(tag) {
    tag = String(tag || "").toLowerCase();
    if (/^zh[-_](tw|hk|mo|hant)/.test(tag)) { return "zh-Hant"; }
    if (/^zh/.test(tag)) { return "zh-Hans"; }
    if (/^en/.test(tag)) { return "en"; }
    return null;
  }
  var lang = (TEXT[script.dataset.lang] && script.dataset.lang) || pickLang(script.dataset.lang) || pickLang(navigator.language) || "zh-Hans";
  var t = TEXT[lang];
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }

  // ----- saved state (per channel, per page origin) -----
  var storeKey = "anxin:" + channel;
  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { saved = {}; }
  var token = saved.token || null;
  var lastEvent = saved.lastEvent || 0;
  var pending = {}; // client id → {client_message_id, text, kind, row}
  (saved.pending || []).forEach(function (m) { pending[m.client_message_id] = { client_message_id: m.client_message_id, text: m.text, kind: "customer" }; });
  var maxBytes = saved.maxBytes || 65536;
  function save() {
    var list = Object.keys(pending).map(function (k) { return { client_message_id: k, text: pending[k].text }; });
    try {
      localStorage.setItem(storeKey, JSON.stringify({ token: token, visitor: saved.visitor, lastEvent: lastEvent, pending: list, draft: input ? input.value : "", maxBytes: maxBytes }));
    } catch (e) { /* private mode or full: the widget still works for this page */ }
  }
  function uid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function kb(bytes) { return bytes >= 1024 ? (Math.ceil(bytes / 102.4) / 10) + " KB" : bytes + " B"; }
  var encoder = window.TextEncoder ? new TextEncoder() : null;
  function utf8Bytes(text) { return encoder ? encoder.encode(text).length : unescape(encodeURIComponent(text)).length; }

  // ----- the interface (in a shadow root, so the shop's styles and ours never mix) -----
  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".ax{font:14px/1.5 system-ui,-apple-system,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1f2937}",
    ".ax-open{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;background:#0f766e;color:#fff;border:0;border-radius:999px;padding:12px 18px;font:inherit;font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 6px 20px rgba(15,118,110,.35)}",
    ".ax-open:hover{background:#115e59}",
    ".ax-open:focus-visible,.ax button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".ax-open svg{width:20px;height:20px;fill:currentColor}",
    ".ax-unread{background:#dc2626;color:#fff;border-radius:999px;font-size:12px;min-width:20px;height:20px;line-height:20px;padding:0 6px;text-align:center}",
    ".ax-unread[hidden]{display:none}",
    ".ax-panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(15,23,42,.28);display:flex;flex-direction:column;overflow:hidden}",
    ".ax-panel[hidden]{display:none}",
    ".ax-head{display:flex;align-items:center;gap:10px;background:#0f766e;color:#fff;padding:12px 14px}",
    ".ax-title{font-weight:600;font-size:15px;flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".ax-conn{display:flex;align-items:center;gap:6px;font-size:12px;opacity:.95}",
    ".ax-conn::before{content:'';width:8px;height:8px;border-radius:50%;background:#fbbf24}",
    ".ax-conn[data-state=online]::before{background:#4ade80}",
    ".ax-conn[data-state=offline]::before{background:#f87171}",
    ".ax-close{background:transparent;border:0;color:#fff;font-size:20px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:6px}",
    ".ax-list{flex:1;overflow-y:auto;padding:12px;background:#f1f5f9;display:flex;flex-direction:column;gap:8px}",
    ".ax-hello{align-self:center;color:#64748b;font-size:13px;padding:4px 0 8px}",
    ".ax-row{display:flex;flex-direction:column;max-width:82%}",
    ".ax-row.mine{align-self:flex-end;align-items:flex-end}",
    ".ax-row.theirs{align-self:flex-start;align-items:flex-start}",
    ".ax-bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;unicode-bidi:isolate;text-align:start}",
    ".mine .ax-bubble{background:#0f766e;color:#fff;border-bottom-right-radius:4px}",
    ".theirs .ax-bubble{background:#fff;color:#1f2937;border:1px solid #e2e8f0;border-bottom-left-radius:4px}",
    ".system .ax-bubble{background:transparent;color:#64748b;font-size:12px;border:0}",
    ".ax-row.sending .ax-bubble{opacity:.65}",
    ".ax-row.failed .ax-bubble{background:#fee2e2;color:#7f1d1d;outline:1px solid #dc2626}",
    ".ax-note{font-size:11px;color:#64748b;margin-top:2px}",
    ".ax-row.failed .ax-note{color:#b91c1c;cursor:pointer;text-decoration:underline}",
    ".ax-typing{font-size:12px;color:#0f766e;padding:2px 12px;min-height:20px;background:#f1f5f9}",
    ".ax-error{font-size:13px;color:#991b1b;background:#fef2f2;border-top:1px solid #fecaca;padding:8px 12px}",
    ".ax-error[hidden],.ax-rating[hidden],.ax-typing:empty{display:none}",
    ".ax-rating{background:#fff;border-top:1px solid #e2e8f0;padding:10px 12px;text-align:center}",
    ".ax-rating p{margin:0 0 4px;font-weight:600}",
    ".ax-stars{display:inline-flex;gap:2px}",
    ".ax-star{background:none;border:0;font-size:26px;line-height:1;color:#cbd5e1;cursor:pointer;padding:2px 4px;border-radius:6px}",
    ".ax-star[aria-pressed=true]{color:#f59e0b}",
    ".ax-star:disabled{cursor:default}",
    ".ax-csat-more{display:flex;flex-direction:column;gap:6px;margin-top:6px}",
    ".ax-csat-more[hidden],.ax-csat-note:empty{display:none}",
    ".ax-csat-comment{border:1px solid #cbd5e1;border-radius:10px;padding:6px 10px;font:inherit;resize:none;height:52px;color:#1f2937;background:#fff}",
    ".ax-csat-comment:focus{outline:none;border-color:#0f766e;box-shadow:0 0 0 3px rgba(15,118,110,.18)}",
    ".ax-csat-send{align-self:center;border:0;border-radius:10px;background:#0f766e;color:#fff;padding:6px 16px;font:inherit;font-weight:600;cursor:pointer}",
    ".ax-csat-send:disabled{opacity:.6;cursor:default}",
    ".ax-csat-note{font-size:12px;color:#b91c1c;margin-top:4px}",
    ".ax-offer{align-self:stretch;background:#fff;border:1px solid #99f6e4;border-radius:12px;padding:10px 12px}",
    ".ax-offer-title{margin:0 0 4px;font-weight:600}",
    ".anxin-remedy{display:block;width:100%;text-align:start;margin-top:6px;border:1px solid #0f766e;border-radius:10px;background:#f0fdfa;color:#115e59;padding:8px 12px;font:inherit;cursor:pointer}",
    ".anxin-remedy:hover{background:#ccfbf1}",
    ".anxin-remedy:disabled{opacity:.6;cursor:default}",
    ".anxin-remedy small{display:block;color:#475569;font-size:12px;overflow-wrap:anywhere}",
    ".ax-offer-status{font-size:13px;margin-top:6px;color:#0f766e}",
    ".ax-offer-status:empty{display:none}",
    ".ax-offer-status.failed{color:#b91c1c}",
    ".ax-form{display:flex;align-items:flex-end;gap:8px;border-top:1px solid #e2e8f0;padding:8px;background:#fff}",
    ".ax-input{flex:1;border:1px solid #cbd5e1;border-radius:10px;padding:10px;resize:none;font:inherit;line-height:22px;height:44px;max-height:120px;overflow-y:auto;outline:none;color:#1f2937;background:#fff}",
    ".ax-input:focus{border-color:#0f766e;box-shadow:0 0 0 3px rgba(15,118,110,.18)}",
    ".ax-send{border:0;border-radius:10px;background:#0f766e;color:#fff;padding:0 16px;height:44px;font:inherit;font-weight:600;cursor:pointer}",
    ".ax-send:hover{background:#115e59}",
    "@media (max-width:480px){.ax-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}.ax-open{right:14px;bottom:14px}.ax.open .ax-open{display:none}}",
    "@media (prefers-reduced-motion:no-preference){.ax-panel{animation:ax-in .16s ease-out}@keyframes ax-in{from{transform:translateY(8px);opacity:0}to{transform:none;opacity:1}}}"
  ].join("\n");

  // A speech bubble, drawn (no emoji or icon font needed).
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill-rule", "evenodd");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
    svg.appendChild(path);
    return svg;
  }

  var host = el("div");
  host.id = "anxin-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style", null, CSS);
  var shell = el("div", "ax");
  shell.setAttribute("lang", lang);

  var button = el("button", "ax-open");
  button.type = "button";
  button.setAttribute("data-anxin", "open");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "ax-panel");
  var unread = el("span", "ax-unread", "0");
  unread.hidden = true;
  unread.setAttribute("data-anxin", "unread");
  button.appendChild(icon());
  button.appendChild(el("span", null, t.open));
  button.appendChild(unread);

  var panel = el("div", "ax-panel");
  panel.id = "ax-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t.title);
  panel.setAttribute("data-anxin", "panel");
  var head = el("div", "ax-head");
  var title = el("div", "ax-title", t.title);
  var conn = el("div", "ax-conn", t.connecting);
  conn.setAttribute("data-anxin", "state");
  conn.setAttribute("data-state", "connecting");
  conn.setAttribute("role", "status");
  var close = el("button", "ax-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", t.close);
  head.appendChild(title); head.appendChild(conn); head.appendChild(close);
  var list = el("div", "ax-list");
  list.setAttribute("data-anxin", "messages");
  list.setAttribute("role", "log");
  list.setAttribute("aria-live", "polite");
  list.appendChild(el("div", "ax-hello", t.hello));
  var typing = el("div", "ax-typing");
  typing.setAttribute("data-anxin", "typing");
  typing.setAttribute("aria-live", "polite");
  var error = el("div", "ax-error");
  error.hidden = true;
  error.setAttribute("role", "alert");
  error.setAttribute("data-anxin", "error");

  // Satisfaction survey (CSAT), shown when the server asks for a rating (`csat_requested`, e.g. once the
  // conversation is resolved): 1–5 stars, an optional comment, sent once; then thanks.
  var rating = el("div", "ax-rating anxin-csat");
  rating.hidden = true;
  rating.setAttribute("data-anxin", "rating");
  rating.setAttribute("role", "group");
  rating.setAttribute("aria-labelledby", "anxin-csat-title");
  var ratingTitle = el("p", null, t.rateTitle);
  ratingTitle.id = "anxin-csat-title";
  var stars = el("div", "ax-stars");
  stars.setAttribute("role", "group");
  stars.setAttribute("aria-label", t.rateTitle);
  var starButtons = [];
  for (var n = 1; n <= 5; n++) {
    var star = el("button", "ax-star", "★");
    star.type = "button";
    star.setAttribute("aria-label", fill(t.star, { n: n }));
    star.setAttribute("aria-pressed", "false");
    star.setAttribute("data-stars", String(n));
    star.setAttribute("data-rating", String(n));
    star.addEventListener("click", pickStars.bind(null, n));
    starButtons.push(star);
    stars.appendChild(star);
  }
  var ratingMore = el("div", "ax-csat-more");
  ratingMore.hidden = true;
  var ratingComment = el("textarea", "ax-csat-comment");
  ratingComment.id = "anxin-csat-comment";
  ratingComment.maxLength = 1000;
  ratingComment.placeholder = t.rateComment;
  ratingComment.setAttribute("aria-label", t.rateComment);
  var ratingSend = el("button", "ax-csat-send", t.rateSend);
  ratingSend.type = "button";
  ratingSend.id = "anxin-csat-send";
  ratingSend.disabled = true;
  ratingSend.addEventListener("click", function () { sendRating(); });
  ratingMore.appendChild(ratingComment); ratingMore.appendChild(ratingSend);
  var ratingNote = el("div", "ax-csat-note");
  ratingNote.setAttribute("role", "status");
  rating.appendChild(ratingTitle); rating.appendChild(stars); rating.appendChild(ratingMore); rating.appendChild(ratingNote);

  var form = el("form", "ax-form");
  var input = el("textarea", "ax-input");
  input.placeholder = t.placeholder;
  input.rows = 1;
  input.setAttribute("aria-label", t.placeholder);
  input.setAttribute("data-anxin", "input");
  input.value = saved.draft || "";
  var send = el("button", "ax-send", t.send);
  send.type = "submit";
  send.setAttribute("data-anxin", "send");
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(list); panel.appendChild(typing); panel.appendChild(rating);
  panel.appendChild(error); panel.appendChild(form);
  shell.appendChild(button); shell.appendChild(panel);
  root.appendChild(style); root.appendChild(shell);

  // ----- messages -----
  var byId = {};      // server message id → row
  var deferred = {};  // customer messages that may be ours, seen before the ack: held until the ack comes
  var conversation = null;
  var unreadCount = 0;

  function nearBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }
  function row(message) {
    var mine = message.kind === "customer";
    var r = el("div", "ax-row " + (mine ? "mine" : message.kind === "system" ? "system" : "theirs"));
    r.setAttribute("data-anxin-kind", message.kind);
    var bubble = el("div", "ax-bubble", message.text); // text, never HTML
    bubble.setAttribute("dir", "auto");
    r.appendChild(bubble);
    r.appendChild(el("div", "ax-note"));
    return r;
  }
  function clock(ms) {
    if (!ms) { return ""; }
    try { return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }); } catch (e) { return ""; }
  }
  function setRowState(r, state, note) {
    r.classList.remove("sending", "failed");
    if (state) { r.classList.add(state); }
    r.lastChild.textContent = note || "";
  }
  // Stored messages go before our messages still waiting for their ack, which stay at the end.
  function append(r) {
    var stick = nearBottom();
    var waiting = r.hasAttribute("data-id") ? list.querySelector(".ax-row[data-client-id]:not([data-id])") : null;
    list.insertBefore(r, waiting);
    if (stick || r.classList.contains("mine")) { list.scrollTop = list.scrollHeight; }
  }
  function awaited(text) { return Object.keys(pending).some(function (k) { return pending[k].text === text; }); }

  // A stored message (history or event), shown once per id.
  function show(message) {
    if (!message || !message.id || byId[message.id]) { return; }
    // Possibly one of ours whose ack is on its way: wait for it, so the message keeps its place.
    if (message.kind === "customer" && awaited(message.text)) { deferred[message.id] = message; return; }
    var r = row(message);
    r.setAttribute("data-id", String(message.id));
    byId[message.id] = r;
    setRowState(r, null, clock(message.created_at));
    append(r);
    if (message.kind === "agent") {
      if (panel.hidden) { unreadCount += 1; unread.textContent = String(unreadCount); unread.hidden = false; unread.setAttribute("aria-label", unreadCount + " " + t.unread); }
      else { markRead(message.id); }
    }
  }
  function flushDeferred() {
    Object.keys(deferred).map(Number).sort(function (a, b) { return a - b; }).forEach(function (id) {
      var m = deferred[id];
      if (awaited(m.text)) { return; }
      delete deferred[id];
      show(m);
    });
  }
  // The server stored one of our messages.
  function acknowledged(clientId, message) {
    var p = pending[clientId];
    delete pending[clientId];
    save();
    if (message && message.id) {
      delete deferred[message.id];
      if (byId[message.id]) {
        if (p && p.row && p.row !== byId[message.id]) { p.row.remove(); }
      } else if (p && p.row) {
        byId[message.id] = p.row;
        p.row.setAttribute("data-id", String(message.id));
        setRowState(p.row, null, clock(message.created_at));
      } else {
        show(message);
      }
    }
    flushDeferred();
  }
  // The server refused one of our messages for good (e.g. too long): keep it visible, and its text in the box.
  function refused(clientId, reason) {
    var p = pending[clientId];
    delete pending[clientId];
    if (p && p.row) {
      p.row.removeAttribute("data-client-id"); // no longer waiting: stored messages may follow it
      setRowState(p.row, "failed", fill(t.rejected, { reason: reason }));
      p.row.lastChild.onclick = null;
    }
    if (p && !input.value) { input.value = p.text; }
    save();
    flushDeferred();
  }
  function showPending(p, state, note) {
    if (!p.row) {
      p.row = row(p);
      p.row.setAttribute("data-client-id", p.client_message_id);
      append(p.row);
    }
    setRowState(p.row, state, note);
    p.row.lastChild.onclick = state === "failed" ? function () { deliver(p); } : null;
  }

  // ----- connection -----
  var ws = null, backoff = 500, started = false, retryTimer = null, pingTimer = null, lastFrame = 0;
  function setConn(state) {
    conn.setAttribute("data-state", state);
    conn.textContent = t[state];
  }

  function session() {
    return fetch(api + "/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: token }) })
      .then(function (r) { if (!r.ok) { throw new Error("session " + r.status); } return r.json(); })
      .then(function (s) {
        if (saved.visitor && s.visitor !== saved.visitor) { lastEvent = 0; } // a new visitor: start over
        token = s.token; saved.visitor = s.visitor;
        if (s.max_message_bytes) { maxBytes = s.max_message_bytes; }
        if (s.conversation) { setConversation(s.conversation); }
        save();
      });
  }

  function history() {
    return fetch(api + "/messages", { headers: { authorization: "Bearer " + token } })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (d) { (d.messages || []).forEach(show); });
  }

  function setConversation(c) {
    conversation = c;
    // A new conversation began: a rating asked for on the previous one can no longer be given from here.
    if (c && csat && csat.conversation_id !== c.id) { hideRating(); }
  }

  // ----- remedies and the satisfaction survey (both resume from /feedback after a reload, and from events) -----
  function post(path, body) {
    return fetch(api + path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + token },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
    });
  }
  function yuan(fen) { var y = fen / 100; return "¥" + (y % 1 === 0 ? String(y) : y.toFixed(2)); }
  function remedyLabel(r) {
    var text = t.kinds[r.kind] || String(r.kind);
    return fill(text, { amount: typeof r.amount_fen === "number" ? yuan(r.amount_fen) : "" }).trim();
  }

  var offers = {}; // ticket id → {card, buttons, status, chosen}
  function offerCard(ticketId) {
    var o = offers[ticketId];
    if (o) { return o; }
    var card = el("div", "ax-offer anxin-offer");
    card.setAttribute("data-ticket-id", String(ticketId));
    card.setAttribute("role", "group");
    var heading = el("p", "ax-offer-title", t.remediesTitle);
    heading.id = "anxin-offer-title-" + ticketId;
    card.setAttribute("aria-labelledby", heading.id);
    var buttons = el("div", "ax-offer-choices");
    var status = el("div", "ax-offer-status");
    status.setAttribute("role", "status");
    card.appendChild(heading); card.appendChild(buttons); card.appendChild(status);
    o = offers[ticketId] = { card: card, buttons: buttons, status: status, chosen: false };
    append(card);
    return o;
  }
  // The remedies put to the customer now (an empty list: all withdrawn).
  function showOffer(ticketId, remedies) {
    var o = offers[ticketId];
    if (o && o.chosen) { return; }
    if (!remedies || !remedies.length) {
      if (o) { o.card.remove(); delete offers[ticketId]; }
      return;
    }
    o = offerCard(ticketId);
    o.buttons.textContent = "";
    o.status.textContent = "";
    o.status.classList.remove("failed");
    remedies.forEach(function (r) {
      var b = el("button", "anxin-remedy");
      b.type = "button";
      b.setAttribute("data-remedy-id", String(r.id));
      b.appendChild(el("span", null, remedyLabel(r))); // text, never HTML
      if (r.note) { b.appendChild(el("small", null, r.note)); }
      b.addEventListener("click", function () { chooseRemedy(ticketId, r, b); });
      o.buttons.appendChild(b);
    });
  }
  function showChosen(ticketId, remedy) {
    var o = offerCard(ticketId);
    o.chosen = true;
    o.buttons.textContent = "";
    o.status.classList.remove("failed");
    o.status.classList.add("anxin-remedy-chosen");
    o.status.textContent = fill(t.remedyChosen, { remedy: remedyLabel(remedy) });
  }
  function chooseRemedy(ticketId, remedy, button) {
    var o = offers[ticketId];
    if (!o || o.chosen || !token) { return; }
    var all = o.buttons.querySelectorAll("button");
    Array.prototype.forEach.call(all, function (b) { b.disabled = true; });
    post("/remedies/" + encodeURIComponent(remedy.id) + "/choose").then(function (res) {
      if (res.ok) {
        showChosen(ticketId, res.data.remedy || remedy);
        o.status.tabIndex = -1;
        o.status.focus(); // the buttons are gone: keyboard users land on the confirmation
        return;
      }
      var code = res.data.error && res.data.error.code;
      Array.prototype.forEach.call(all, function (b) { b.disabled = false; });
      o.status.classList.add("failed");
      if (code === "remedy_withdrawn" || code === "not_found") { button.remove(); o.status.textContent = t.remedyGone; }
      else if (code === "remedy_already_chosen") { o.status.textContent = t.remedyFailed; refreshFeedback(); }
      else { o.status.textContent = t.remedyFailed; }
    }, function () {
      Array.prototype.forEach.call(all, function (b) { b.disabled = false; });
      o.status.classList.add("failed");
      o.status.textContent = t.remedyFailed;
    });
  }

  var csat = null;      // the rating request on screen: {request_id, conversation_id, ticket_id, done}
  var csatWaiting = []; // further requests, shown after this one
  var chosenStars = 0;
  function askRating(request) {
    if (!request || !request.request_id) { return; }
    if (csat && csat.request_id === request.request_id) { return; }
    if (csat && !csat.done) {
      if (!csatWaiting.some(function (w) { return w.request_id === request.request_id; })) { csatWaiting.push(request); }
      return;
    }
    csat = { request_id: request.request_id, conversation_id: request.conversation_id, ticket_id: request.ticket_id, done: false };
    rating.setAttribute("data-request-id", String(request.request_id));
    ratingTitle.textContent = t.rateTitle;
    ratingNote.textContent = "";
    ratingComment.value = "";
    chosenStars = 0;
    paintStars(0);
    starButtons.forEach(function (b) { b.disabled = false; });
    ratingMore.hidden = true;
    ratingSend.disabled = true;
    rating.hidden = false;
  }
  function hideRating() { csat = null; csatWaiting = []; rating.hidden = true; rating.removeAttribute("data-request-id"); }
  function paintStars(n) {
    starButtons.forEach(function (b, i) { b.setAttribute("aria-pressed", i < n ? "true" : "false"); });
  }
  function pickStars(n) {
    if (!csat || csat.done) { return; }
    chosenStars = n;
    paintStars(n);
    ratingMore.hidden = false;
    ratingSend.disabled = false;
    ratingNote.textContent = "";
  }
  // The rating was recorded (here, or in another tab of this visitor).
  function thanked(requestId, n) {
    if (!csat || csat.request_id !== requestId) { csatWaiting = csatWaiting.filter(function (w) { return w.request_id !== requestId; }); return; }
    csat.done = true;
    if (n) { paintStars(n); }
    starButtons.forEach(function (b) { b.disabled = true; });
    ratingMore.hidden = true;
    ratingNote.textContent = "";
    ratingTitle.textContent = t.rateThanks;
    var next = csatWaiting.shift();
    if (next) { setTimeout(function () { if (csat && csat.done) { askRating(next); } }, 2500); }
  }
  function sendRating() {
    if (!csat || csat.done || !chosenStars || !token) { return; }
    var request = csat.request_id, n = chosenStars;
    ratingSend.disabled = true;
    var body = { request_id: request, rating: n };
    var comment = ratingComment.value.trim();
    if (comment) { body.comment = comment; }
    post("/csat", body).then(function (res) {
      var code = res.data.error && res.data.error.code;
      if (res.ok || code === "csat_already_recorded") {
        thanked(request, n);
        ratingTitle.tabIndex = -1;
        ratingTitle.focus(); // the form is gone: keyboard users land on the thanks
        return;
      }
      if (code === "not_found") { hideRating(); return; }
      ratingSend.disabled = false;
      ratingNote.textContent = t.rateFailed;
    }, function () {
      ratingSend.disabled = false;
      ratingNote.textContent = t.rateFailed;
    });
  }
  // What is still open on the conversation (after a reload the events are behind us).
  function refreshFeedback() {
    if (!token) { return Promise.resolve(); }
    return fetch(api + "/feedback", { headers: { authorization: "Bearer " + token } })
      .then(function (r) { return r.ok ? r.json() : { offers: [], csat: [] }; })
      .then(function (d) {
        (d.offers || []).forEach(function (o) {
          if (o.chosen) { showChosen(o.ticket_id, o.chosen); } else { showOffer(o.ticket_id, o.remedies); }
        });
        (d.csat || []).forEach(askRating);
      }, function () { /* offline: the events bring it */ });
  }

  function connect() {
    clearTimeout(retryTimer);
    setConn("connecting");
    var url = base.replace(/^http/, "ws") + "/api/v1/widget/" + encodeURIComponent(channel) + "/ws?token=" + encodeURIComponent(token) + "&after=" + lastEvent;
    var socket = new WebSocket(url);
    ws = socket;
    socket.onmessage = function (e) {
      lastFrame = Date.now();
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.type === "hello") {
        backoff = 500;
        lastEvent = Math.max(lastEvent, f.last_event_id || 0);
        save();
        setConn("online");
        Object.keys(pending).forEach(function (k) { deliver(pending[k]); });
      } else if (f.type === "event") {
        var ev = f.event;
        if (ev.id) { lastEvent = Math.max(lastEvent, ev.id); save(); }
        if (ev.kind === "message_created") {
          show(ev.data.message);
          if (ev.data.message && ev.data.message.kind === "agent") { typing.textContent = ""; }
        } else if (ev.kind === "conversation_created" || ev.kind === "conversation_updated") {
          setConversation(ev.data.conversation);
        } else if (ev.kind === "remedies_offered") {
          showOffer(ev.data.ticket_id, ev.data.remedies);
        } else if (ev.kind === "remedy_chosen") {
          showChosen(ev.data.ticket_id, ev.data.remedy);
        } else if (ev.kind === "csat_requested") {
          askRating(ev.data);
        } else if (ev.kind === "csat_recorded") {
          thanked(ev.data.request_id, ev.data.rating);
        } else if (ev.kind === "typing" && ev.data && ev.data.side === "agent") {
          typing.textContent = t.typing;
          clearTimeout(typing._timer);
          typing._timer = setTimeout(function () { typing.textContent = ""; }, 4000);
        }
      } else if (f.type === "ack") {
        acknowledged(f.client_message_id, f.message);
      } else if (f.type === "error" && f.client_message_id && pending[f.client_message_id]) {
        failed(pending[f.client_message_id], f.code, f.message, (f.details && f.details.retry_after) || 0);
      }
    };
    socket.onclose = function () {
      if (ws !== socket) { return; }
      ws = null;
      clearInterval(pingTimer);
      setConn("offline");
      Object.keys(pending).forEach(function (k) { if (pending[k].row) { showPending(pending[k], "sending", t.waiting); } });
      reconnect();
    };
    // A dead connection (no frame for a minute, though we ping every 25 s) is closed and reopened.
    clearInterval(pingTimer);
    lastFrame = Date.now();
    pingTimer = setInterval(function () {
      if (socket.readyState !== 1) { return; }
      if (Date.now() - lastFrame > 60000) { socket.close(); return; }
      socket.send(JSON.stringify({ type: "ping" }));
    }, 25000);
  }

  function reconnect() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { session().then(connect, function () { setConn("offline"); reconnect(); }); }, backoff);
    backoff = Math.min(backoff * 2, 15000);
  }

  function failed(p, code, message, retryAfter) {
    if (code === "payload_too_large" || code === "invalid_field" || code === "forbidden" || code === "not_found") {
      refused(p.client_message_id, message || code);
      return;
    }
    if (code === "rate_limited") {
      showPending(p, "sending", t.slow);
      setTimeout(function () { if (pending[p.client_message_id]) { deliver(p); } }, Math.max(1, retryAfter) * 1000);
      return;
    }
    showPending(p, "failed", t.failed);
  }

  function deliver(p) {
    showPending(p, "sending", ws && ws.readyState === 1 ? "" : t.waiting);
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "send", client_message_id: p.client_message_id, text: p.text }));
      return;
    }
    if (!token) { return; } // sent after the session starts
    // Not connected: try HTTP with the same client id (a duplicate is answered with the original).
    fetch(api + "/messages", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + token },
      body: JSON.stringify({ client_message_id: p.client_message_id, text: p.text })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (r.ok) { acknowledged(p.client_message_id, d.message); return; }
        var err = d.error || {};
        failed(p, err.code || "http_" + r.status, err.message, (err.details && err.details.retry_after) || 0);
      });
    }, function () {
      // Offline: it stays pending and goes out when the socket is back.
      if (pending[p.client_message_id]) { showPending(p, "sending", t.waiting); }
    });
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    var size = utf8Bytes(text);
    if (size > maxBytes) {
      showError(fill(t.tooLong, { size: kb(size), max: kb(maxBytes) }));
      input.focus();
      return; // the draft stays in the box
    }
    showError("");
    input.value = "";
    fit();
    var p = { client_message_id: uid(), text: text, kind: "customer" };
    pending[p.client_message_id] = p;
    save();
    deliver(p);
    input.focus();
  });
  var lastTyping = 0;
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });
  function fit() { input.style.height = "44px"; input.style.height = Math.min(input.scrollHeight + 2, 120) + "px"; }
  input.addEventListener("input", function () {
    fit();
    save();
    if (!error.hidden && utf8Bytes(input.value.trim()) <= maxBytes) { showError(""); }
    if (ws && ws.readyState === 1 && Date.now() - lastTyping > 2000) {
      lastTyping = Date.now();
      ws.send(JSON.stringify({ type: "typing" }));
    }
  });

  var lastRead = 0;
  function markRead(id) {
    if (id > lastRead && ws && ws.readyState === 1) { lastRead = id; ws.send(JSON.stringify({ type: "read", message_id: id })); }
  }

  function setOpen(open) {
    panel.hidden = !open;
    shell.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      unreadCount = 0; unread.hidden = true;
      fit();
      list.scrollTop = list.scrollHeight;
      input.focus();
      var ids = Object.keys(byId).map(Number);
      if (ids.length) { markRead(Math.max.apply(null, ids)); }
      if (!started) {
        started = true;
        session().then(history).then(refreshFeedback).then(connect, function () {
          setConn("offline");
          started = false;
          retryTimer = setTimeout(function () { if (!started && !panel.hidden) { setOpen(true); } }, backoff);
          backoff = Math.min(backoff * 2, 15000);
        });
        // Messages left unsent by an earlier visit are shown at once, waiting for the connection.
        Object.keys(pending).forEach(function (k) { showPending(pending[k], "sending", t.waiting); });
      }
    } else {
      button.focus();
    }
  }
  button.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { setOpen(false); } });

  (document.body || document.documentElement).appendChild(host);
})();
