// What the pages (agent desktop, wallboard, reports) share: the API key kept for the tab, REST calls with
// it, a WebSocket that reconnects (and resumes where it left off), the server's clock, small DOM helpers.

export const STATE_LABELS = {
  ready: "Ready", not_ready: "Not ready", reserved: "Ringing", on_call: "On call", wrap_up: "Wrap-up",
  logged_out: "Logged out",
};

// ---- the sign-in, kept for this browser tab only -------------------------------------------------

export const stored = {
  load(name) {
    try { return JSON.parse(sessionStorage.getItem(name)); } catch { return null; }
  },
  save(name, value) { sessionStorage.setItem(name, JSON.stringify(value)); },
  forget(name) { sessionStorage.removeItem(name); },
};

/**
 * A page opened with an API key (the wallboard, the reports): the key comes from `?key=` (taken once, then
 * removed from the address bar and history), from this tab's storage, or from the page's #signin-form
 * (a `key` field; errors in #signin-error). It is kept for the tab under `session`; then `start(key)`.
 * Without one, `showSignIn()`.
 */
export function signInWithKey(session, { start, showSignIn }) {
  const begin = (key) => {
    stored.save(session, { key });
    start(key);
  };
  document.getElementById("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = event.target.key.value.trim();
    event.target.reset();
    document.getElementById("signin-error").textContent = "";
    begin(key);
  });
  const url = new URL(location.href);
  const fromAddress = url.searchParams.get("key");
  if (fromAddress) {
    url.searchParams.delete("key");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  const key = fromAddress || stored.load(session)?.key;
  if (key) begin(key);
  else showSignIn();
}

// ---- REST ----------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function problemText(status, problem) {
  if (!problem || typeof problem !== "object") return `The server answered ${status}.`;
  const fields = (problem.errors || []).map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`);
  return [problem.detail || problem.title, ...fields].filter(Boolean).join(" ");
}

/**
 * `const api = apiWith(key); await api("POST", "/api/v1/...", body)` -> the JSON answer, or throws ApiError.
 * `await api.file(path, "text/csv")` -> {blob, filename}: a download that needs the key in its header.
 */
export function apiWith(key) {
  async function send(method, path, body, accept) {
    const headers = { Accept: accept };
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { detail: "The server cannot be reached." });
    }
  }

  async function api(method, path, body) {
    const response = await send(method, path, body, "application/json");
    const data = await jsonOf(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  api.file = async (path, accept) => {
    const response = await send("GET", path, undefined, accept);
    if (!response.ok) throw new ApiError(response.status, await jsonOf(response));
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return { blob: await response.blob(), filename: named ? named[1] : "download" };
  };
  return api;
}

async function jsonOf(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return null; }
}

// ---- the live socket -------------------------------------------------------------------------------

const REFUSED = new Set([4401, 4403]); // a bad key or a role that may not: trying again will not help

/**
 * A WebSocket that comes back by itself, with growing pauses (0.5 s doubling to 15 s, jittered).
 * With `resume`, frames carry `epoch` and `seq`: it remembers the last ones and reconnects with
 * `&epoch=E&after=N`, so the server sends what was missed; frames already seen are dropped.
 * `onStatus(status, why)`: "connecting" | "live" | "reconnecting" | "refused".
 * A socket silent for `silentMs` (no frame, not even a heartbeat) is taken as dead and replaced.
 */
export class LiveSocket {
  constructor({ path, key, resume = false, onFrame, onStatus = () => {}, silentMs = 40000 }) {
    Object.assign(this, { path, key, resume, onFrame, onStatus, silentMs });
    this.epoch = null;
    this.seq = 0;
    this.delayMs = LiveSocket.FIRST_DELAY_MS;
    this.stopped = true;
    this.socket = null;
    this.retry = null;
    this.watchdog = null;
    window.addEventListener("online", () => this.socket === null && this.reconnectNow());
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.watchdog);
    if (this.socket) this.socket.close(1000, "page closed");
    this.socket = null;
  }

  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.delayMs = LiveSocket.FIRST_DELAY_MS;
    this.connect();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let url = `${scheme}//${location.host}${this.path}?key=${encodeURIComponent(this.key)}`;
    if (this.resume && this.epoch) url += `&epoch=${encodeURIComponent(this.epoch)}&after=${this.seq}`;
    return url;
  }

  connect() {
    this.onStatus("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.armWatchdog(socket);
    socket.onopen = () => this.onStatus("live");
    socket.onmessage = (event) => this.received(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event);
  }

  received(socket, text) {
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    this.delayMs = LiveSocket.FIRST_DELAY_MS; // the server answered: a later drop starts the pauses anew
    this.armWatchdog(socket);
    if (this.resume) {
      const seen = frame.epoch === this.epoch && frame.seq <= this.seq && frame.kind !== "snapshot";
      if (frame.kind === "heartbeat" || seen) {
        if (frame.kind === "heartbeat") [this.epoch, this.seq] = [frame.epoch, frame.seq];
        return;
      }
      [this.epoch, this.seq] = [frame.epoch, frame.seq];
    }
    this.onFrame(frame);
  }

  closed(socket, event) {
    if (socket !== this.socket) return; // an old socket, already replaced
    this.socket = null;
    clearTimeout(this.watchdog);
    if (this.stopped) return;
    if (REFUSED.has(event.code)) {
      this.stopped = true;
      this.onStatus("refused", event.reason || "the key was refused");
      return;
    }
    this.onStatus("reconnecting", event.reason);
    const pause = this.delayMs * (0.75 + Math.random() * 0.5);
    this.delayMs = Math.min(this.delayMs * 2, LiveSocket.MAX_DELAY_MS);
    this.retry = setTimeout(() => this.connect(), pause);
  }

  armWatchdog(socket) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      // A half-open connection may never fire `close`: let it go and start another one now.
      socket.onclose = null;
      socket.close(4000, "silent too long");
      this.closed(socket, { code: 4000, reason: "no news from the server" });
    }, this.silentMs);
  }
}
LiveSocket.FIRST_DELAY_MS = 500;
LiveSocket.MAX_DELAY_MS = 15000;

