// The supervisor's wallboard: a tile per queue, every logged-in agent, and today's calls per hour.
// Fed by /ws/wallboard (GET /api/v1/wallboard's body with `at`: at once, then each second while anything
// changes); the chart comes from /api/v1/reports/kpis?group_by=hour, read again every minute.

import { LiveSocket, STATE_LABELS, apiWith, duration, el, serverClock, showLink, since, stored } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const SESSION = "ccserver.wallboard";
const CHART_EVERY_MS = 60_000;
const SVG = "http://www.w3.org/2000/svg";
const AGENT_STATES = ["ready", "reserved", "on_call", "wrap_up", "not_ready"]; // a queue's agents, in this order

const board = { api: null, socket: null, chartTimer: null };

// ---- signing in --------------------------------------------------------------------------------------

/** A `?key=` in the address is taken once, kept for this tab and removed from the address bar and history. */
function keyFromAddress() {
  const url = new URL(location.href);
  const key = url.searchParams.get("key");
  if (!key) return null;
  url.searchParams.delete("key");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  return key;
}

function start(key) {
  stored.save(SESSION, { key });
  board.api = apiWith(key);
  $("signin").hidden = true;
  $("board").hidden = false;
  $("btn-signout").hidden = false;
  board.socket = new LiveSocket({
    path: "/ws/wallboard", key, onFrame: render, silentMs: 30_000,
    onStatus: (status, why) => {
      showLink($("link"), status, why);
      if (status === "refused") showSignIn(`The key was refused: ${why}.`);
      else if (status === "reconnecting" && why) say(`Reconnecting: ${why}.`);
    },
  });
  board.socket.start();
  drawChart();
  board.chartTimer = setInterval(drawChart, CHART_EVERY_MS);
}

function showSignIn(why = "") {
  if (board.socket) board.socket.stop();
  clearInterval(board.chartTimer);
  stored.forget(SESSION);
  Object.assign(board, { api: null, socket: null, chartTimer: null });
  $("board").hidden = true;
  $("btn-signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = why;
  showLink($("link"), "offline");
}

// ---- the board ---------------------------------------------------------------------------------------

function render(frame) {
  serverClock.saw(frame.at);
  say("");
  $("queues").replaceChildren(...frame.queues.map(queueTile));
  if (!frame.queues.length) $("queues").append(el("p", { class: "meta" }, "No queues are routed."));
  $("agents").replaceChildren(...frame.agents.map(agentRow));
  if (!frame.agents.length) $("agents").append(el("tr", {}, el("td", { colspan: 5, class: "meta" }, "Nobody is logged in.")));
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

function agentRow(agent) {
  return el("tr", { testid: "agent-row", "data-agent-id": agent.id, "data-state": agent.state },
    el("td", { class: "name" }, agent.name),
    el("td", {}, agent.extension),
    el("td", {}, el("span", { class: "badge", "data-state": agent.state }, STATE_LABELS[agent.state] || agent.state)),
    el("td", { class: "timer", "data-since": agent.since }, since(agent.since)),
    el("td", {}, agent.reason || ""));
}

// ---- today's calls per hour ---------------------------------------------------------------------------

async function drawChart() {
  const api = board.api;
  try {
    const report = await api("GET", "/api/v1/reports/kpis?group_by=hour");
    if (board.api === api) $("chart").replaceChildren(barChart(report.groups));
  } catch (error) {
    if (board.api === api) $("chart").replaceChildren(el("p", { class: "error" }, `No chart: ${error.message}`));
  }
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Stacked bars, one per hour: answered (below) and abandoned (on top). */
function barChart(hours) {
  const [width, height, left, bottom, top] = [720, 240, 40, 24, 10];
  const counts = hours.map((h) => ({ hour: new Date(h.group).getUTCHours(), answered: h.answered,
    abandoned: h.abandoned ?? 0 }));
  const max = Math.max(4, ...counts.map((c) => c.answered + c.abandoned));
  const scale = (n) => ((height - bottom - top) * n) / max;
  const step = (width - left) / Math.max(1, counts.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Calls today by hour" });
  for (const tick of [0, Math.round(max / 2), max]) {
    const y = height - bottom - scale(tick);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }),
      svg("text", { x: left - 6, y: y + 5, class: "axis", "text-anchor": "end" }, String(tick)));
  }
  counts.forEach((c, i) => {
    const x = left + i * step + step * 0.15;
    const base = height - bottom;
    const bar = svg("g", { "data-testid": "bar", "data-hour": c.hour, "data-answered": c.answered,
      "data-abandoned": c.abandoned },
    svg("title", {}, `${String(c.hour).padStart(2, "0")}:00 UTC: ${c.answered} answered, ${c.abandoned} abandoned`),
    svg("rect", { x, width: step * 0.7, y: base - scale(c.answered), height: scale(c.answered), class: "answered" }),
    svg("rect", { x, width: step * 0.7, y: base - scale(c.answered + c.abandoned), height: scale(c.abandoned),
      class: "abandoned" }));
    chart.append(bar);
    if (c.hour % 3 === 0) {
      chart.append(svg("text", { x: x + step * 0.35, y: height - 6, class: "axis", "text-anchor": "middle" },
        String(c.hour).padStart(2, "0")));
    }
  });
  const legend = el("p", { class: "legend" }, el("span", { class: "key answered" }), "answered ",
    el("span", { class: "key abandoned" }), "abandoned");
  return el("div", {}, chart, legend);
}

// ---- clock ------------------------------------------------------------------------------------------------

function tick() {
  for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = since(cell.dataset.since);
  $("clock").textContent = new Date(serverClock.now() * 1000).toLocaleTimeString();
}

function say(text) {
  $("message").textContent = text;
}

$("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = event.target.key.value.trim();
  event.target.reset();
  $("signin-error").textContent = "";
  start(key);
});
$("btn-signout").addEventListener("click", () => showSignIn());
setInterval(tick, 1000);

const key = keyFromAddress() || stored.load(SESSION)?.key;
if (key) start(key);
else showSignIn();
