// The staff console page: every call goes to /staff/api/ with the token from sessionStorage.
// Seller text is only ever put into the page with textContent (never as HTML).
"use strict";

const TOKEN_KEY = "staffToken";
const NAME_KEY = "staffName";
const STATUS_LABELS = { open: "待处理", taken: "处理中", done: "已完成" };
const REASON_LABELS = { nlu_fallback: "无法识别", out_of_scope: "超出范围", low_confidence: "置信度低" };
const CLAIM_LABELS = { price: "价格", fee: "费用", percentage: "百分比", duration: "时长", coverage: "覆盖范围" };
const DELIVERED_LABELS = { socketio: "网页聊天", wechat: "微信", rest: "REST 渠道" };
const MAX_REPLY = 2000;
// While a transcript is open it is read again this often, so the seller's messages appear as they come;
// the queue tab and the tab's counts are refreshed less often.
const TRANSCRIPT_POLL_MS = 2500;
const QUEUE_POLL_MS = 4000;
const COUNT_POLL_MS = 5000;

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString("zh-CN", { hour12: false });
}

function fmtConfidence(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(2);
}

function localInputToIso(value) {
  if (!value) return "";
  const d = new Date(value);
  return isNaN(d) ? "" : d.toISOString();
}

// -- API -------------------------------------------------------------------------------------------

class Unauthorized extends Error {}

// A refused request: its HTTP status and the JSON body (error, code, claims, actor …).
class ApiError extends Error {
  constructor(message, status, data) {
    super(message);
    this.status = status;
    this.data = data || {};
  }
}

async function api(path, { method = "GET", body, raw = false } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY) || "";
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/staff/api/${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin", cache: "no-store",
  });
  if (response.status === 401 || response.status === 403) {
    const data = await response.json().catch(() => ({}));
    throw new Unauthorized(data.error || "令牌无效");
  }
  if (raw) {
    if (!response.ok) throw new ApiError(`请求失败（${response.status}）`, response.status, {});
    return response;
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.error || `请求失败（${response.status}）`, response.status, data);
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== "" && value !== undefined && value !== null) q.set(key, value);
  const text = q.toString();
  return text ? `?${text}` : "";
}

async function guarded(statusNode, work) {
  try {
    if (statusNode) statusNode.textContent = "加载中…";
    await work();
  } catch (error) {
    if (error instanceof Unauthorized) {
      logout(error.message);
      return;
    }
    if (statusNode) statusNode.textContent = `出错了：${error.message}`;
    else throw error;
  }
}

// For the periodic refreshes: no "加载中…", a failure is shown but the polling goes on.
async function quietly(statusNode, work) {
  try {
    await work();
    return true;
  } catch (error) {
    if (error instanceof Unauthorized) {
      logout(error.message);
      return false;
    }
    if (statusNode) statusNode.textContent = `刷新失败：${error.message}`;
    return false;
  }
}

function myName() {
  return $("#staff-name").value.trim();
}

// -- log in / out ----------------------------------------------------------------------------------

async function login(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  let session;
  try {
    session = await api("session");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#login-error").textContent = `登录失败：${error.message}`;
    return false;
  }
  $("#login-error").textContent = "";
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#who").hidden = false;
  // A personal account's token: the server knows the name (and records it), so it is not typed.
  const name = $("#staff-name");
  name.readOnly = Boolean(session.account);
  name.value = session.account ? session.name : sessionStorage.getItem(NAME_KEY) || "";
  name.title = session.account ? "已用个人账号登录：操作记在这个账号名下" : "";
  showTab("knowledge");
  loadOptions();
  startCountPolling();
  refreshFeedbackCount();
  return true;
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopTimers();
  closeTranscript();
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = true;
  $("#tabs").hidden = true;
  $("#who").hidden = true;
  $("#login").hidden = false;
  $("#token").value = "";
  $("#login-error").textContent = message || "";
}

function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== name;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
    if (button.dataset.tab === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  schedule("transcript", name === "conversations" && view.sender ? TRANSCRIPT_POLL_MS : null, pollTranscript);
  schedule("queue", name === "handoffs" ? QUEUE_POLL_MS : null, pollHandoffs);
  if (name === "handoffs") loadHandoffs();
  if (name === "unanswered") loadUnanswered();
  if (name === "dashboard") loadDashboard();
  if (name === "feedback") loadFeedback();
  if (name === "release") loadRelease();
  if (name === "conversations" && !$("#conversation-list tbody").children.length) loadConversations();
}

// -- polling ---------------------------------------------------------------------------------------

const timers = {};

// Runs `work` every `ms` (after the previous run has finished) until called again with ms = null.
function schedule(name, ms, work) {
  clearTimeout(timers[name]?.handle);
  if (!ms) {
    delete timers[name];
    return;
  }
  const timer = { handle: null };
  timers[name] = timer;
  const tick = async () => {
    if (timers[name] !== timer) return;
    try {
      await work();
    } finally {
      if (timers[name] === timer) timer.handle = setTimeout(tick, ms);
    }
  };
  timer.handle = setTimeout(tick, ms);
}

function stopTimers() {
  for (const name of Object.keys(timers)) schedule(name, null);
}

function startCountPolling() {
  refreshHandoffCount();
  schedule("count", COUNT_POLL_MS, refreshHandoffCount);
}

// -- knowledge -------------------------------------------------------------------------------------

