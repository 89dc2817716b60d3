// The agent desktop: sign in, set your state, see who is calling the moment the call is offered,
// take notes, transfer the caller to a queue or another agent, and wrap the call up (disposition, an
// optional case, then ready or not ready).
// Fed by /ws/agents/{id}: offer -> screenpop -> answered -> ended (or withdrawn), and state changes.

import {
  LiveSocket, STATE_LABELS, apiWith, dateTime, duration, el, keyboardShortcuts, options, serverClock, showLink, since,
  stored, unixSeconds,
} from "/static/common.js";

const $ = (id) => document.getElementById(id);
const SESSION = "ccserver.agent-desktop";

const desk = {
  api: null,
  agentId: null,
  socket: null,
  state: null, // {state, reason, since (unix s), pending, wrapup_until}
  reasons: [], // [{code, label}]
  dispositions: [], // [{code, label}]
  call: null, // see newCall()
};

// ---- signing in and out ------------------------------------------------------------------------------

async function signInWithPassword(event) {
  event.preventDefault();
  const form = event.target;
  $("signin-error").textContent = "";
  try {
    const body = { extension: form.extension.value.trim(), password: form.password.value };
    const opened = await apiWith(null)("POST", "/api/v1/agent-sessions", body);
    form.reset();
    await start({ agentId: opened.agent_id, key: opened.key });
  } catch (error) {
    $("signin-error").textContent = error.message;
  }
}

async function signInWithKey(event) {
  event.preventDefault();
  const form = event.target;
  $("signin-error").textContent = "";
  const session = { agentId: form.agent_id.value.trim(), key: form.key.value.trim() };
  form.reset();
  await start(session);
}

async function start(session) {
  desk.api = apiWith(session.key);
  desk.agentId = session.agentId;
  try {
    const agentPath = `/api/v1/agents/${encodeURIComponent(session.agentId)}`;
    const [agent, reasons, dispositions, queues] = await Promise.all([
      desk.api("GET", agentPath),
      desk.api("GET", "/api/v1/not-ready-reasons"),
      desk.api("GET", "/api/v1/dispositions?active_only=true"),
      desk.api("GET", "/api/v1/queues"),
    ]);
    $("who").textContent = `${agent.name} · ${agent.extension}`;
    desk.reasons = reasons.map((r) => ({ value: r.code, label: r.label }));
    desk.dispositions = dispositions.map((d) => ({ value: d.code, label: d.label }));
    options($("transfer").queue, queues.map((q) => ({ value: q.name, label: q.name })), { placeholder: "Choose…" });
    setState(agent.state);
  } catch (error) {
    const refused = [401, 403, 404, 422].includes(error.status);
    showSignIn(refused ? `Sign-in refused: ${error.message}` : error.message, { forget: refused });
    return;
  }
  stored.save(SESSION, session);
  options($("reason"), desk.reasons, { placeholder: "reason…" });
  $("signin").hidden = true;
  $("desk").hidden = false;
  $("state").hidden = false;
  renderCall();
  desk.socket = new LiveSocket({
    path: `/ws/agents/${encodeURIComponent(session.agentId)}`, key: session.key, resume: true, onFrame,
    onStatus: (status, why) => {
      showLink($("link"), status, why);
      if (status === "refused") showSignIn(`The server closed the desktop stream: ${why}. Sign in again.`);
    },
  });
  desk.socket.start();
}

function showSignIn(why = "", { forget = true } = {}) {
  if (desk.socket) desk.socket.stop();
  if (forget) stored.forget(SESSION);
  Object.assign(desk, { api: null, agentId: null, socket: null, state: null, call: null });
  $("desk").hidden = true;
  $("state").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = why;
  $("who").textContent = "";
  $("state-timer").textContent = $("pending").textContent = "";
  showLink($("link"), "offline");
  document.title = "Agent desktop · ccserver";
  $("signin-form").extension.focus();
}

// ---- the stream --------------------------------------------------------------------------------------

