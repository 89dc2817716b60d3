// The supervisor's wallboard: a tile per queue, every logged-in agent (with the supervisor's actions, see
// supervise.js), and today's calls per hour. Fed by /ws/wallboard (GET /api/v1/wallboard's body with `at`:
// at once, then each second while anything changes); the chart comes from
// /api/v1/reports/kpis?group_by=hour, read again every minute.

import { hourChart } from "/static/charts.js";
import {
  LiveSocket, STATE_LABELS, apiWith, duration, el, serverClock, showLink, signInWithKey, since, stored,
} from "/static/common.js";
import { Supervision } from "/static/supervise.js";

const $ = (id) => document.getElementById(id);
const SESSION = "ccserver.wallboard";
const CHART_EVERY_MS = 60_000;
const AGENT_STATES = ["ready", "reserved", "on_call", "wrap_up", "not_ready"]; // a queue's agents, in this order

const board = { api: null, socket: null, chartTimer: null, rows: new Map() }; // rows: agent id -> <tr>
const supervision = new Supervision({ say });

// ---- signing in --------------------------------------------------------------------------------------

function start(key) {
  board.api = apiWith(key);
  $("signin").hidden = true;
  $("board").hidden = false;
  $("btn-signout").hidden = false;
  board.socket = new LiveSocket({
    path: "/ws/wallboard", key, onFrame: render, silentMs: 30_000,
    onStatus: (status, why) => {
      showLink($("link"), status, why);
      if (status === "refused") showSignIn(`The key was refused: ${why}.`);
      else if (status === "reconnecting" && why) say(`Reconnecting: ${why}.`, "link");
    },
  });
  board.socket.start();
  supervision.start(board.api);
  drawChart();
  board.chartTimer = setInterval(drawChart, CHART_EVERY_MS);
}

function showSignIn(why = "") {
  if (board.socket) board.socket.stop();
  clearInterval(board.chartTimer);
  stored.forget(SESSION);
  board.rows.forEach((row) => row.remove());
  Object.assign(board, { api: null, socket: null, chartTimer: null, rows: new Map() });
  $("board").hidden = true;
  $("btn-signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = why;
  showLink($("link"), "offline");
}

// ---- the board ---------------------------------------------------------------------------------------

function render(frame) {
  serverClock.saw(frame.at);
  if ($("message").dataset.about === "link") say(""); // the board is back: the reconnecting note is old news
  $("queues").replaceChildren(...frame.queues.map(queueTile));
  if (!frame.queues.length) $("queues").append(el("p", { class: "meta" }, "No queues are routed."));
  showAgents(frame.agents);
  $("agent-count").textContent = `${frame.agents.length} logged in`;
  tick();
}

function queueTile(queue) {
  const { live, today } = queue;
  const sl = today.service_level_pct;
  const level = sl === null ? "none" : sl >= queue.sl_target_pct ? "good" : sl >= queue.sl_target_pct - 10 ? "warn" : "bad";
  const finished = today.answered + today.abandoned;
  const abandonPct = finished ? (100 * today.abandoned) / finished : null;
  const asa = today.asa_s === null ? "—" : duration(today.asa_s);
  return el("article", { class: `tile sl-${level}`, testid: "queue-tile", "data-queue": queue.name },
    el("h2", {}, queue.name),
    el("div", { class: "figures" },
      figure("waiting", "Waiting", live.waiting, live.waiting ? "hot" : "",
        live.callbacks_waiting ? `+${live.callbacks_waiting} callback${live.callbacks_waiting > 1 ? "s" : ""}` : ""),
      figure("longest", "Longest wait", live.waiting ? duration(live.longest_wait_s) : "—", ""),
      figure("sl", "Service level", percent(sl), `level-${level}`,
        `target ${queue.sl_target_pct}% in ${queue.sl_threshold_s} s`),
      figure("abandon", "Abandoned", percent(abandonPct), "", `${today.abandoned} of ${finished}`)),
    el("p", { class: "agent-states", testid: "queue-agents" },
      ...AGENT_STATES.map((state) => el("span", { class: "chip", "data-state": state },
        el("b", {}, String(live.agents[state])), ` ${STATE_LABELS[state].toLowerCase()}`))),
    el("p", { class: "meta", testid: "queue-today" },
      `Today: ${today.offered} offered · ${today.answered} answered · ASA ${asa}`));
}

function figure(name, label, value, cls, note = "") {
  return el("div", { class: `figure ${cls}`, testid: `queue-${name}` },
    el("span", { class: "value" }, String(value)), el("span", { class: "label" }, label),
    note ? el("span", { class: "note" }, note) : null);
}

function percent(value) {
  return value === null ? "—" : `${Math.round(value)}%`;
}

/**
 * The agent grid, row by row in place: a row (and its buttons, focus and open menu) stays while its agent
 * is logged in, however often the board is pushed.
 */
function showAgents(agents) {
  const body = $("agents");
  const here = new Set(agents.map((a) => a.id));
  for (const [id, row] of board.rows) {
    if (!here.has(id)) {
      row.remove();
      board.rows.delete(id);
    }
  }
  agents.forEach((agent, index) => {
    if (!board.rows.has(agent.id)) board.rows.set(agent.id, agentRow(agent));
    const row = board.rows.get(agent.id);
    fillRow(row, agent);
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
  });
  $("no-agents").hidden = agents.length > 0;
}

function agentRow(agent) {
  return el("tr", { testid: "agent-row", "data-agent-id": agent.id },
    el("td", { class: "name" }, agent.name),
    el("td", {}, agent.extension),
    el("td", {}, el("span", { class: "badge" })),
    el("td", { class: "timer" }),
    el("td", { class: "reason" }),
    supervision.cell(agent));
}

function fillRow(row, agent) {
  const [, , state, timer, reason] = row.children;
  row.dataset.state = agent.state;
  state.firstChild.dataset.state = agent.state;
  state.firstChild.textContent = STATE_LABELS[agent.state] || agent.state;
  timer.dataset.since = agent.since;
  timer.textContent = since(agent.since);
  reason.textContent = supervision.reasonLabel(agent.reason);
}

// ---- today's calls per hour ---------------------------------------------------------------------------

async function drawChart() {
  const api = board.api;
  try {
    const report = await api("GET", "/api/v1/reports/kpis?group_by=hour");
    if (board.api === api) $("chart").replaceChildren(hourChart(report.groups, "Calls today by hour"));
  } catch (error) {
    if (board.api === api) $("chart").replaceChildren(el("p", { class: "error" }, `No chart: ${error.message}`));
  }
}

// ---- clock ------------------------------------------------------------------------------------------------

function tick() {
  for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = since(cell.dataset.since);
  $("clock").textContent = new Date(serverClock.now() * 1000).toLocaleTimeString();
}

/** The message line: what the supervisor's last action did, or (`about` "link") why the board is not live. */
function say(text, about = "action") {
  $("message").textContent = text;
  $("message").dataset.about = about;
}

$("btn-signout").addEventListener("click", () => showSignIn());
setInterval(tick, 1000);

signInWithKey(SESSION, { start, showSignIn });