async function loadOptions() {
  await guarded(null, async () => {
    const data = await api("knowledge/options");
    const service = $("#service");
    const attribute = $("#attribute");
    for (const select of [service, attribute]) while (select.options.length > 1) select.remove(1);
    for (const s of data.services) service.append(el("option", { value: s.id, text: s.label }));
    for (const a of data.attributes) attribute.append(el("option", { value: a.key, text: `${a.label}（${a.key}）` }));
  }).catch(() => {});
}

function highlighted(text, quotes) {
  // The passage text with the fact's verbatim quotes marked.
  const ranges = [];
  for (const quote of quotes) {
    if (!quote) continue;
    let at = text.indexOf(quote);
    while (at >= 0) {
      ranges.push([at, at + quote.length]);
      at = text.indexOf(quote, at + quote.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const parts = [];
  let pos = 0;
  for (const [start, end] of ranges) {
    if (start < pos) continue;
    if (start > pos) parts.push(text.slice(pos, start));
    parts.push(el("mark", { text: text.slice(start, end) }));
    pos = end;
  }
  parts.push(text.slice(pos));
  return parts;
}

async function togglePassages(hit, container, button) {
  if (container.childElementCount) {
    clear(container);
    button.textContent = "查看原文段落";
    return;
  }
  await guarded(null, async () => {
    const data = await api(`knowledge/sections/${encodeURIComponent(hit.section)}`);
    container.append(el("h4", { text: `原文 ${data.section} ${data.title}` }));
    for (const p of data.passages) {
      container.append(el("div", { class: "passage" }, el("span", { class: "pid", text: p.id }), el("p", {}, highlighted(p.text, hit.quotes))));
    }
    button.textContent = "收起原文";
  });
}

function renderHit(hit) {
  const passages = el("div", { class: "passages" });
  const button = el("button", { type: "button", class: "link", text: "查看原文段落" });
  button.addEventListener("click", () => togglePassages(hit, passages, button));
  return el("li", { class: "hit", dataset: { fact: hit.id } },
    el("div", { class: "hit-head" },
      el("strong", { text: hit.owner_label }), " · ", el("span", { text: hit.attribute_label }),
      el("span", { class: "section", text: `来源：${hit.section} ${hit.section_title}` })),
    el("p", { class: "answer", text: hit.answer }),
    el("div", { class: "quotes" }, el("span", { class: "label", text: "原文引用：" }),
      hit.quotes.map((q) => el("blockquote", { class: "quote", text: q }))),
    button, passages);
}

async function search(event) {
  if (event) event.preventDefault();
  const status = $("#search-status");
  await guarded(status, async () => {
    const data = await api(`knowledge/search${query({ q: $("#q").value.trim(), service: $("#service").value, attribute: $("#attribute").value })}`);
    const list = clear($("#hits"));
    for (const hit of data.hits) list.append(renderHit(hit));
    status.textContent = data.hits.length ? `找到 ${data.hits.length} 条事实` : "没有找到相关事实";
  });
}

// -- conversations ---------------------------------------------------------------------------------

function handoffBadge(handoff) {
  if (!handoff) return "";
  return el("span", { class: `badge ${handoff.status}`, text: `转人工·${STATUS_LABELS[handoff.status] || handoff.status}` });
}

async function loadConversations(event) {
  if (event) event.preventDefault();
  const status = $("#conversation-status");
  await guarded(status, async () => {
    const data = await api(`conversations${query({ sender: $("#sender").value.trim(), since: localInputToIso($("#since").value), until: localInputToIso($("#until").value) })}`);
    const body = clear($("#conversation-list tbody"));
    for (const c of data.conversations) {
      const row = el("tr", { class: "clickable", dataset: { sender: c.sender_id } },
        el("td", { text: fmtTime(c.last_iso) }), el("td", { class: "mono", text: c.sender_id }),
        el("td", { text: c.channel || "" }), el("td", { text: c.messages }),
        el("td", {}, handoffBadge(c.handoff)), el("td", { class: "ellipsis", text: c.last_message || "" }));
      row.addEventListener("click", () => openTranscript(c.sender_id));
      body.append(row);
    }
    status.textContent = data.conversations.length ? `${data.conversations.length} 个会话（点击查看记录）` : "没有找到会话";
  });
}

function isHandoffTurn(item) {
  return (item.user && item.user.intent === "request_human") || item.slots.handoff === "requested";
}

// The open transcript: whose it is, what was last drawn (to redraw only on change), its hand-off.
const view = { sender: null, signature: "", handoff: null, sellerMessages: 0, pending: null, sending: false };

function renderBot(bot) {
  if (bot.staff) {  // written by an agent in this console, not by the bot
    return el("div", { class: "bot staff" },
      el("span", { class: "staff-label", text: `客服${bot.staff}` }),
      bot.time_iso || bot.time ? el("span", { class: "time", text: fmtTime(bot.time_iso || bot.time) }) : null,
      el("p", { class: "bubble staff-text", text: bot.text || "" }));
  }
  return el("div", { class: "bot" }, el("p", { class: "bubble bot-text", text: bot.text || "" }),
    (bot.buttons || []).length ? el("p", { class: "buttons" }, bot.buttons.map((b) => el("span", { class: "button", text: b || "" }))) : null,
    bot.knowledge_version ? el("p", { class: "knowledge-version", text: `知识版本 ${bot.knowledge_version}` }) : null);
}

function renderItem(item) {
  if (item.kind === "session") return el("div", { class: "session", text: `— 新会话 ${fmtTime(item.time_iso)} —` });
  const turn = el("div", { class: `turn${isHandoffTurn(item) ? " handoff" : ""}` });
  if (item.user) {
    turn.append(el("div", { class: "user" },
      el("span", { class: "time", text: fmtTime(item.time_iso) }),
      el("p", { class: "bubble user-text", text: item.user.text }),
      el("p", { class: "nlu" }, "意图 ", el("code", { class: "intent", text: item.user.intent || "—" }),
        " 置信度 ", el("code", { class: "confidence", text: fmtConfidence(item.user.confidence) }),
        item.user.ranking.length > 1 ? el("span", { class: "ranking", text: `（其次：${item.user.ranking.slice(1).map((r) => `${r.name} ${fmtConfidence(r.confidence)}`).join("，")}）` }) : null)));
  }
  if (isHandoffTurn(item)) turn.append(el("p", { class: "handoff-note", text: "⚑ 卖家请求转人工" }));
  for (const action of item.actions) {
    turn.append(el("p", { class: "action" }, "动作 ", el("code", { text: action.name }),
      action.policy ? ` ${action.policy} ${fmtConfidence(action.confidence)}` : ""));
  }
  for (const bot of item.bot) turn.append(renderBot(bot));
  if (item.focus) turn.append(el("p", { class: "focus", text: `话题 ${item.focus}` }));
  const slots = Object.entries(item.slots).filter(([k]) => k !== "focus");
  if (slots.length) turn.append(el("p", { class: "slots", text: `槽位 ${slots.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("  ")}` }));
  return turn;
}

function drawTranscript(data) {
  clear($("#transcript-head")).append(el("header", {},
    el("h3", {}, "会话 ", el("span", { class: "mono", text: data.sender_id })),
    el("p", { text: `${data.channel || "未知渠道"} · ${fmtTime(data.first_iso)} — ${fmtTime(data.last_iso)}` }),
    data.handoff ? el("p", {}, handoffBadge(data.handoff), data.handoff.actor ? ` ${data.handoff.actor}` : "") : null));
  const signature = JSON.stringify(data.items);
  if (signature !== view.signature) {
    const items = $("#transcript-items");
    const first = !view.signature;
    const atBottom = items.scrollHeight - items.scrollTop - items.clientHeight < 60;
    clear(items);
    for (const item of data.items) items.append(renderItem(item));
    if (first || atBottom) items.scrollTop = items.scrollHeight;
    const sellerMessages = data.items.filter((i) => i.user).length;
    if (!first && sellerMessages > view.sellerMessages) {
      $("#transcript-news").textContent = `卖家发来 ${sellerMessages - view.sellerMessages} 条新消息`;
    }
    view.sellerMessages = sellerMessages;
    view.signature = signature;
  }
  view.handoff = data.handoff || null;
  drawTakeover();
  // the conversation's row in the list beside it shows the same hand-off status
  for (const row of document.querySelectorAll("#conversation-list tbody tr")) {
    if (row.dataset.sender === data.sender_id && row.cells[4]) clear(row.cells[4]).append(handoffBadge(data.handoff));
  }
}

function isMine(handoff) {
  return Boolean(handoff && handoff.status === "taken" && handoff.actor && handoff.actor === myName());
}

// The take / hand back buttons and the reply box, from the conversation's hand-off and my name.
function drawTakeover() {
  const handoff = view.handoff;
  const panel = $("#takeover");
  panel.hidden = !handoff;
  const mine = isMine(handoff);
  $("#reply-form").hidden = !mine;
  if (!handoff) return;
  const state = clear($("#takeover-state"));
  state.append(el("span", { class: `badge ${handoff.status}`, text: STATUS_LABELS[handoff.status] || handoff.status }), " ");
  if (mine) {
    state.append(`你（客服${handoff.actor}）已接入：机器人暂停回答，卖家的消息会自动出现在下面。处理完点「完成」交还给机器人。`);
  } else if (handoff.status === "taken") {
    state.append(`客服${handoff.actor || "（未署名）"}已接入这个会话。`);
  } else if (handoff.status === "open") {
    const position = handoff.position ? `，排队第 ${handoff.position} 位` : "";
    state.append(`卖家在等人工客服${position}。接入后机器人暂停回答，由你来回复。`);
  } else {
    state.append("已完成：机器人在回答这个会话。需要时可以再次接入。");
  }
  $("#take").hidden = handoff.status === "taken";
  $("#hand-back").hidden = !mine;
}

function resetComposer() {
  $("#reply-text").value = "";
  $("#reply-length").textContent = `0 / ${MAX_REPLY}`;
  for (const id of ["#reply-status", "#reply-error", "#takeover-error", "#transcript-news"]) $(id).textContent = "";
  hideClaims();
}

function closeTranscript() {
  view.sender = null;
  view.signature = "";
  view.handoff = null;
  schedule("transcript", null);
  $("#transcript").hidden = true;
}

async function openTranscript(senderId) {
  if (senderId !== view.sender) {
    view.sender = senderId;
    view.signature = "";
    view.handoff = null;
    view.sellerMessages = 0;
    clear($("#transcript-head"));
    clear($("#transcript-items"));
    $("#takeover").hidden = true;
    $("#reply-form").hidden = true;
    resetComposer();
  }
  showTab("conversations");
  await guarded($("#conversation-status"), async () => {
    const data = await api(`conversations/${encodeURIComponent(senderId)}`);
    if (view.sender !== senderId) return;
    $("#transcript").hidden = false;
    drawTranscript(data);
    $("#conversation-status").textContent = "";
  });
}

async function refreshTranscript() {
  const senderId = view.sender;
  if (!senderId) return;
  const data = await api(`conversations/${encodeURIComponent(senderId)}`);
  if (view.sender === senderId) drawTranscript(data);
}

async function pollTranscript() {
  if (!view.sender || $("#conversations").hidden) return;
  if (await quietly($("#conversation-status"), refreshTranscript)) {
    if ($("#conversation-status").textContent.startsWith("刷新失败")) $("#conversation-status").textContent = "";
  }
}

async function takeOver(status) {
  const senderId = view.sender;
  const error = $("#takeover-error");
  error.textContent = "";
  const by = myName();
  if (status === "taken" && !by) {
    error.textContent = "请先在右上角「我的名字」里填写你的名字，卖家会看到「客服＋名字」。";
    $("#staff-name").focus();
    return;
  }
  for (const button of [$("#take"), $("#hand-back")]) button.disabled = true;
  try {
    const result = await api(`handoffs/${encodeURIComponent(senderId)}`, { method: "POST", body: { status, by } });
    if (view.sender !== senderId) return;
    view.handoff = { ...(view.handoff || {}), ...result };
    drawTakeover();
    $("#reply-status").textContent = status === "done" ? "已交还给机器人" : "";
    if (status === "taken") $("#reply-text").focus();
  } catch (failure) {
    if (failure instanceof Unauthorized) return logout(failure.message);
    error.textContent = failure.message;
  } finally {
    for (const button of [$("#take"), $("#hand-back")]) button.disabled = false;
  }
  await quietly(error, refreshTranscript);
  refreshHandoffCount();
}

function showClaims(claims) {
  const list = clear($("#claims-list"));
  for (const claim of claims) {
    list.append(el("li", { class: "claim" },
      el("span", { class: "claim-kind", text: CLAIM_LABELS[claim.kind] || claim.kind || "说法" }), " ",
      el("q", { class: "claim-text", text: claim.text || "" }), "：",
      el("span", { class: "claim-reason", text: claim.reason || "资料里没有这个说法" })));
  }
  $("#claims").hidden = false;
}

function hideClaims() {
  view.pending = null;
  clear($("#claims-list"));
  $("#claims").hidden = true;
}

async function sendReply(text, force = false) {
  const senderId = view.sender;
  const error = $("#reply-error");
  const status = $("#reply-status");
  error.textContent = "";
  if (!text) {
    error.textContent = "请输入要发给卖家的内容。";
    return;
  }
  if (text.length > MAX_REPLY) {
    error.textContent = `一条最多 ${MAX_REPLY} 字（现在 ${text.length} 字）。`;
    return;
  }
  if (view.sending) return;
  view.sending = true;
  for (const button of [$("#reply-send"), $("#force-send")]) button.disabled = true;
  status.textContent = "发送中…";
  try {
    const result = await api(`conversations/${encodeURIComponent(senderId)}/messages`,
      { method: "POST", body: { text, by: myName(), force } });
    if (view.sender !== senderId) return;
    hideClaims();
    if ($("#reply-text").value.trim() === text) {
      $("#reply-text").value = "";
      $("#reply-length").textContent = `0 / ${MAX_REPLY}`;
    }
    status.textContent = `已发送（${DELIVERED_LABELS[result.delivered] || result.delivered || "已送出"}）`;
    await quietly(error, refreshTranscript);
  } catch (failure) {
    status.textContent = "";
    if (failure instanceof Unauthorized) return logout(failure.message);
    const code = failure.data && failure.data.code;
    if (failure.status === 409 && code === "unsupported_claims") {
      view.pending = text;
      showClaims(failure.data.claims || []);
    } else {
      hideClaims();
      error.textContent = failure.message;
      if (code === "not_taken") await quietly(null, refreshTranscript);
    }
  } finally {
    view.sending = false;
    for (const button of [$("#reply-send"), $("#force-send")]) button.disabled = false;
  }
  refreshHandoffCount();
}

// -- hand-offs -------------------------------------------------------------------------------------

let queueSignature = "";

function unreadFor(h) {
  // the seller's messages waiting for me: in the open requests and in the conversations I took
  return h.status === "open" || (h.status === "taken" && h.actor && h.actor === myName()) ? Number(h.unread) || 0 : 0;
}

async function refreshHandoffCount() {
  await quietly(null, async () => {
    const data = await api("handoffs?status=open,taken");
    const open = data.handoffs.filter((h) => h.status === "open").length;
    const unread = data.handoffs.reduce((sum, h) => sum + unreadFor(h), 0);
    $("#handoff-count").textContent = open ? String(open) : "";
    $("#handoff-unread").textContent = unread ? `${unread} 未读` : "";
  });
}

async function setHandoff(senderId, status) {
  await guarded($("#handoff-status"), async () => {
    await api(`handoffs/${encodeURIComponent(senderId)}`, { method: "POST", body: { status, by: myName() } });
    await loadHandoffs();
  });
}

function handoffStatuses() {
  const statuses = [...document.querySelectorAll("#handoff-form input[name=status]:checked")].map((i) => i.value);
  return statuses.join(",") || "open,taken,done";
}

function drawHandoffs(handoffs) {
  const body = clear($("#handoff-list tbody"));
  for (const h of handoffs) {
    const actions = el("td", { class: "actions" });
    if (h.status !== "taken") actions.append(el("button", { type: "button", text: "接手", onclick: () => setHandoff(h.sender_id, "taken") }));
    if (h.status !== "done") actions.append(el("button", { type: "button", text: "完成", onclick: () => setHandoff(h.sender_id, "done") }));
    if (h.status === "done") actions.append(el("button", { type: "button", text: "重新打开", onclick: () => setHandoff(h.sender_id, "open") }));
    actions.append(el("button", { type: "button", class: "link", text: "查看会话", onclick: () => openTranscript(h.sender_id) }));
    const unread = Number(h.unread) || 0;
    body.append(el("tr", { class: `status-${h.status}`, dataset: { sender: h.sender_id } },
      el("td", { text: fmtTime(h.requested_iso) }), el("td", { class: "mono", text: h.sender_id }),
      el("td", { text: h.channel || "" }), el("td", { text: h.text || "" }),
      el("td", {}, el("span", { class: `badge ${h.status}`, text: STATUS_LABELS[h.status] || h.status }),
        h.actor ? ` ${h.actor}` : "", h.reopened ? el("span", { class: "note", text: "（再次请求）" }) : null,
        h.status === "open" && h.position ? el("span", { class: "position", text: `排队第 ${h.position} 位` }) : null),
      el("td", {}, unread ? el("span", { class: "unread", text: `${unread} 未读` }) : null),
      actions));
  }
}

async function fetchHandoffs() {
  const data = await api(`handoffs${query({ status: handoffStatuses() })}`);
  const signature = JSON.stringify([data.handoffs, myName()]);
  if (signature !== queueSignature) {
    drawHandoffs(data.handoffs);
    queueSignature = signature;
  }
  $("#handoff-status").textContent = data.handoffs.length ? `${data.handoffs.length} 个会话` : "队列为空";
}

async function loadHandoffs(event) {
  if (event) event.preventDefault();
  queueSignature = "";
  await guarded($("#handoff-status"), fetchHandoffs);
  refreshHandoffCount();
}

async function pollHandoffs() {
  if ($("#handoffs").hidden) return;
  await quietly($("#handoff-status"), fetchHandoffs);
}

// -- unanswered ------------------------------------------------------------------------------------

function unansweredQuery() {
  return query({ threshold: $("#threshold").value, since: localInputToIso($("#u-since").value), until: localInputToIso($("#u-until").value) });
}

async function loadUnanswered(event) {
  if (event) event.preventDefault();
  const status = $("#unanswered-status");
  await guarded(status, async () => {
    const data = await api(`unanswered${unansweredQuery()}`);
    const body = clear($("#unanswered-list tbody"));
    for (const g of data.groups) {
      const variants = g.variants.length > 1
        ? el("details", {}, el("summary", { text: `${g.variants.length} 种说法` }),
          el("ul", {}, g.variants.map((v) => el("li", { text: `${v.text} ×${v.count}` }))))
        : null;
      body.append(el("tr", {},
        el("td", { text: g.count }), el("td", {}, el("span", { text: g.text }), variants),
        el("td", { text: Object.entries(g.reasons).map(([k, v]) => `${REASON_LABELS[k] || k}×${v}`).join("，") }),
        el("td", { text: Object.keys(g.intents).slice(0, 2).join("，") }),
        el("td", { text: g.conversations }), el("td", { text: fmtTime(g.last_iso) })));
    }
    status.textContent = data.groups.length ? `${data.groups.length} 组，共 ${data.messages} 条消息` : "没有未解决的问题";
  });
}

async function exportCsv() {
  await downloadCsv(`unanswered.csv${unansweredQuery()}`, "unanswered.csv", $("#unanswered-status"));
}

// -- dashboard (数据看板) ------------------------------------------------------------------------------

const ECHARTS_SRC = "/staff/static/vendor/echarts.min.js";
const CHANNEL_LABELS = { rest: "REST 接口", socketio: "网页聊天", wechat: "微信", "": "未知渠道" };
const FEEDBACK_REASON_LABELS = { irrelevant: "答非所问", wrong: "信息不对", unclear: "看不懂", other: "其他", none: "未选" };
const charts = {};
let echartsLoading = null;

// ECharts is loaded the first time the dashboard is opened (the other tabs never need it).
function loadEcharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsLoading) {
    echartsLoading = new Promise((resolve, reject) => {
      const script = el("script", { src: ECHARTS_SRC });
      script.addEventListener("load", () => (window.echarts ? resolve(window.echarts) : reject(new Error("ECharts 未加载"))));
      script.addEventListener("error", () => {
        echartsLoading = null;
        script.remove();
        reject(new Error("图表组件没有安装（在服务器上运行 make echarts）"));
      });
      document.head.append(script);
    });
  }
  return echartsLoading;
}

function dateInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// A date input's local midnight as epoch seconds; `next`: the midnight after that day.
function dayStart(value, next = false) {
  if (!value) return "";
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(y, m - 1, d + (next ? 1 : 0));
  return isNaN(date) ? "" : String(date.getTime() / 1000);
}

function setDefaultDays(sinceInput, untilInput, days) {
  const today = new Date();
  if (!untilInput.value) untilInput.value = dateInput(today);
  if (!sinceInput.value) sinceInput.value = dateInput(new Date(today.getFullYear(), today.getMonth(), today.getDate() - days + 1));
}

function dashboardQuery() {
  setDefaultDays($("#d-since"), $("#d-until"), 7);
  return query({ since: dayStart($("#d-since").value), until: dayStart($("#d-until").value, true),
    channel: $("#d-channel").value, tz: -new Date().getTimezoneOffset() });
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
  return `${Math.floor(s / 3600)} 小时 ${Math.round((s % 3600) / 60)} 分`;
}

function channelLabel(channel) {
  return CHANNEL_LABELS[channel] !== undefined ? CHANNEL_LABELS[channel] : channel;
}

function drawKpis(totals) {
  const kpi = (label, value, note) => el("div", { class: "kpi" }, el("span", { class: "kpi-value", text: value }),
    el("span", { class: "kpi-label", text: label }), note ? el("span", { class: "kpi-note", text: note }) : null);
  clear($("#kpis")).append(
    kpi("会话", String(totals.conversations)),
    kpi("卖家消息", String(totals.messages)),
    kpi("回答率", percent(totals.answered_rate), `未回答 ${totals.unanswered}`),
    kpi("自助解决率", percent(totals.containment), `${totals.contained} / ${totals.conversations} 个会话`),
    kpi("转人工", String(totals.handoffs), `已接入 ${totals.taken}`),
    kpi("接入用时中位数", duration(totals.wait_median_s), `平均 ${duration(totals.wait_avg_s)}`),
    kpi("好评率", percent(totals.feedback_rate), `好评 ${totals.feedback_up} · 差评 ${totals.feedback_down}`));
}

function drawChannelTable(rows) {
  const body = clear($("#channel-table tbody"));
  for (const c of rows) {
    body.append(el("tr", { dataset: { channel: c.channel } },
      el("td", { text: channelLabel(c.channel) }), el("td", { text: c.conversations }), el("td", { text: c.messages }),
      el("td", { text: percent(c.answered_rate) }), el("td", { text: percent(c.containment) }),
      el("td", { text: c.handoffs }), el("td", { text: c.taken }), el("td", { text: duration(c.wait_median_s) }),
      el("td", { text: c.feedback_up }), el("td", { text: c.feedback_down }), el("td", { text: percent(c.feedback_rate) })));
  }
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: "11", class: "note", text: "这段时间没有数据" })));
}