function onFrame(frame) {
  const data = frame.data || {};
  const ours = desk.call !== null && desk.call.id === data.call_id;
  switch (frame.kind) {
    case "snapshot":
      serverClock.saw(frame.at);
      onSnapshot(data);
      break;
    case "state":
      setState(data);
      break;
    case "offer":
      if (desk.call && desk.call.phase === "ended") say("The last call was left without a disposition.");
      desk.call = newCall(data);
      $("call-notes").value = "";
      $("transfer").reset();
      break;
    case "screenpop":
      if (ours) desk.call.pop = data;
      break;
    case "answered":
      if (ours) Object.assign(desk.call, { phase: "talking", answeredAt: unixSeconds(data.at) });
      break;
    case "ended":
      if (!ours && (desk.call === null || desk.call.phase !== "ended")) desk.call = newCall(data);
      if (desk.call.id === data.call_id) endCall(data.talk_s);
      break;
    case "withdrawn":
      if (ours && desk.call.phase !== "ended") {
        desk.call = null;
        say(`The call went elsewhere: ${data.reason || "withdrawn"}.`);
      }
      break;
    default:
      return;
  }
  renderCall();
}

/** Where things stand (after a restart of ccserver, or a long disconnection): replaces what the page shows. */
function onSnapshot({ state, call }) {
  if (state && state.state) setState(state);
  else refreshState(); // the stream has no word on the state yet: the record has
  if (call && call.call_id) {
    if (!desk.call || desk.call.id !== call.call_id) desk.call = newCall(call);
    desk.call.offer = call;
    if ("customer" in call || "error" in call) desk.call.pop = call;
    if (call.at) Object.assign(desk.call, { phase: "talking", answeredAt: unixSeconds(call.at) });
  } else if (desk.call && desk.call.phase !== "ended") {
    desk.call = null; // gone while we were away; a call being wrapped up stays until it is done
  }
}

// ---- the agent's state --------------------------------------------------------------------------------

function setState(state) {
  desk.state = { ...state, since: unixSeconds(state.since), wrapup_until: unixSeconds(state.wrapup_until) };
  const { state: name, reason, pending } = desk.state;
  const reasonLabel = desk.reasons.find((r) => r.value === reason)?.label || reason;
  $("state").textContent = (STATE_LABELS[name] || name) + (name === "not_ready" && reason ? ` · ${reasonLabel}` : "");
  $("state").dataset.state = name;
  $("pending").textContent = pending ? `then ${STATE_LABELS[pending] || pending}` : "";
  $("btn-ready").setAttribute("aria-pressed", String(name === "ready"));
  $("btn-not-ready").setAttribute("aria-pressed", String(name === "not_ready"));
  tick();
}

async function refreshState() {
  try {
    setState((await desk.api("GET", `/api/v1/agents/${encodeURIComponent(desk.agentId)}`)).state);
  } catch (error) {
    say(error.message);
  }
}

async function askState(state, reason) {
  const body = reason ? { state, reason } : { state };
  setState(await desk.api("POST", `/api/v1/agents/${encodeURIComponent(desk.agentId)}/state`, body));
}

async function fromButton(state) {
  const reason = state === "not_ready" ? $("reason").value : undefined;
  if (state === "not_ready" && !reason) {
    say("Pick a reason first.");
    $("reason").focus();
    return;
  }
  try {
    await askState(state, reason);
    say("");
  } catch (error) {
    say(error.message);
  }
}

// ---- the call ----------------------------------------------------------------------------------------------

function newCall(offer) {
  return {
    id: offer.call_id, offer, pop: null, phase: "ringing", answeredAt: null, talkS: null, caseId: null,
  };
}

function endCall(talkS) {
  const call = desk.call;
  const firstTime = call.phase !== "ended";
  Object.assign(call, { phase: "ended", talkS: talkS ?? (call.answeredAt ? serverClock.now() - call.answeredAt : null) });
  if (firstTime) openWrapUp();
}

function renderCall() {
  const call = desk.call;
  $("idle").hidden = call !== null;
  $("pop").hidden = call === null;
  document.title = call ? `${callerOf(call)} · Agent desktop` : "Agent desktop · ccserver";
  if (call === null) {
    $("call-notes").value = "";
    $("wrapup").hidden = true;
    return;
  }
  const { offer, phase } = call;
  $("pop").dataset.phase = phase;
  $("pop").dataset.callId = call.id;
  const ringing = offer.callback ? "Callback request · your phone rings" : "Incoming call · your phone rings";
  $("pop-status").textContent = { ringing, talking: "On the call", ended: "Call ended · wrap up" }[phase];
  $("pop-caller").textContent = callerOf(call);
  const number = offer.callback_number || offer.caller_number;
  $("pop-number").textContent = offer.caller_name && number ? number : "";
  renderPop(call.pop);
  $("transfer").hidden = phase !== "talking";
  $("notes-box").hidden = phase === "ended";
  $("wrapup").hidden = phase !== "ended";
  tick();
}

