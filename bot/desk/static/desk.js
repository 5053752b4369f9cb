// The counsellor desk in the browser. No inline script, no third-party code.
// Texts come from /desk/api/texts (content/desk.yml); everything is shown with textContent.
"use strict";

const desk = {
  texts: {}, me: null, tab: "queue", current: null, seen: null, events: null, audio: null,
  options: { counsellors: [], networks: [], quick_replies: [] }, retry: null,
};

const $ = (id) => document.getElementById(id);
const t = (key, values = {}) =>
  (desk.texts[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

class SignedOut extends Error {}

async function api(path, body, automatic = false) {
  const headers = { Accept: "application/json" };
  const init = { credentials: "same-origin", headers };
  if (automatic) headers["X-Desk-Auto"] = "1";
  if (body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    if (desk.me) headers["X-CSRF-Token"] = desk.me.csrf;
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/desk/api/" + path, init);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "login") throw new SignedOut();
  if (!response.ok) {
    const error = new Error(data.error || String(response.status));
    error.data = data;
    throw error;
  }
  return data;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showLogin(message) {
  stopEvents();
  desk.me = null;
  $("desk").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function showDesk(me) {
  desk.me = me;
  $("login").hidden = true;
  $("desk").hidden = false;
  $("who").textContent = me.name;
  $("audit-tab").hidden = !me.reads_audit;
  desk.options = await api("colleagues", undefined, true);
  fillOptions();
  startEvents();
}

function fillOptions() {
  const quick = $("quick");
  quick.length = 1;
  for (const reply of desk.options.quick_replies) quick.add(new Option(reply.title, reply.text));
}

function startEvents() {
  stopEvents();
  const source = new EventSource("/desk/api/events");
  desk.events = source;
  source.addEventListener("open", () => setConnection(true));
  source.addEventListener("change", () => refresh().catch(handle));
  source.addEventListener("signed_out", () => showLogin(t("session_ended")));
  source.addEventListener("error", () => {
    setConnection(false);
    if (source.readyState === EventSource.CLOSED) {
      // the server refused the stream (signed out, or restarting): check, then try again
      desk.retry = setTimeout(reconnect, 2000);
    }
  });
}

function reconnect() {
  api("me", undefined, true).then(startEvents, (error) => {
    if (error instanceof SignedOut) handle(error);
    else desk.retry = setTimeout(reconnect, 2000);
  });
}

function stopEvents() {
  if (desk.events) desk.events.close();
  desk.events = null;
  clearTimeout(desk.retry);
}

function setConnection(up) {
  const node = $("connection");
  node.textContent = up ? t("connected") : t("reconnecting");
  node.className = up ? "up" : "down";
  node.dataset.state = up ? "up" : "down";
}

function handle(error) {
  if (error instanceof SignedOut) {
    showLogin(t("session_ended"));
    return;
  }
  const reason = error.data && error.data.error;
  $("case-error").textContent = reason ? t(reason, error.data) : "";
}

async function refresh() {
  if (!desk.me) return;
  if (desk.tab === "audit") {
    renderAudit((await api("audit", undefined, true)).entries);
  } else {
    const list = await api(desk.tab, undefined, true);
    if (desk.tab === "queue") announce(list.cases);
    renderList(list.cases);
  }
  if (desk.current !== null) await openCase(desk.current, true);
}

function announce(cases) {
  const ids = new Set(cases.map((c) => c.id));
  if (desk.seen !== null) {
    const fresh = cases.filter((c) => !desk.seen.has(c.id) && c.status === "pending");
    if (fresh.length) notify(fresh.some((c) => c.urgent));
  }
  desk.seen = ids;
}

function notify(urgent) {
  const text = urgent ? t("new_urgent") : t("new_case");
  document.body.dataset.notified = text;
  beep(urgent);
  if ("Notification" in window && Notification.permission === "granted") {
    new Notification("Wegwijs", { body: text, tag: "wegwijs-desk" });
  }
}

function beep(urgent) {
  try {
    desk.audio = desk.audio || new AudioContext();
    const tone = desk.audio.createOscillator();
    const gain = desk.audio.createGain();
    tone.frequency.value = urgent ? 880 : 660;
    gain.gain.value = 0.15;
    tone.connect(gain).connect(desk.audio.destination);
    tone.start();
    tone.stop(desk.audio.currentTime + (urgent ? 0.6 : 0.25));
  } catch (_) {
    // no sound available: the browser notification and the list still show the case
  }
}

function rowText(row) {
  const parts = [row.network_name, row.kind];
  const state = row.counsellor ? t("claimed_by", { name: row.counsellor }) : t("not_claimed");
  const second = [t("status_" + row.status), state];
  if (row.status === "pending") second.push(t("waiting", { minutes: row.waiting_minutes }));
  if (row.promise) second.push(row.promise);
  if (row.outcome) second.push(row.outcome);
  return [`#${row.id} · ${parts.join(" · ")}`, second.join(" · ")];
}

function renderList(cases) {
  $("audit").hidden = true;
  const list = $("cases");
  list.replaceChildren();
  for (const row of cases) {
    const item = el("li", undefined, row.urgent ? "urgent" : "");
    item.dataset.case = row.id;
    item.dataset.status = row.status;
    if (row.id === desk.current) item.classList.add("open");
    const first = el("div");
    if (row.urgent) first.append(el("span", t("urgent"), "badge"));
    const [line1, line2] = rowText(row);
    first.append(line1);
    item.append(first, el("div", line2, "line2"));
    item.addEventListener("click", () => openCase(row.id).catch(handle));
    list.append(item);
  }
  $("empty").hidden = cases.length > 0 || desk.tab !== "queue";
  $("empty").textContent = t("empty_queue");
}

function renderAudit(entries) {
  $("cases").replaceChildren();
  $("empty").hidden = true;
  const body = $("audit").tBodies[0];
  body.replaceChildren();
  for (const entry of entries) {
    const row = el("tr");
    for (const value of [entry.at.replace("T", " ").slice(0, 19), entry.actor, entry.action,
      entry.case ?? "", entry.detail ?? ""]) row.append(el("td", String(value)));
    body.append(row);
  }
  $("audit").hidden = false;
}

function chat(list, lines) {
  list.replaceChildren();
  for (const line of lines) {
    const item = el("li", undefined, line.author);
    item.append(el("span", t(line.author), "who"), line.text);
    list.append(item);
  }
  list.scrollTop = list.scrollHeight;
}

async function openCase(id, automatic = false) {
  const data = await api(`cases/${id}`, undefined, automatic);
  desk.current = id;
  for (const item of $("cases").children) {
    item.classList.toggle("open", Number(item.dataset.case) === id);
  }
  if (!automatic) $("case-error").textContent = "";
  renderCase(data);
}

function renderCase(c) {
  $("case").hidden = false;
  $("case").dataset.status = c.status;
  const [line1, line2] = rowText(c);
  $("case-title").textContent = (c.urgent ? t("urgent") + " · " : "") + line1;
  $("case-meta").textContent = line2;
  $("consent").textContent = t("consent", { consent: c.consent });
  const summary = $("summary");
  summary.replaceChildren();
  for (const [label, value] of c.summary) summary.append(el("dt", label), el("dd", value));
  chat($("transcript"), c.transcript || []);
  $("no-transcript").textContent = c.transcript === null ? t("no_transcript") : "";
  chat($("live"), c.live);
  const notes = $("notes");
  notes.replaceChildren();
  for (const note of c.notes) notes.append(el("li", `${note.author}: ${note.text}`));
  const open = ["pending", "claimed"].includes(c.status);
  const mayHandle = c.mine || !c.counsellor || desk.me.reads_audit;
  $("claim").hidden = c.status !== "pending";
  $("reply-form").hidden = !(c.status === "claimed" && c.mine);
  $("transfer-box").hidden = !(open && mayHandle);
  $("close-box").hidden = !(["pending", "claimed", "ended"].includes(c.status) && mayHandle);
  fillSelect($("outcome"), Object.entries(c.outcomes));
  const targets = desk.options.networks.filter((n) => n.id !== c.network)
    .map((n) => ["network:" + n.id, t("to_network", { network: n.name })]);
  if (c.status === "claimed") {
    for (const person of desk.options.counsellors) targets.unshift(["login:" + person.login, person.name]);
  }
  fillSelect($("transfer-to"), targets);
  $("feedback").textContent = c.feedback ? t("feedback_" + c.feedback) : t("feedback_none");
}

function fillSelect(select, pairs) {
  const keep = select.value;
  select.replaceChildren(...pairs.map(([value, label]) => new Option(label, value)));
  if (pairs.some(([value]) => value === keep)) select.value = keep;
}

async function act(action, body = {}) {
  const id = desk.current;
  const data = await api(`cases/${id}/${action}`, body);
  $("case-error").textContent = "";
  if (data.gone) {
    desk.current = null;
    $("case").hidden = true;
  } else {
    renderCase(data);
  }
  await refresh();
}

async function send(action) {
  // the box is emptied at once and filled again if the message could not be stored
  const box = $(action);
  const text = box.value.trim();
  if (!text) return;
  box.value = "";
  try {
    await act(action, { text });
  } catch (error) {
    box.value = text;
    throw error;
  }
}

function on(id, event, run) {
  $(id).addEventListener(event, (e) => {
    if (event === "submit") e.preventDefault();
    run(e).catch(handle);
  });
}

function wire() {
  on("login-form", "submit", async (e) => {
    const form = new FormData(e.target);
    desk.audio = desk.audio || new AudioContext(); // a click allows sound later
    try {
      const me = await api("login", Object.fromEntries(form));
      e.target.reset();
      await showDesk(me);
    } catch (error) {
      $("login-error").textContent = t(error.message);
    }
  });
  on("logout", "click", async () => {
    await api("logout", {});
    showLogin("");
  });
  on("notify-on", "click", async () => {
    if ("Notification" in window) await Notification.requestPermission();
  });
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      desk.tab = button.dataset.tab;
      for (const other of document.querySelectorAll(".tabs button")) {
        other.classList.toggle("active", other === button);
      }
      $("list-title").textContent = button.textContent;
      refresh().catch(handle);
    });
  }
  on("claim", "click", () => act("claim"));
  $("quick").addEventListener("change", () => {
    if ($("quick").value) $("reply").value = $("quick").value;
    $("quick").value = "";
  });
  on("reply-form", "submit", () => send("reply"));
  on("note-form", "submit", () => send("note"));
  on("transfer-form", "submit", async () => {
    const [kind, value] = $("transfer-to").value.split(":");
    if (!value) return;
    await act("transfer", kind === "login" ? { login: value } : { network: value });
  });
  on("close-form", "submit", () => act("close", { outcome: $("outcome").value }));
}

async function start() {
  wire();
  desk.texts = await (await fetch("/desk/api/texts", { credentials: "same-origin" })).json();
  try {
    await showDesk(await api("me", undefined, true));
  } catch (error) {
    showLogin(error instanceof SignedOut ? "" : t("reconnecting"));
  }
}

document.addEventListener("DOMContentLoaded", () => start().catch(handle));