function drawUnansweredGroups(groups, sample) {
  const body = clear($("#unanswered-groups tbody"));
  for (const g of groups) {
    body.append(el("tr", {},
      el("td", { text: g.count }), el("td", { text: g.text }),
      el("td", { text: Object.entries(g.reasons).map(([k, v]) => `${REASON_LABELS[k] || k}×${v}`).join("，") }),
      el("td", { text: Object.keys(g.intents).slice(0, 2).join("，") }),
      el("td", { text: g.conversations }), el("td", { text: fmtTime(g.last_iso) })));
  }
  if (!groups.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "note", text: "没有未解决的问题" })));
  $("#unanswered-sample").textContent = sample.complete
    ? `共 ${sample.messages} 条未回答消息，分成 ${sample.groups} 组。`
    : `只看了最新的 ${sample.limit} 条未回答消息（分成 ${sample.groups} 组）；完整列表见「未解决问题」。`;
}

function chart(id) {
  const node = document.getElementById(id);
  if (!charts[id]) charts[id] = window.echarts.init(node, null, { renderer: "canvas" });
  return charts[id];
}

// Every chart: canvas only, tooltips drawn on the canvas too (richText): no HTML from the data.
function baseOption(extra) {
  return {
    animation: false,
    grid: { left: 48, right: 48, top: 36, bottom: 28, containLabel: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0, type: "scroll" },
    ...extra,
  };
}