function callerOf({ offer }) {
  return offer.caller_name || offer.callback_number || offer.caller_number || "Unknown caller";
}

function renderPop(pop) {
  const customer = pop?.customer;
  const name = !pop ? "Looking up…" : pop.error ? "Details could not be read" : customer ? customer.name
    : "Not a known customer";
  $("pop-customer-name").textContent = name;
  $("pop-customer-name").classList.toggle("unknown", !customer);
  facts($("pop-customer-facts"), customer ? [
    ["Account", customer.account_number], ["Tier", customer.tier, `tier tier-${customer.tier}`],
    ["Language", customer.language],
    ["Phones", customer.phones.map((p) => (p.label ? `${p.number} (${p.label})` : p.number)).join(", ")],
  ] : pop?.error ? [["Why", pop.error]] : []);
  const crm = $("pop-crm");  // the queue's external CRM page (screenpop_url), opened by the agent
  crm.hidden = !/^https?:\/\//.test(pop?.crm_url ?? "");
  if (crm.hidden) crm.removeAttribute("href"); else crm.href = pop.crm_url;

  const ivr = pop?.ivr;
  $("pop-ivr-flow").textContent = ivr ? ivr.flow : "";
  $("pop-ivr-path").replaceChildren(...(ivr ? ivr.path.map((step) => el("li", {}, step))
    : [el("li", { class: "empty" }, pop ? "Did not go through the IVR" : "…")]));
  facts($("pop-collected"), ivr ? [
    ...Object.entries(ivr.collected).map(([k, v]) => [k.replaceAll("_", " "),
      typeof v === "object" ? JSON.stringify(v) : String(v)]),
    ["Outcome", ivr.outcome],
  ] : []);

  list($("pop-cases"), pop?.open_cases, "No open cases", (c) => [
    el("strong", {}, c.subject),
    el("span", { class: "meta" }, [c.status, c.priority ? `priority ${c.priority}` : null,
      c.sla_due_at ? `due ${dateTime(c.sla_due_at)}` : null].filter(Boolean).join(" · ")),
  ]);
  list($("pop-history"), pop?.history, "No earlier calls", (h) => [
    el("strong", {}, dateTime(h.started_at)),
    el("span", { class: "meta" }, [h.direction, h.outcome].filter(Boolean).join(" · ")),
    ...h.dispositions.map((d) => el("span", { class: "disposition" }, d.label + (d.notes ? `: ${d.notes}` : ""))),
  ]);
}

/** `facts(dl, [[label, value, class?], ...])`; empty values are left out. */
function facts(dl, rows) {
  dl.replaceChildren(...rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v, cls]) => [el("dt", {}, k), el("dd", { class: cls }, v)]));
}

function list(ul, items, none, render) {
  if (!items) ul.replaceChildren(el("li", { class: "empty" }, "…"));
  else if (!items.length) ul.replaceChildren(el("li", { class: "empty" }, none));
  else ul.replaceChildren(...items.map((item) => el("li", {}, ...render(item))));
}

// ---- transfer -------------------------------------------------------------------------------------------

/** A blind transfer of the call in hand; the call then leaves this desk (`ended` on the stream, wrap-up). */
async function transfer(event) {
  event.preventDefault();
  const form = event.target;
  const [queue, extension] = [form.queue.value, form.extension.value.trim()];
  if (!desk.call || desk.call.phase !== "talking") return;
  if (!queue && !extension) {
    say("Choose a queue or type an agent's extension to transfer to.");
    form.queue.focus();
    return;
  }
  const where = queue ? `queue ${queue}` : `extension ${extension}`;
  form.inert = true;
  try {
    const path = `/api/v1/agents/${encodeURIComponent(desk.agentId)}/transfer`;
    await desk.api("POST", path, queue ? { queue } : { extension });
    say(`Transferred to ${where}.`);
    form.reset();
  } catch (error) {
    say(`The transfer to ${where} did not go through: ${error.message}`);
  } finally {
    form.inert = false;
  }
}