// ---- time --------------------------------------------------------------------------------------------

/** The server's clock as seen from here: timers count from the server's times, whatever this PC's clock says. */
export const serverClock = {
  offsetS: 0,
  saw(at) {
    const seconds = unixSeconds(at);
    if (seconds !== null) this.offsetS = seconds - Date.now() / 1000;
  },
  now() { return Date.now() / 1000 + this.offsetS; },
};

/** Unix seconds from a number (already seconds) or an ISO 8601 text; null for nothing. */
export function unixSeconds(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h ? `${h}:${pad(m)}:${pad(rest)}` : `${m}:${pad(rest)}`;
}

export function since(start) {
  const at = unixSeconds(start);
  return at === null ? "" : duration(serverClock.now() - at);
}

export function dateTime(value) {
  const at = unixSeconds(value);
  if (at === null) return "";
  return new Date(at * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

// ---- DOM -----------------------------------------------------------------------------------------------

/** `el("li", {class: "x", testid: "y", title: "t"}, "text", child)`: text goes in as text, never as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "testid") node.dataset.testid = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function options(select, items, { placeholder = null, selected = "" } = {}) {
  const choices = items.map(({ value, label }) => el("option", { value }, label));
  if (placeholder !== null) choices.unshift(el("option", { value: "" }, placeholder));
  select.replaceChildren(...choices);
  select.value = selected;
}

/**
 * Alt+<letter> presses the visible button whose `aria-keyshortcuts` is "Alt+<letter>" (the attribute also
 * tells screen readers). Not `accesskey`: its modifiers differ between browsers (Alt+Shift in Firefox).
 */
export function keyboardShortcuts() {
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || !event.code.startsWith("Key")) return;
    const button = document.querySelector(`[aria-keyshortcuts="Alt+${event.code.slice(3)}"]`);
    if (!button || button.disabled || button.offsetParent === null) return;
    event.preventDefault();
    if (!event.repeat) button.click();
  });
}

/** The connection indicator in both pages' headers. */
export function showLink(node, status, why = "") {
  const words = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", refused: "refused" };
  node.textContent = words[status] || status;
  node.dataset.status = status;
  node.title = why || "";
}