function timeChart(id, days, series, axes) {
  chart(id).setOption(baseOption({
    xAxis: { type: "category", data: days.map((d) => d.date.slice(5)) },
    yAxis: axes || [{ type: "value", minInterval: 1 }],
    series,
  }), { notMerge: true });
}

function barList(id, items, label, name) {
  const top = items.slice().reverse();
  chart(id).setOption(baseOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
    legend: { show: false },
    grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: top.map(label) },
    series: [{ type: "bar", name, data: top.map((x) => x.messages), label: { show: true, position: "right" } }],
  }), { notMerge: true });
}

function drawCharts(data) {
  const days = data.days;
  const rate = (key) => days.map((d) => (d[key] === null ? null : Math.round(d[key] * 1000) / 10));
  const pct = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  timeChart("chart-volume", days, [
    { name: "会话", type: "bar", data: days.map((d) => d.conversations) },
    { name: "卖家消息", type: "line", data: days.map((d) => d.messages) },
  ]);
  timeChart("chart-answered", days, [
    { name: "已回答", type: "bar", stack: "m", data: days.map((d) => d.answered) },
    { name: "无法识别", type: "bar", stack: "m", data: days.map((d) => d.fallback) },
    { name: "超出范围", type: "bar", stack: "m", data: days.map((d) => d.out_of_scope) },
    { name: "置信度低", type: "bar", stack: "m", data: days.map((d) => d.low_confidence) },
    { name: "回答率", type: "line", yAxisIndex: 1, data: rate("answered_rate") },
  ], [{ type: "value", minInterval: 1 }, pct]);
  timeChart("chart-containment", days, [
    { name: "自助解决率", type: "line", data: rate("containment"), areaStyle: { opacity: 0.15 } },
  ], [pct]);
  timeChart("chart-handoffs", days, [
    { name: "转人工", type: "bar", data: days.map((d) => d.handoffs) },
    { name: "已接入", type: "bar", data: days.map((d) => d.taken) },
    { name: "接入用时中位数（分钟）", type: "line", yAxisIndex: 1,
      data: days.map((d) => (d.wait_median_s === null ? null : Math.round(d.wait_median_s / 6) / 10)) },
  ], [{ type: "value", minInterval: 1 }, { type: "value", name: "分钟" }]);
  timeChart("chart-feedback", days, [
    { name: "好评 👍", type: "bar", stack: "f", data: days.map((d) => d.feedback_up) },
    { name: "差评 👎", type: "bar", stack: "f", data: days.map((d) => d.feedback_down) },
    { name: "好评率", type: "line", yAxisIndex: 1, data: rate("feedback_rate") },
  ], [{ type: "value", minInterval: 1 }, pct]);
  chart("chart-reasons").setOption(baseOption({
    tooltip: { trigger: "item", renderMode: "richText" },
    series: [{ type: "pie", name: "👎 的原因", radius: ["35%", "65%"], top: 24,
      data: Object.entries(data.totals.reasons).map(([k, v]) => ({ name: FEEDBACK_REASON_LABELS[k] || k, value: v })),
      label: { formatter: "{b} {c}" } }],
  }), { notMerge: true });
  barList("chart-services", data.top_services, (s) => s.service, "消息数");
  barList("chart-intents", data.top_intents, (i) => i.intent || "（无）", "消息数");
}