// ---- wrap-up ---------------------------------------------------------------------------------------------

function openWrapUp() {
  const form = $("wrapup");
  form.reset();
  options(form.code, desk.dispositions, { placeholder: "Choose…" });
  options(form.reason, desk.reasons, { placeholder: "reason…", selected: $("reason").value });
  form.notes.value = $("call-notes").value;
  const customer = desk.call.pop?.customer;
  $("case-for").textContent = `For ${customer ? customer.name : "no known customer"}, on this call.`;
  $("wrapup-error").textContent = "";
  requestAnimationFrame(() => form.code.focus());
}

async function wrapUp(event) {
  event.preventDefault();
  const form = event.target;
  const call = desk.call;
  const then = event.submitter?.value || "ready";
  const reason = then === "not_ready" ? form.reason.value : undefined;
  if (!call) return;
  if (then === "not_ready" && !reason) {
    $("wrapup-error").textContent = "Pick the not-ready reason.";
    form.reason.focus();
    return;
  }
  const notes = form.notes.value.trim() || null;
  const subject = form.subject.value.trim();
  $("wrapup-error").textContent = "";
  form.inert = true;
  try {
    const callPath = `/api/v1/calls/${encodeURIComponent(call.id)}/disposition`;
    await desk.api("POST", callPath, { code: form.code.value, notes });
    if (subject && !call.caseId) { // set once: trying again after an error must not open a second case
      const customer_id = call.pop?.customer?.id;
      call.caseId = (await desk.api("POST", "/api/v1/cases", { subject, call_id: call.id, customer_id, note: notes })).id;
    }
    await askState(then, reason);
    if (desk.call === call) desk.call = null;
    renderCall();
    say(`Call wrapped up${call.caseId ? "; case opened" : ""}.`);
  } catch (error) {
    $("wrapup-error").textContent = error.message;
  } finally {
    form.inert = false;
  }
}

// ---- clock and messages -----------------------------------------------------------------------------

function tick() {
  const state = desk.state;
  if (state) {
    const left = state.state === "wrap_up" && state.wrapup_until ? state.wrapup_until - serverClock.now() : null;
    $("state-timer").textContent = left !== null && left > 0 ? `${duration(left)} left` : since(state.since);
  }
  const call = desk.call;
  if (!call) return;
  const waited = call.offer.enqueued_at ? duration((call.answeredAt ?? serverClock.now())
    - unixSeconds(call.offer.enqueued_at)) : null;
  $("pop-meta").textContent = [call.offer.queue && `Queue ${call.offer.queue}`, waited && `waited ${waited}`,
    call.offer.language].filter(Boolean).join(" · ");
  $("call-timer").textContent = call.phase === "talking" ? since(call.answeredAt)
    : call.phase === "ended" ? (call.talkS !== null ? duration(call.talkS) : "") : waited || "";
  $("call-timer-label").textContent = { ringing: "waiting", talking: "talking", ended: "talked" }[call.phase];
}

function say(text) {
  $("message").textContent = text;
}

// ---- start -------------------------------------------------------------------------------------------------

$("signin-form").addEventListener("submit", signInWithPassword);
$("key-form").addEventListener("submit", signInWithKey);
$("wrapup").addEventListener("submit", wrapUp);
$("transfer").addEventListener("submit", transfer);
$("transfer").queue.addEventListener("change", (event) => event.target.value && ($("transfer").extension.value = ""));
$("transfer").extension.addEventListener("input", (event) => event.target.value && ($("transfer").queue.value = ""));
$("btn-ready").addEventListener("click", () => fromButton("ready"));
$("btn-not-ready").addEventListener("click", () => fromButton("not_ready"));
$("btn-logout").addEventListener("click", () => fromButton("logged_out"));
$("btn-signout").addEventListener("click", () => showSignIn("Signed out of this page."));
keyboardShortcuts();
setInterval(tick, 1000);

const session = stored.load(SESSION);
if (session && session.agentId && session.key) start(session);
else showSignIn();
