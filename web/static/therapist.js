// The therapist's page: PIN, patients, targets (by hand or by demonstration), routine, calibration.
// Every change goes through the JSON API, which checks it. A refusal's message names the field as
// this page labels it, and the field's input is marked (aria-invalid) and focused.
"use strict";
(() => {
  const { call, el, label, when } = window.pfsense;
  const $ = (id) => document.getElementById(id);
  const TECHNIQUES = ["rolling", "deep_tissue", "cross_fiber_friction", "myofascial_release", "trigger_point", "calf_release"];
  const ZONES = ["heel", "arch", "forefoot", "calf"];
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  let shown = null; // the open patient, as the server last gave it
  let refusal = {}; // the last refusal's details (its field, who has a name already)
  let marked = [];

  function say(text, problem) {
    $("message").textContent = text;
    $("message").className = problem ? "problem" : "";
  }

  function mark(inputs) {
    for (const input of marked) input.removeAttribute("aria-invalid");
    marked = inputs.filter(Boolean);
    for (const input of marked) input.setAttribute("aria-invalid", "true");
    if (marked.length) marked[0].focus();
  }

  // One change: `done` said when it works; a refusal said as it is, and the inputs that
  // `inputsFor(field)` finds for its field marked. Refusals from this page's own checks too.
  async function attempt(action, done, inputsFor) {
    try {
      const answer = await action();
      refusal = {};
      mark([]);
      if (done) say(done);
      return answer;
    } catch (error) {
      refusal = error.answer || {};
      say(error.message, true);
      const inputs = error.input || (refusal.field && inputsFor ? inputsFor(refusal.field) : null);
      mark([].concat(inputs || []));
      return null;
    }
  }

  // An input's name as the page shows it: its own aria-label, or its label's words.
  const nameOf = (input) => input.getAttribute("aria-label") || input.labels[0].firstChild.textContent.trim();

  // A number from an input, refused in the page's words when empty: an empty field is never 0.
  function numberIn(input) {
    const range = `${input.min} to ${input.max}`;
    let problem = null;
    if (input.validity.badInput) problem = `${nameOf(input)}: this is not a number; enter ${range}`;
    else if (input.value.trim() === "") problem = `${nameOf(input)} is empty; enter a number from ${range}`;
    if (problem) throw Object.assign(new Error(problem), { input });
    return Number(input.value);
  }

  async function showState() {
    const state = await call("GET", "/api/therapist/");
    $("login").hidden = state.logged_in;
    $("workspace").hidden = !state.logged_in;
    $("login-title").textContent = state.pin_set ? "Log in" : "Set your PIN (first use)";
    $("login-button").textContent = state.pin_set ? "log in" : "set PIN";
    $("login-form").dataset.setting = String(!state.pin_set);
    for (const id of ["setup-help", "setup-code-label", "pin-again-label"]) $(id).hidden = state.pin_set;
    $("pin").autocomplete = state.pin_set ? "current-password" : "new-password";
    if (state.logged_in) await Promise.all([showPatients(), showCalibrations()]);
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const setting = event.target.dataset.setting === "true";
    const body = setting
      ? { pin: $("pin").value, pin_again: $("pin-again").value, setup_code: $("setup-code").value }
      : { pin: $("pin").value };
    const ok = await attempt(() => call("POST", setting ? "/api/therapist/pin" : "/api/therapist/login", body));
    $("pin").value = "";
    $("pin-again").value = "";
    if (ok) { say(setting ? "PIN set: you are logged in" : "logged in"); showState(); }
    else if (refusal.retry_after_s) countDown($("message").textContent, refusal.retry_after_s);
  });
  $("logout").addEventListener("click", async () => { await call("POST", "/api/therapist/logout", {}); showState(); });

  // Too many wrong PINs: the wait the server gave, counted down each second, then the button back.
  let lockTimer = null;
  const waitFor = (s) => (s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`);
  function countDown(message, seconds) {
    clearInterval(lockTimer);
    const ends = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((ends - Date.now()) / 1000);
      $("login-button").disabled = left > 0;
      if (left > 0) say(message.replace(/try again in \d+ (s|min)/, `try again in ${waitFor(left)}`), true);
      else { clearInterval(lockTimer); say("you can try the PIN again now"); }
    };
    tick();
    lockTimer = setInterval(tick, 1000);
  }

  const describe = (p) => `patient ${p.id}, foot length ${p.foot_mm} mm`;

  async function showPatients() {
    const { patients } = await call("GET", "/api/patients");
    $("patients").replaceChildren(...patients.map((p) => {
      const button = el("button", { type: "button", textContent: p.name });
      button.dataset.patient = p.id;
      button.addEventListener("click", () => showPatient(p.id));
      return el("li", {}, button, ` ${p.severity}, ${p.foot_mm} mm, ${p.plan_per_week.join("-")} a week (patient ${p.id})`);
    }));
  }

  // The list first, then the message, so "deleted" never shows beside the patient's row; if the
  // list cannot be refreshed, its error stays up instead.
  async function refreshPatientsThenSay(text) {
    if ((await attempt(showPatients)) !== null) say(text);
  }

  // A patient form's fields; a server field name to its inputs.
  function patientFields(form) {
    const fields = Object.fromEntries(new FormData(form));
    fields.foot_mm = numberIn(form.elements.foot_mm);
    return fields;
  }
  const PER_WEEK = { "sessions_per_week.fewest": ["per_week_low"], "sessions_per_week.most": ["per_week_high"], sessions_per_week: ["per_week_low", "per_week_high"] };
  const patientInputs = (form) => (field) => (PER_WEEK[field] || [field]).map((name) => form.elements[name]);

  // A name another patient has: the server asks first (409, with who); the therapist decides.
  function askSameName(form, yes, again) {
    const existing = refusal.existing || [];
    $("same-name-text").textContent = `Another patient is already called ${existing[0].name}: ${existing.map(describe).join("; ")}. Is this someone else?`;
    $("same-name-yes").textContent = yes;
    $("same-name-yes").onclick = () => { $("same-name").hidden = true; again(); };
    form.after($("same-name"));
    $("same-name").hidden = false;
    $("same-name-yes").focus();
  }
  $("same-name-no").addEventListener("click", () => { $("same-name").hidden = true; say("nothing was saved"); });

  async function addPatient(extra) {
    const form = $("new-patient");
    const answer = await attempt(() => call("POST", "/api/patients", { ...patientFields(form), ...extra }), null, patientInputs(form));
    if (answer) { form.reset(); await refreshPatientsThenSay("patient added"); showPatient(answer.patient.id); }
    else if (refusal.existing) askSameName(form, "yes, add them as a new patient", () => addPatient({ allow_duplicate_name: true }));
  }
  $("new-patient").addEventListener("submit", (event) => { event.preventDefault(); addPatient({}); });

  async function showPatient(id) {
    shown = await call("GET", `/api/patients/${id}`);
    const p = shown.patient;
    $("patient").hidden = false;
    $("patient-name").textContent = p.name;
    $("history-link").href = `/patients/${id}`;
    const form = $("edit-patient");
    for (const name of ["name", "foot_mm", "affected_foot", "severity", "notes"]) form.elements[name].value = p[name];
    [form.elements.per_week_low.value, form.elements.per_week_high.value] = p.plan_per_week;
    form.dataset.shownPlan = p.sessions_per_week ? "" : p.plan_per_week.join("-");
    $("targets").tBodies[0].replaceChildren(...shown.targets.map(targetRow));
    $("routine").tBodies[0].replaceChildren(...shown.routine.map(segmentRow));
    numberSteps();
  }

  function editedPatient(form) {
    const { per_week_low: low, per_week_high: high, ...fields } = patientFields(form);
    // Left at the severity's default, the plan follows the severity; changed, it is the therapist's.
    const unchanged = form.dataset.shownPlan === `${low}-${high}`;
    fields.sessions_per_week = unchanged ? null : [numberIn(form.elements.per_week_low), numberIn(form.elements.per_week_high)];
    return fields;
  }
  async function savePatient(extra) {
    const form = $("edit-patient");
    const id = shown.patient.id;
    const answer = await attempt(() => call("PUT", `/api/patients/${id}`, { ...editedPatient(form), ...extra }), null, patientInputs(form));
    if (answer) { await refreshPatientsThenSay("patient saved"); showPatient(id); }
    else if (refusal.existing) askSameName(form, "yes, rename them", () => savePatient({ allow_duplicate_name: true }));
  }
  $("edit-patient").addEventListener("submit", (event) => { event.preventDefault(); savePatient({}); });

  $("import-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const plate = $("import-plate-mm").value.trim();
    const query = `patient_id=${shown.patient.id}&name=${encodeURIComponent(file.name)}`
      + (plate ? `&plate_mm=${encodeURIComponent(plate)}` : "");
    const response = await fetch(`/api/import?${query}`, {
      method: "POST", headers: { "Content-Type": "text/csv", "X-CSRF-Token": window.pfsense.token }, body: file,
    });
    const answer = await response.json();
    say(response.ok ? `imported as session ${answer.session_id}` : answer.message, !response.ok);
    event.target.value = "";
  });

  // A target's fields for people, and what a save would change (every field, for a demonstration).
  const SHOW = {
    band_n: ["band", (v) => `${v[0]}–${v[1]} N`],
    cadence_per_min: ["cadence", (v) => (v ? `${v.map(Math.round).join("–")} a minute` : "held still")],
    duration_s: ["duration", (v) => `${v} s`],
    source: ["from", (v) => v],
  };
  function changes(before, after, all) {
    return Object.entries(SHOW).flatMap(([key, [name, show]]) => {
      const [old, next] = [show(before[key]), show(after[key])];
      if (old === next) return all ? [`${name}: ${old} (unchanged)`] : [];
      return [`${name}: ${old} → ${next}`];
    });
  }

  function numberInput(value, min, max, name) {
    const input = el("input", { type: "number", inputMode: "decimal", value, min, max });
    input.setAttribute("aria-label", name);
    return input;
  }
  // A cell that says what it is when the table is shown as cards (pages.css, on a narrow screen).
  function withLabel(td, heading) {
    td.dataset.label = heading;
    return td;
  }

  function targetRow(t) {
    const name = `${capital(label(t.technique))} target band (N)`;
    const low = numberInput(t.band_n[0], 0, 2000, `${name}, low end`);
    const high = numberInput(t.band_n[1], 0, 2000, `${name}, high end`);
    const typed = () => ({ ...t, band_n: [low.value, high.value].map((v) => (v.trim() === "" ? "?" : Number(v))), source: "manual" });
    const change = el("span", { className: "change" });
    for (const input of [low, high]) input.addEventListener("input", () => { change.textContent = changes(t, typed()).join("; "); });
    const save = el("button", { type: "button", textContent: "save" });
    save.addEventListener("click", () => saveTarget(t.technique, () => ({
      band_n: [numberIn(low), numberIn(high)], cadence_per_min: t.cadence_per_min, duration_s: t.duration_s,
    }), (field) => ({ "band_n.low": low, "band_n.high": high, band_n: [low, high] })[field]));
    const row = el("tr", {}, withLabel(el("td", { textContent: label(t.technique) }), "Technique"),
      withLabel(el("td", {}, el("span", { className: "pair" }, low, "–", high)), "Band (N)"),
      withLabel(el("td", { textContent: SHOW.cadence_per_min[1](t.cadence_per_min) }), "Cadence"),
      withLabel(el("td", { textContent: t.duration_s }), "Duration (s)"), withLabel(el("td", { textContent: t.source }), "From"),
      withLabel(el("td", {}, save, change), ""));
    row.dataset.technique = t.technique;
    return row;
  }

  async function saveTarget(technique, body, inputsFor) {
    const saved = await attempt(() => call("PUT", `/api/patients/${shown.patient.id}/targets/${technique}`, body()),
      `${label(technique)} target saved`, inputsFor);
    if (saved) showPatient(shown.patient.id);
  }

  $("demo-technique").replaceChildren(...TECHNIQUES.map((t) => el("option", { value: t, textContent: label(t) })));
  $("demonstrate").addEventListener("click", async () => {
    const technique = $("demo-technique").value;
    const answer = await attempt(async () => {
      const seconds = numberIn($("demo-seconds"));
      const tolerance = numberIn($("demo-tolerance")) / 100;
      const watch = watchDemonstration(seconds);
      try {
        return await call("POST", "/api/demonstration", { seconds, tolerance });
      } finally {
        watch.stop();
      }
    }, null, (field) => ({ seconds: $("demo-seconds"), tolerance: $("demo-tolerance") })[field]);
    if (answer) showProposal(technique, answer.proposal);
  });

  // While the device records: the force now and the seconds left, beside the record button, from
  // the live stream, which is open only for as long as the demonstration lasts.
  function watchDemonstration(seconds) {
    const stream = new EventSource("/api/stream");
    stream.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "frame" && event.force_n.length) $("demo-force").textContent = Math.round(event.force_n[event.force_n.length - 1]);
    };
    const ends = Date.now() + seconds * 1000;
    const tick = () => { $("demo-left").textContent = Math.max(0, Math.ceil((ends - Date.now()) / 1000)); };
    tick();
    const timer = setInterval(tick, 250);
    $("demo-force").textContent = "--";
    $("demo-live").hidden = false;
    $("demo-live").scrollIntoView({ block: "nearest" });
    $("demonstrate").disabled = true;
    say(`recording: press the way you want it for ${seconds} s`);
    return {
      stop() {
        stream.close();
        clearInterval(timer);
        $("demo-live").hidden = true;
        $("demonstrate").disabled = false;
      },
    };
  }

  // The proposal as the changes it would make to the target; the duration stays the target's own.
  function showProposal(technique, p) {
    const before = shown.targets.find((t) => t.technique === technique);
    const after = { band_n: p.band_n, cadence_per_min: p.cadence_range_per_min, duration_s: before.duration_s, source: "demonstration" };
    const save = el("button", { type: "button", id: "save-proposal", textContent: `save as the ${label(technique)} target` });
    save.addEventListener("click", () => saveTarget(technique, () => after));
    $("proposal").hidden = false;
    $("proposal").replaceChildren(
      el("p", { textContent: `median ${p.median_force_n} N over ${p.loaded_s} s pressed; proposed band ${p.band_n[0]}–${p.band_n[1]} N` +
        (p.cadence_per_min ? `; ${Math.round(p.cadence_per_min)} strokes a minute` : "") +
        (p.stroke_length_mm ? `, ${Math.round(p.stroke_length_mm)} mm strokes` : "") + `; looked like ${label(p.technique)}` }),
      el("p", { textContent: `Saving changes the ${label(technique)} target:` }),
      el("ul", { id: "proposal-changes" }, ...changes(before, after, true).map((text) => el("li", { textContent: text }))),
      save);
    say("demonstration recorded: check the changes, then save them");
  }

  function segmentRow(s) {
    const pick = (options, value) => el("select", {}, ...options.map((o) => el("option", { value: o, textContent: label(o), selected: o === value })));
    const remove = el("button", { type: "button", textContent: "remove" });
    const row = el("tr", {}, withLabel(el("td", {}, pick(TECHNIQUES, s.technique)), "Technique"),
      withLabel(el("td", {}, pick(ZONES, s.zone)), "Zone"),
      withLabel(el("td", {}, numberInput(s.duration_s, 5, 600, "work")), "Work (s)"),
      withLabel(el("td", {}, numberInput(s.rest_s, 0, 300, "rest")), "Rest (s)"), withLabel(el("td", {}, remove), ""));
    remove.addEventListener("click", () => { row.remove(); numberSteps(); });
    return row;
  }
  // Each step's controls named by its place, as the server's messages name them.
  function numberSteps() {
    [...$("routine").tBodies[0].rows].forEach((row, index) => {
      const step = `Routine step ${index + 1}`;
      const [technique, zone, work, rest] = row.querySelectorAll("select, input");
      for (const [input, name] of [[technique, "technique"], [zone, "zone"], [work, "work (s)"], [rest, "rest (s)"]]) input.setAttribute("aria-label", `${step}, ${name}`);
    });
  }
  $("add-segment").addEventListener("click", () => {
    $("routine").tBodies[0].append(segmentRow({ technique: "rolling", zone: "arch", duration_s: 60, rest_s: 30 }));
    numberSteps();
  });
  const STEP_INPUTS = { technique: 0, zone: 1, duration_s: 2, rest_s: 3 };
  function stepInput(field) {
    const [, index, name] = field.match(/^segments\.(\d+)\.(\w+)$/) || [];
    const row = $("routine").tBodies[0].rows[Number(index)];
    return row && row.querySelectorAll("select, input")[STEP_INPUTS[name]];
  }
  $("save-routine").addEventListener("click", () => {
    const segments = () => [...$("routine").tBodies[0].rows].map((row) => {
      const [technique, zone, work, rest] = row.querySelectorAll("select, input");
      return { technique: technique.value, zone: zone.value, duration_s: numberIn(work), rest_s: numberIn(rest) };
    });
    attempt(() => call("PUT", `/api/patients/${shown.patient.id}/routine`, { segments: segments() }), "routine saved", stepInput);
  });
  $("delete-patient").addEventListener("click", async () => {
    const p = shown.patient;
    if (!confirm(`Delete ${p.name} (${describe(p)}), every session and every recording of them? This cannot be undone.`)) return;
    if (await attempt(() => call("DELETE", `/api/patients/${p.id}`))) {
      $("patient").hidden = true;
      await refreshPatientsThenSay(`${p.name} (${describe(p)}) deleted`);
    }
  });

  function showWizard(wizard) {
    $("calibration-next").textContent = wizard ? "next: " + wizard.next_step : "";
    $("calibration-step").disabled = !wizard || wizard.next_step === "done";
    $("calibration-save").disabled = !wizard || wizard.next_step !== "done";
  }
  $("calibration-start").addEventListener("click", async () => {
    const answer = await attempt(() => call("POST", "/api/calibration/start", { weight_n: numberIn($("weight-n")) }), "calibration started",
      () => $("weight-n"));
    if (answer) showWizard(answer.wizard);
  });
  $("calibration-step").addEventListener("click", async () => {
    say("measuring for 2 s: keep still");
    const answer = await attempt(() => call("POST", "/api/calibration/step", {}), "measured");
    if (answer) showWizard(answer.wizard);
  });
  $("calibration-save").addEventListener("click", async () => {
    const answer = await attempt(() => call("POST", "/api/calibration/save", {}));
    if (answer) {
      const check = answer.check ? `; plate check: within ${Math.max(...answer.check.position_error_mm).toFixed(1)} mm` : "";
      say("calibration saved" + check);
      showWizard(null);
      showCalibrations();
    }
  });

  async function showCalibrations() {
    const data = await call("GET", "/api/calibration");
    $("calibration-current").textContent = "in use: " + data.current.source;
    $("calibrations").replaceChildren(...data.history.map((c) => el("li", { textContent: `${when(c.created_at)} ${c.sensor}: ${c.source}` })));
  }

  showState();
})();