function drawDefinitions(definitions) {
  for (const node of document.querySelectorAll("#dashboard [data-definition]")) {
    node.textContent = definitions[node.dataset.definition] || "";
  }
}

function fillChannels(channels) {
  const select = $("#d-channel");
  const chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const c of channels) select.append(el("option", { value: c, text: channelLabel(c) }));
  select.value = chosen;
}

let dashboardRequest = 0;

async function loadDashboard(event) {
  if (event) event.preventDefault();
  const status = $("#dashboard-status");
  const request = ++dashboardRequest;  // only the latest request draws
  await guarded(status, async () => {
    const q = dashboardQuery();
    const range = `${$("#d-since").value} 至 ${$("#d-until").value}`;
    const data = await api(`analytics${q}`);
    if (request !== dashboardRequest) return;
    fillChannels(data.channels);
    drawDefinitions(data.definitions);
    drawKpis(data.totals);
    drawChannelTable(data.by_channel);
    drawUnansweredGroups(data.unanswered_groups, data.unanswered_sample);
    try {
      await loadEcharts();
      if (request !== dashboardRequest) return;
      drawCharts(data);
      status.textContent = `${range}：${data.totals.conversations} 个会话，${data.totals.messages} 条卖家消息（${data.computed_ms} 毫秒）`;
    } catch (error) {
      status.textContent = `${range}：数字已更新，但图表画不出来：${error.message}`;
    }
  });
}

