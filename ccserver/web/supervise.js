// The supervisor's actions on the wallboard's agent grid: listen to, whisper to or barge into an agent's
// call from the supervisor's own phone (POST /api/v1/agents/{id}/monitor), and force the agent's state
// (POST /api/v1/agents/{id}/state). The answer, or why not, goes to the page's message line.

import { STATE_LABELS, el, stored } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const PHONE = "ccserver.supervisor-phone"; // the supervisor's extension, asked once per tab
const MODES = { // button, what it does now, what it would have done
  listen: ["Listen", "Listening in on", "listen in on"],
  whisper: ["Whisper", "Whispering to the agent on", "whisper to the agent on"],
  barge: ["Barge", "Barging into", "barge into"],
};

export class Supervision {
  /** `say(text)` shows a message; the phone dialog and its button are in wallboard.html. */
  constructor({ say }) {
    this.say = say;
    this.api = null;
    this.reasons = []; // [{code, label}]
    $("phone-button").addEventListener("click", () => this.askPhone());
    document.addEventListener("click", (event) => { // a click elsewhere closes an open "Force state" menu
      for (const menu of document.querySelectorAll("details.menu[open]")) {
        if (!menu.contains(event.target)) menu.open = false;
      }
    });
    this.showPhone();
  }

  async start(api) {
    this.api = api;
    try {
      this.reasons = await api("GET", "/api/v1/not-ready-reasons");
    } catch (error) {
      this.say(`No not-ready reasons: ${error.message}`);
    }
  }

  /** "Team huddle" for its code; the code itself when it is not (yet) known here. */
  reasonLabel(code) {
    return this.reasons.find((r) => r.code === code)?.label || code || "";
  }

  /** The actions cell of an agent's row: made once per agent, kept across the board's updates. */
  cell(agent) {
    const monitor = Object.entries(MODES).map(([mode, [label]]) => {
      const button = el("button", { type: "button", class: "small", testid: `monitor-${mode}`,
        "aria-label": `${label}: ${agent.name}'s call` }, label);
      button.addEventListener("click", () => this.monitor(agent, mode));
      return button;
    });
    return el("td", { class: "actions" }, ...monitor, this.stateMenu(agent));
  }

  /** "Force state": Ready, Not ready with each reason, Log out; the reasons as they are when it opens. */
  stateMenu(agent) {
    const list = el("div", { class: "menu-items" });
    const menu = el("details", { class: "menu", testid: "force-state" },
      el("summary", { class: "small", "aria-label": `Force ${agent.name}'s state` }, "Force state"), list);
    menu.addEventListener("toggle", () => {
      if (!menu.open) return;
      const choices = [["ready", null, "Ready"],
        ...this.reasons.map((r) => ["not_ready", r.code, `Not ready · ${r.label}`]), ["logged_out", null, "Log out"]];
      list.replaceChildren(...choices.map(([state, reason, label]) => {
        const button = el("button", { type: "button", testid: "force-choice", "data-state": state,
          "data-reason": reason }, label);
        button.addEventListener("click", () => {
          menu.open = false;
          menu.querySelector("summary").focus();
          this.forceState(agent, state, reason);
        });
        return button;
      }));
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
    return menu;
  }

  async monitor(agent, mode) {
    const extension = stored.load(PHONE) || (await this.askPhone());
    if (!extension) return;
    const path = `/api/v1/agents/${encodeURIComponent(agent.id)}/monitor`;
    try {
      await this.api("POST", path, { mode, extension });
      this.say(`${MODES[mode][1]} ${agent.name}'s call: your phone (${extension}) rings now.`);
    } catch (error) {
      this.say(`Could not ${MODES[mode][2]} ${agent.name}'s call: ${error.message}`);
    }
  }

  async forceState(agent, state, reason) {
    const path = `/api/v1/agents/${encodeURIComponent(agent.id)}/state`;
    try {
      const now = await this.api("POST", path, reason ? { state, reason } : { state });
      const label = (s) => (STATE_LABELS[s] || s).toLowerCase();
      if (now.pending) this.say(`${agent.name}: ${label(now.pending)} once the call and its wrap-up are over.`);
      else if (now.state === state) this.say(`${agent.name} is now ${label(state)}.`);
      else this.say(`${agent.name} was made ${label(state)} and is now ${label(now.state)}.`); // e.g. a call rang
    } catch (error) {
      this.say(`${agent.name}: ${error.message}`);
    }
  }

  /** Asks for the supervisor's extension; resolves to it, or null when cancelled. */
  askPhone() {
    const dialog = $("phone-dialog");
    const form = dialog.querySelector("form");
    form.extension.value = stored.load(PHONE) || "";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        const extension = form.extension.value.trim();
        if (dialog.returnValue === "save" && extension) stored.save(PHONE, extension);
        this.showPhone();
        resolve(dialog.returnValue === "save" ? extension : null);
      }, { once: true });
    });
  }

  showPhone() {
    const extension = stored.load(PHONE);
    $("phone-button").textContent = extension ? `Your phone: ${extension}` : "Set your phone";
  }
}
