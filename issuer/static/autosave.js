// Autosave of the assessment form (form.judging), so a tablet that sleeps loses nothing.
//
// Progressive: the form works without this file; it adds two things.
// 1. Every change is kept at once in this browser's localStorage, under the assessment's id.
//    Only what the form holds is kept: criterion keys, results, methods and dates. The form
//    has no names or ID numbers, and files and the CSRF token are left out on purpose.
// 2. At most every SAVE_EVERY_MS while there are unsent changes (and when the page is hidden,
//    which is what a sleeping tablet does first), the form is posted to the server's own
//    "save draft" action, so the server draft stays current.
// On load, a kept copy that differs from what the server rendered, while the server still
// holds what it held when the copy was made, is put back into the form with a notice. If the
// server moved on since (a save from this form, or a decision), the server's copy wins.
// The page's policy enforces Trusted Types with no policy: nothing here writes HTML; the
// notice is built with textContent.
"use strict";

(() => {
  const SAVE_EVERY_MS = 20000;
  const form = document.querySelector("form.judging");
  if (!form || !form.dataset.autosaveKey) return;
  const key = form.dataset.autosaveKey;
  // Not `form.action`: the form's buttons are named "action", and a named control shadows it.
  const target = new URL(form.getAttribute("action"), location.href).href;

  // Fields whose value is the assessor's judgment: not the CSRF token, not files, not buttons.
  function fields() {
    return Array.from(form.elements).filter((e) => e.tagName === "INPUT" && e.name
      && e.name !== "csrf_token" && !["file", "hidden", "submit", "button"].includes(e.type));
  }

  // The form's state as one string: every field name, in page order, with its values.
  function snapshot() {
    const state = {};
    for (const e of fields()) {
      const values = state[e.name] || (state[e.name] = []);
      if (e.type === "radio" || e.type === "checkbox") {
        if (e.checked) values.push(e.value);
      } else {
        values.push(e.value);
      }
    }
    return JSON.stringify(state);
  }

  function restore(text) {
    const state = JSON.parse(text);
    for (const e of fields()) {
      const values = state[e.name];
      if (!Array.isArray(values)) continue;  // a field the rubric added since: left as rendered
      if (e.type === "radio" || e.type === "checkbox") {
        e.checked = values.includes(e.value);
      } else {
        e.value = typeof values[0] === "string" ? values[0] : "";
      }
    }
  }

  function read() {
    try {
      const kept = JSON.parse(localStorage.getItem(key) || "null");
      return kept && typeof kept.state === "string" && typeof kept.base === "string" ? kept : null;
    } catch {
      return null;  // storage refused (private mode) or a damaged entry: nothing kept
    }
  }

  function write(kept) {
    try {
      if (kept) localStorage.setItem(key, JSON.stringify(kept));
      else localStorage.removeItem(key);
    } catch {
      // Storage full or refused: the server draft is then the only copy, as without script.
    }
  }

  function notice(text, kind) {
    let p = document.getElementById("autosave-notice");
    if (!p) {
      p = document.createElement("p");
      p.id = "autosave-notice";
      p.setAttribute("role", "status");
      form.before(p);
    }
    p.className = kind;
    p.textContent = text;
  }

  // `base` is the state the server is known to hold: rendered into this page, or sent since.
  const rendered = snapshot();
  let base = rendered;
  const kept = read();
  if (kept && kept.base === rendered && kept.state !== rendered) {
    restore(kept.state);
    base = kept.base;
    notice(form.dataset.restored, "ok");
  } else {
    write(null);  // nothing newer than the server's copy (or the server moved on): drop it
  }

  let timer = null;
  let sending = false;
  let lastSent = 0;

  function keep() {
    const state = snapshot();
    write(state === base ? null : { base, state, at: Date.now() });
    return state;
  }

  async function send(leaving = false) {
    timer = null;
    const state = snapshot();
    if (sending || state === base) return;
    sending = true;
    lastSent = Date.now();
    const body = new FormData();
    // The CSRF token goes with the post (the server checks it), never into storage.
    body.append("csrf_token", form.elements.namedItem("csrf_token").value);
    for (const e of fields()) {
      if ((e.type !== "radio" && e.type !== "checkbox") || e.checked) body.append(e.name, e.value);
    }
    body.append("action", "draft");
    let saved = false;
    try {
      // On success the server redirects back to this very page; a sign-in page or an error
      // (an expired session fails the CSRF check) means the server did not take it.
      // `keepalive` lets the post outlive a page being closed or put away.
      const r = await fetch(target, { method: "POST", body, credentials: "same-origin",
                                           keepalive: leaving });
      saved = r.ok && new URL(r.url).pathname === new URL(target).pathname;
    } catch {
      saved = false;  // offline: the copy on this tablet is all there is
    }
    sending = false;
    if (saved) {
      base = state;
      keep();  // drops the local copy unless the form changed while it was sent
    } else {
      notice(form.dataset.kept, "error");
    }
    if (snapshot() !== base) schedule();
  }

  function schedule() {
    if (timer === null) timer = setTimeout(send, Math.max(0, lastSent + SAVE_EVERY_MS - Date.now()));
  }

  function changed() {
    if (keep() !== base) schedule();
  }

  if (snapshot() !== base) schedule();  // restored entries: sent to the server at once

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // The last entries are kept when the form is sent; what the server then renders decides
  // (on the next load) whether they are still needed.
  form.addEventListener("submit", () => { keep(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && snapshot() !== base) {
      if (timer !== null) clearTimeout(timer);
      send(true);
    }
  });
})();