async function downloadCsv(path, filename, statusNode) {
  await guarded(statusNode, async () => {
    const response = await api(path, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    statusNode.textContent = `已导出 ${filename}`;
  });
}

// -- feedback triage (反馈) --------------------------------------------------------------------------

function feedbackQuery(extra = {}) {
  return query({ handled: $("#f-handled").value, since: dayStart($("#f-since").value),
    until: dayStart($("#f-until").value, true), ...extra });
}

function drawFeedback(rows) {
  const body = clear($("#feedback-list tbody"));
  for (const f of rows) {
    const actions = el("td", { class: "actions" });
    if (f.handled_at) actions.append(el("button", { type: "button", class: "secondary", text: "重新打开", onclick: () => markFeedback(f.id, false) }));
    else actions.append(el("button", { type: "button", class: "mark-handled", text: "标记已处理", onclick: () => markFeedback(f.id, true) }));
    actions.append(el("button", { type: "button", class: "link", text: "查看会话", onclick: () => openTranscript(f.sender_id) }));
    body.append(el("tr", { dataset: { feedback: String(f.id) } },
      el("td", { text: fmtTime(f.ts_iso) }), el("td", { text: channelLabel(f.channel || "") }),
      el("td", { class: "question", text: f.question || "" }),
      el("td", {}, el("div", { class: "answer-text", text: f.answer || "" }), f.section ? el("span", { class: "note", text: `来源：${f.section}` }) : null),
      el("td", { class: "reason", text: FEEDBACK_REASON_LABELS[f.reason || "none"] || f.reason }),
      el("td", { class: "feedback-note", text: f.note || "" }),
      el("td", { class: "handled" }, f.handled_at
        ? el("span", { class: "badge done", text: `已处理${f.handled_by ? ` · ${f.handled_by}` : ""}` })
        : el("span", { class: "badge open", text: "未处理" }),
      f.handled_at ? el("span", { class: "position", text: fmtTime(f.handled_iso) }) : null),
      actions));
  }
}

async function loadFeedback(event) {
  if (event) event.preventDefault();
  const status = $("#feedback-status");
  await guarded(status, async () => {
    const data = await api(`feedback${feedbackQuery()}`);
    drawFeedback(data.feedback);
    const shown = data.feedback.length < data.total ? `（显示最新的 ${data.feedback.length} 条）` : "";
    status.textContent = data.total ? `${data.total} 条 👎${shown}` : "没有符合条件的 👎";
  });
}

async function refreshFeedbackCount() {
  await quietly(null, async () => {
    const data = await api("feedback?handled=false&limit=1");
    $("#feedback-count").textContent = data.total ? String(data.total) : "";
  });
}

async function markFeedback(id, handled) {
  const status = $("#feedback-status");
  if (handled && !myName()) {
    status.textContent = "请先在右上角「我的名字」里填写你的名字，记录是谁处理的。";
    $("#staff-name").focus();
    return;
  }
  await guarded(status, async () => {
    await api(`feedback/${encodeURIComponent(id)}`, { method: "POST", body: { handled, by: myName() } });
    await loadFeedback();
    status.textContent = handled ? "已标记为已处理" : "已重新打开";
    refreshFeedbackCount();
  });
}

// -- wiring ----------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    login($("#token").value.trim());
  });
  $("#logout").addEventListener("click", () => logout(""));
  $("#staff-name").addEventListener("change", (event) => sessionStorage.setItem(NAME_KEY, event.target.value.trim()));
  $("#staff-name").addEventListener("input", (event) => {
    sessionStorage.setItem(NAME_KEY, event.target.value.trim());
    drawTakeover();
  });
  $("#take").addEventListener("click", () => takeOver("taken"));
  $("#hand-back").addEventListener("click", () => takeOver("done"));
  $("#reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply($("#reply-text").value.trim());
  });
  $("#reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("#reply-form").requestSubmit();
    }
  });
  $("#reply-text").addEventListener("input", (event) => {
    $("#reply-length").textContent = `${event.target.value.length} / ${MAX_REPLY}`;
    if (view.pending !== null && event.target.value.trim() !== view.pending) hideClaims();
  });
  $("#force-send").addEventListener("click", () => {
    if (view.pending !== null) sendReply(view.pending, true);
  });
  $("#edit-claims").addEventListener("click", () => {
    hideClaims();
    $("#reply-error").textContent = "";
    $("#reply-text").focus();
  });
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("#search-form").addEventListener("submit", search);
  $("#conversation-form").addEventListener("submit", loadConversations);
  $("#handoff-form").addEventListener("submit", loadHandoffs);
  $("#unanswered-form").addEventListener("submit", loadUnanswered);
  $("#export-csv").addEventListener("click", exportCsv);
  $("#dashboard-form").addEventListener("submit", loadDashboard);
  $("#d-channel").addEventListener("change", () => loadDashboard());
  $("#export-analytics").addEventListener("click", () => downloadCsv(`analytics.csv${dashboardQuery()}`, "analytics.csv", $("#dashboard-status")));
  $("#feedback-form").addEventListener("submit", loadFeedback);
  $("#f-handled").addEventListener("change", () => loadFeedback());
  $("#export-training").addEventListener("click", () => downloadCsv(`feedback.csv${feedbackQuery({ kind: "training" })}`, "feedback-training.csv", $("#feedback-status")));
  $("#export-gaps").addEventListener("click", () => downloadCsv(`feedback.csv${feedbackQuery({ kind: "gap" })}`, "feedback-gap.csv", $("#feedback-status")));
  window.addEventListener("resize", () => { for (const c of Object.values(charts)) c.resize(); });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) login(saved);
});

