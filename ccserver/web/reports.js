// The KPI report: pick whole UTC days and a grouping (queue, agent, hour); see the KPIs of
// GET /api/v1/reports/kpis as a table with the overall row, a few bar charts, and the same as CSV.
// Every figure's formula is in the README ("KPIs").

import { barList, hourChart } from "/static/charts.js";
import { apiWith, duration, el, signInWithKey, stored } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const SESSION = "ccserver.reports";
const DAY_MS = 86_400_000;
const REFUSED = [401, 403];

const count = (n) => (n === null ? "—" : String(n));
const seconds = (s) => (s === null ? "—" : duration(Math.round(s)));
const percent = (p) => (p === null ? "—" : `${p.toFixed(1)}%`);

// [field, heading, format, what it means, groupings it has no meaning for]
const COLUMNS = [
  ["answered", "Answered", count, "Calls answered by an agent"],
  ["abandoned", "Abandoned", count, "Callers who hung up before an answer", ["agent"]],
  ["handled", "Handled", count, "Calls whose agent part ended"],
  ["service_level_pct", "Service level", percent, "Answered within the queue's threshold, of answered + abandoned",
    ["agent"]],
  ["abandon_rate_pct", "Abandon rate", percent, "Abandoned, of answered + abandoned", ["agent"]],
  ["asa_s", "ASA", seconds, "Average speed of answer"],
  ["avg_queue_time_s", "Avg queue", seconds, "Average wait of answered and abandoned calls", ["agent"]],
  ["aht_s", "AHT", seconds, "Average handle time: talk, hold and after-call work"],
  ["avg_acw_s", "Avg ACW", seconds, "Average after-call work (wrap-up)"],
  ["avg_hold_s", "Avg hold", seconds, "Average hold per answered call"],
  ["occupancy_pct", "Occupancy", percent, "Talk, of talk + ready", ["queue"]],
  ["ready_ratio_pct", "Ready", percent, "Ready, of logged-in time", ["queue"]],
  ["fcr_pct", "FCR", percent, "First-contact resolution: the caller did not call in again within 7 days"],
];

const page = { api: null, shown: null, asked: 0 }; // shown: {query, report}; asked: counts the reads

// ---- signing in --------------------------------------------------------------------------------------

function start(key) {
  page.api = apiWith(key);
  $("signin").hidden = true;
  $("report").hidden = false;
  $("btn-signout").hidden = false;
  const today = new Date().toISOString().slice(0, 10);
  const form = $("report-form");
  if (!form.from.value) [form.from.value, form.to.value] = [today, today];
  show();
}

