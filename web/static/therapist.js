// The therapist's page: PIN, patients, targets (by hand or by demonstration), routine, calibration.
// Every change goes through the JSON API, which checks it; its message is shown as it is.
"use strict";
(() => {
  const { call, el, label } = window.pfsense;
  const $ = (id) => document.getElementById(id);
  const TECHNIQUES = ["rolling", "deep_tissue", "cross_fiber_friction", "myofascial_release", "trigger_point", "calf_release"];
  const ZONES = ["heel", "arch", "forefoot", "calf"];
  let patientId = null;

  function say(text, problem) {
    $("message").textContent = text;
    $("message").className = problem ? "problem" : "";
  }
  async function attempt(action, done) {
    try {
      const answer = await action();
      if (done) say(done);
      return answer;
    } catch (error) {
      say(error.message, true);
      return null;
    }
  }

  async function showState() {
    const state = await call("GET", "/api/therapist/");
    $("login").hidden = state.logged_in;
    $("workspace").hidden = !state.logged_in;
    $("login-title").textContent = state.pin_set ? "Log in" : "Set your PIN (first use)";
    $("login-button").textContent = state.pin_set ? "log in" : "set PIN";
    $("login-form").dataset.setting = String(!state.pin_set);
    for (const id of ["setup-help", "setup-code", "pin-again"]) $(id).hidden = state.pin_set;
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
  });
  $("logout").addEventListener("click", async () => { await call("POST", "/api/therapist/logout", {}); showState(); });

  async function showPatients() {
    const { patients } = await call("GET", "/api/patients");
    $("patients").replaceChildren(...patients.map((p) => {
      const button = el("button", { type: "button", textContent: p.name });
      button.dataset.patient = p.id;
      button.addEventListener("click", () => showPatient(p.id));
      return el("li", {}, button, ` ${p.severity}, ${p.foot_mm} mm, ${p.plan_per_week.join("-")} a week`);
    }));
  }

  $("new-patient").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.target));
    const answer = await attempt(() => call("POST", "/api/patients", form), "patient added");
    if (answer) { event.target.reset(); await showPatients(); showPatient(answer.patient.id); }
  });

  async function showPatient(id) {
    patientId = id;
    const data = await call("GET", `/api/patients/${id}`);
    $("patient").hidden = false;
    $("patient-name").textContent = data.patient.name;
    $("history-link").href = `/patients/${id}`;
    const form = $("edit-patient");
    for (const name of ["name", "foot_mm", "affected_foot", "severity", "notes"]) form.elements[name].value = data.patient[name];
    [form.elements.per_week_low.value, form.elements.per_week_high.value] = data.patient.plan_per_week;
    form.dataset.shownPlan = data.patient.sessions_per_week ? "" : data.patient.plan_per_week.join("-");
    $("targets").tBodies[0].replaceChildren(...data.targets.map(targetRow));
    $("routine").tBodies[0].replaceChildren(...data.routine.map(segmentRow));
  }

  $("edit-patient").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { per_week_low, per_week_high, ...fields } = Object.fromEntries(new FormData(event.target));
    // Left at the severity's default, the plan follows the severity; changed, it is the therapist's.
    const unchanged = event.target.dataset.shownPlan === `${per_week_low}-${per_week_high}`;
    fields.sessions_per_week = unchanged ? null : [Number(per_week_low), Number(per_week_high)];
    if (await attempt(() => call("PUT", `/api/patients/${patientId}`, fields), "patient saved")) {
      showPatients();
      showPatient(patientId);
    }
  });

  $("import-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const plate = $("import-plate-mm").value.trim();
    const query = `patient_id=${patientId}&name=${encodeURIComponent(file.name)}`
      + (plate ? `&plate_mm=${encodeURIComponent(plate)}` : "");
    const response = await fetch(`/api/import?${query}`, {
      method: "POST", headers: { "Content-Type": "text/csv", "X-CSRF-Token": window.pfsense.token }, body: file,
    });
    const answer = await response.json();
    say(response.ok ? `imported as session ${answer.session_id}` : answer.message, !response.ok);
    event.target.value = "";
  });

  function targetRow(t) {
    const low = el("input", { type: "number", value: t.band_n[0], size: 4 });
    const high = el("input", { type: "number", value: t.band_n[1], size: 4 });
    const save = el("button", { type: "button", textContent: "save" });
    save.addEventListener("click", () => saveTarget(t.technique, {
      band_n: [Number(low.value), Number(high.value)], cadence_per_min: t.cadence_per_min, duration_s: t.duration_s,
    }));
    const cadence = t.cadence_per_min ? t.cadence_per_min.map(Math.round).join("-") : "still";
    const row = el("tr", {}, el("td", { textContent: label(t.technique) }), el("td", {}, low, "–", high),
      el("td", { textContent: cadence }), el("td", { textContent: t.duration_s }), el("td", { textContent: t.source }), el("td", {}, save));
    row.dataset.technique = t.technique;
    return row;
  }

  async function saveTarget(technique, body) {
    if (await attempt(() => call("PUT", `/api/patients/${patientId}/targets/${technique}`, body), `${label(technique)} target saved`)) {
      showPatient(patientId);
    }
  }

  $("demo-technique").replaceChildren(...TECHNIQUES.map((t) => el("option", { value: t, textContent: label(t) })));
  $("demonstrate").addEventListener("click", async () => {
    const seconds = Number($("demo-seconds").value);
    say(`recording: press the way you want it for ${seconds} s`);
    $("demonstrate").disabled = true;
    const answer = await attempt(() => call("POST", "/api/demonstration", { seconds, tolerance: Number($("demo-tolerance").value) / 100 }));
    $("demonstrate").disabled = false;
    if (!answer) return;
    const p = answer.proposal;
    const technique = $("demo-technique").value;
    const save = el("button", { type: "button", id: "save-proposal", textContent: `save as the ${label(technique)} target` });
    save.addEventListener("click", () => saveTarget(technique, {
      band_n: p.band_n, cadence_per_min: p.cadence_range_per_min, duration_s: 60, source: "demonstration",
    }));
    $("proposal").hidden = false;
    $("proposal").replaceChildren(
      el("p", { textContent: `median ${p.median_force_n} N over ${p.loaded_s} s pressed; proposed band ${p.band_n[0]}–${p.band_n[1]} N` +
        (p.cadence_per_min ? `; ${Math.round(p.cadence_per_min)} strokes a minute` : "") +
        (p.stroke_length_mm ? `, ${Math.round(p.stroke_length_mm)} mm strokes` : "") + `; looked like ${label(p.technique)}` }),
      save);
    say("demonstration recorded: check the proposal, then save it");
  });

  function segmentRow(s) {
    const pick = (options, value) => el("select", {}, ...options.map((o) => el("option", { value: o, textContent: label(o), selected: o === value })));
    const remove = el("button", { type: "button", textContent: "remove" });
    const row = el("tr", {}, el("td", {}, pick(TECHNIQUES, s.technique)), el("td", {}, pick(ZONES, s.zone)),
      el("td", {}, el("input", { type: "number", value: s.duration_s, size: 4 })), el("td", {}, el("input", { type: "number", value: s.rest_s, size: 4 })), el("td", {}, remove));
    remove.addEventListener("click", () => row.remove());
    return row;
  }
  $("add-segment").addEventListener("click", () => $("routine").tBodies[0].append(segmentRow({ technique: "rolling", zone: "arch", duration_s: 60, rest_s: 30 })));
  $("save-routine").addEventListener("click", () => {
    const segments = [...$("routine").tBodies[0].rows].map((row) => {
      const [technique, zone] = [...row.querySelectorAll("select")].map((s) => s.value);
      const [duration, rest] = [...row.querySelectorAll("input")].map((i) => Number(i.value));
      return { technique, zone, duration_s: duration, rest_s: rest };
    });
    attempt(() => call("PUT", `/api/patients/${patientId}/routine`, { segments }), "routine saved");
  });
  $("delete-patient").addEventListener("click", async () => {
    const name = $("patient-name").textContent;
    if (!confirm(`Delete ${name} (patient ${patientId}), every session and every recording of them? This cannot be undone.`)) return;
    if (await attempt(() => call("DELETE", `/api/patients/${patientId}`), "patient deleted")) {
      $("patient").hidden = true;
      showPatients();
    }
  });

  function showWizard(wizard) {
    $("calibration-next").textContent = wizard ? "next: " + wizard.next_step : "";
    $("calibration-step").disabled = !wizard || wizard.next_step === "done";
    $("calibration-save").disabled = !wizard || wizard.next_step !== "done";
  }
  $("calibration-start").addEventListener("click", async () => {
    const answer = await attempt(() => call("POST", "/api/calibration/start", { weight_n: Number($("weight-n").value) }), "calibration started");
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
    $("calibrations").replaceChildren(...data.history.map((c) =>
      el("li", { textContent: `${c.created_at.replace("T", " ").slice(0, 16)} ${c.sensor}: ${c.source}` })));
  }

  showState();
})();