// -- 知识版本 ----------------------------------------------------------------------------------------

function showRelease(data) {
  const facts = clear($("#release-facts"));
  const status = data.status;
  const rows = status ? [
    ["使用中的版本", status.version],
    ["加载时间", data.loaded_iso || ""],
    ["上一个版本", status.previous || "（无）"],
    ["资料文件的版本", data.files_version + (data.files_version === status.version ? "（已在使用）" : "（尚未加载）")],
    ["需要重新训练", status.retrain_needed ? "是：别名或词表变了，新词要 make train 并重启 Rasa 后才能识别" : "否"],
    ["上次加载出错", status.error || "无"],
  ] : [["状态", "没有找到动作服务器的状态（请用 make run 启动）"], ["资料文件的版本", data.files_version]];
  for (const [term, value] of rows) facts.append(el("dt", { text: term }), el("dd", { text: value }));
  const sources = clear($("#release-sources"));
  for (const source of data.sources) sources.append(el("li", { text: `${source.name}（${source.bytes} 字节）` }));
  $("#release-impact").textContent = data.impact || "（还没有：资料文件变更并重新加载后生成）";
}

async function loadRelease() {
  await guarded($("#release-status"), async () => {
    showRelease(await api("knowledge/release"));
    $("#release-status").textContent = "";
  });
}

// Admin only: a 403 here means "not the admin token", not a logged-out console.
async function releaseAction(action) {
  const status = $("#release-status");
  status.textContent = action === "reload" ? "正在加载新版本…" : "正在回滚…";
  const response = await fetch("/staff/api/knowledge/release", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}`, "Content-Type": "application/json" },
    body: JSON.stringify({ action }),
  });
  const data = await response.json().catch(() => ({}));
  if (response.ok || response.status === 409) showRelease(data);
  if (response.ok) status.textContent = action === "reload" ? "已加载新版本。" : "已回滚。";
  else if (response.status === 409) status.textContent = `没有换版本：${data.status?.error || "加载失败"}`;
  else status.textContent = `没有执行：${data.error || response.status}`;
}

$("#release-reload").addEventListener("click", () => releaseAction("reload"));
$("#release-rollback").addEventListener("click", () => releaseAction("rollback"));