function showSignIn(why = "") {
  stored.forget(SESSION);
  Object.assign(page, { api: null, shown: null, asked: page.asked + 1 });
  $("report").hidden = true;
  $("btn-signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = why;
}

// ---- the report ----------------------------------------------------------------------------------------

/** The form's window and grouping as the API's query, or null (and why) when the days make no window. */
function queryOf(form) {
  const [from, to] = [Date.parse(`${form.from.value}T00:00:00Z`), Date.parse(`${form.to.value}T00:00:00Z`)];
  if (Number.isNaN(from) || Number.isNaN(to)) return [null, "Choose both days."];
  if (to < from) return [null, "The last day is before the first."];
  const query = new URLSearchParams({
    from: new Date(from).toISOString(), to: new Date(to + DAY_MS).toISOString(), group_by: form.group_by.value,
  });
  return [query, ""];
}

async function show(event) {
  event?.preventDefault();
  const [query, why] = queryOf($("report-form"));
  if (!query) return say(why);
  const asked = ++page.asked;
  say("Reading…");
  try {
    const report = await page.api("GET", `/api/v1/reports/kpis?${query}`);
    if (page.asked !== asked) return; // signed out, or asked again since
    page.shown = { query, report };
    render();
    say("");
  } catch (error) {
    if (REFUSED.includes(error.status)) showSignIn(`The key was refused: ${error.message}`);
    else say(error.message);
  }
}

function render() {
  const { report } = page.shown;
  const by = report.group_by;
  const columns = COLUMNS.filter(([, , , , without]) => !without?.includes(by));
  const rows = $("report-form").hide_empty.checked ? report.groups.filter(hadCalls) : report.groups;
  const days = (Date.parse(report.to) - Date.parse(report.from)) / DAY_MS;
  const span = dayText(report.from) + (days > 1 ? ` to ${dayText(report.to, -1)}` : "");
  const groups = by === "hour" ? "hours" : `${by}s`;
  $("table-title").textContent = `By ${by} · ${span} · ${rows.length} of ${report.groups.length} ${groups}`;
  $("kpi-head").replaceChildren(el("th", { scope: "col" }, by[0].toUpperCase() + by.slice(1)),
    ...columns.map(([, heading, , meaning]) => el("th", { scope: "col", title: meaning }, heading)));
  $("kpi-rows").replaceChildren(...rows.map((row) => tableRow(groupName(row, by, days), row, columns)));
  if (!rows.length) {
    const none = el("td", { colspan: columns.length + 1, class: "meta" }, "No calls in this window.");
    $("kpi-rows").append(el("tr", {}, none));
  }
  $("kpi-overall").replaceChildren(tableRow("Overall", report.overall, columns, "kpi-overall-row"));
  const barName = (row) => row.agent_name || groupName(row, by, days); // the extension is in the table
  $("charts").replaceChildren(...charts(by, rows, report.groups, barName));
}

function hadCalls(row) {
  return row.answered + (row.abandoned ?? 0) + row.handled > 0 || (row.logged_in_s ?? 0) > 0;
}

function tableRow(name, row, columns, testid = "kpi-row") {
  return el("tr", { testid, "data-group": row.group },
    el("th", { scope: "row" }, name),
    ...columns.map(([field, , format]) => el("td", { "data-field": field }, format(row[field]))));
}

function groupName(row, by, days) {
  if (by === "agent") return row.agent_name ? `${row.agent_name} (${row.agent_extension})` : row.group;
  if (by === "hour") return days > 1 ? row.group.slice(0, 16).replace("T", " ") : row.group.slice(11, 16);
  return row.group;
}

function dayText(iso, shiftDays = 0) {
  return new Date(Date.parse(iso) + shiftDays * DAY_MS).toISOString().slice(0, 10);
}

// ---- charts ----------------------------------------------------------------------------------------------

function charts(by, rows, allRows, nameOf) {
  if (by === "hour") {
    return [figure("chart-hours", "Answered and abandoned, by hour (UTC)",
      hourChart(allRows, "Calls by hour", { width: 1200 }))];
  }
  const bars = (field, format) => rows.map((row) => ({
    label: nameOf(row), value: row[field], text: format(row[field]),
  }));
  const first = by === "queue"
    ? figure("chart-sl", "Service level",
      barList(bars("service_level_pct", percent), { label: "Service level", max: 100 }))
    : figure("chart-answered", "Answered", barList(bars("answered", count), { label: "Calls answered" }));
  return [first, figure("chart-aht", "Average handle time", barList(bars("aht_s", seconds), { label: "AHT" }))];
}

function figure(testid, title, chart) {
  return el("figure", { class: "card chart", testid }, el("figcaption", {}, title), chart);
}

// ---- CSV ---------------------------------------------------------------------------------------------------

/** The shown report as CSV: fetched with the key in its header, then handed to the browser as a file. */
async function downloadCsv() {
  const query = page.shown ? new URLSearchParams(page.shown.query) : queryOf($("report-form"))[0];
  if (!query) return;
  query.set("format", "csv");
  try {
    const { blob, filename } = await page.api.file(`/api/v1/reports/kpis?${query}`, "text/csv");
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    say(`No CSV: ${error.message}`);
  }
}

function say(text) {
  $("message").textContent = text;
}

// ---- start -------------------------------------------------------------------------------------------------

$("report-form").addEventListener("submit", show);
$("report-form").hide_empty.addEventListener("change", () => page.shown && render());
$("csv").addEventListener("click", downloadCsv);
$("btn-signout").addEventListener("click", () => showSignIn());

signInWithKey(SESSION, { start, showSignIn });
