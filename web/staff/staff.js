// The staff console page: every call goes to /staff/api/ with the token from sessionStorage.
// Seller text is only ever put into the page with textContent (never as HTML).
"use strict";

const TOKEN_KEY = "staffToken";
const NAME_KEY = "staffName";
const STATUS_LABELS = { open: "待处理", taken: "处理中", done: "已完成" };
const REASON_LABELS = { nlu_fallback: "无法识别", out_of_scope: "超出范围", low_confidence: "置信度低" };

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
    if (!response.ok) throw new Error(`请求失败（${response.status}）`);
    return response;
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `请求失败（${response.status}）`);
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

// -- log in / out ----------------------------------------------------------------------------------

async function login(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api("session");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#login-error").textContent = `登录失败：${error.message}`;
    return false;
  }
  $("#login-error").textContent = "";
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#who").hidden = false;
  $("#staff-name").value = sessionStorage.getItem(NAME_KEY) || "";
  showTab("knowledge");
  loadOptions();
  refreshHandoffCount();
  return true;
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = true;
  $("#tabs").hidden = true;
  $("#who").hidden = true;
  $("#login").hidden = false;
  $("#token").value = "";
  $("#login-error").textContent = message || "";
}

function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== name;
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  if (name === "handoffs") loadHandoffs();
  if (name === "unanswered") loadUnanswered();
  if (name === "conversations" && !$("#conversation-list tbody").children.length) loadConversations();
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

async function openTranscript(senderId) {
  showTab("conversations");
  const box = $("#transcript");
  await guarded($("#conversation-status"), async () => {
    const data = await api(`conversations/${encodeURIComponent(senderId)}`);
    clear(box).hidden = false;
    box.append(el("header", {},
      el("h3", {}, "会话 ", el("span", { class: "mono", text: data.sender_id })),
      el("p", { text: `${data.channel || "未知渠道"} · ${fmtTime(data.first_iso)} — ${fmtTime(data.last_iso)}` }),
      data.handoff ? el("p", {}, handoffBadge(data.handoff), data.handoff.actor ? ` ${data.handoff.actor}` : "") : null));
    for (const item of data.items) {
      if (item.kind === "session") {
        box.append(el("div", { class: "session", text: `— 新会话 ${fmtTime(item.time_iso)} —` }));
        continue;
      }
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
      for (const bot of item.bot) {
        turn.append(el("div", { class: "bot" }, el("p", { class: "bubble bot-text", text: bot.text || "" }),
          bot.buttons.length ? el("p", { class: "buttons" }, bot.buttons.map((b) => el("span", { class: "button", text: b || "" }))) : null));
      }
      if (item.focus) turn.append(el("p", { class: "focus", text: `话题 ${item.focus}` }));
      const slots = Object.entries(item.slots).filter(([k]) => k !== "focus");
      if (slots.length) turn.append(el("p", { class: "slots", text: `槽位 ${slots.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("  ")}` }));
      box.append(turn);
    }
    $("#conversation-status").textContent = "";
  });
}

// -- hand-offs -------------------------------------------------------------------------------------

async function refreshHandoffCount() {
  await guarded(null, async () => {
    const data = await api("handoffs?status=open");
    $("#handoff-count").textContent = data.handoffs.length ? String(data.handoffs.length) : "";
  }).catch(() => {});
}

async function setHandoff(senderId, status) {
  await guarded($("#handoff-status"), async () => {
    await api(`handoffs/${encodeURIComponent(senderId)}`, { method: "POST", body: { status, by: $("#staff-name").value.trim() } });
    await loadHandoffs();
  });
}

async function loadHandoffs(event) {
  if (event) event.preventDefault();
  const statuses = [...document.querySelectorAll("#handoff-form input[name=status]:checked")].map((i) => i.value);
  const status = $("#handoff-status");
  await guarded(status, async () => {
    const data = await api(`handoffs${query({ status: statuses.join(",") || "open,taken,done" })}`);
    const body = clear($("#handoff-list tbody"));
    for (const h of data.handoffs) {
      const actions = el("td", { class: "actions" });
      if (h.status !== "taken") actions.append(el("button", { type: "button", text: "接手", onclick: () => setHandoff(h.sender_id, "taken") }));
      if (h.status !== "done") actions.append(el("button", { type: "button", text: "完成", onclick: () => setHandoff(h.sender_id, "done") }));
      if (h.status === "done") actions.append(el("button", { type: "button", text: "重新打开", onclick: () => setHandoff(h.sender_id, "open") }));
      actions.append(el("button", { type: "button", class: "link", text: "查看会话", onclick: () => openTranscript(h.sender_id) }));
      body.append(el("tr", { class: `status-${h.status}`, dataset: { sender: h.sender_id } },
        el("td", { text: fmtTime(h.requested_iso) }), el("td", { class: "mono", text: h.sender_id }),
        el("td", { text: h.channel || "" }), el("td", { text: h.text || "" }),
        el("td", {}, el("span", { class: `badge ${h.status}`, text: STATUS_LABELS[h.status] || h.status }),
          h.actor ? ` ${h.actor}` : "", h.reopened ? el("span", { class: "note", text: "（再次请求）" }) : null),
        actions));
    }
    status.textContent = data.handoffs.length ? `${data.handoffs.length} 个会话` : "队列为空";
  });
  refreshHandoffCount();
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
  await guarded($("#unanswered-status"), async () => {
    const response = await api(`unanswered.csv${unansweredQuery()}`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: "unanswered.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    $("#unanswered-status").textContent = "已导出 unanswered.csv";
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
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("#search-form").addEventListener("submit", search);
  $("#conversation-form").addEventListener("submit", loadConversations);
  $("#handoff-form").addEventListener("submit", loadHandoffs);
  $("#unanswered-form").addEventListener("submit", loadUnanswered);
  $("#export-csv").addEventListener("click", exportCsv);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) login(saved);
});
