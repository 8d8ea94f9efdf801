// The live page: draws what the server computed. Frames carry every sample; the big number shows
// the newest; the chart (uPlot, vendored in static/vendor) the last 10 s at full rate.
// One voice: the panel says what the force is now, and only it gives orders about the force;
// coaching, technique and score are labelled as the last half-minute and never contradict it.
"use strict";
(() => {
  const { call, label, minutes } = window.pfsense;
  const sound = window.pfsenseSound;
  const $ = (id) => document.getElementById(id);
  const main = $("live");
  // The band is the default or the patient's; a routine's segment may change it (see showBand).
  let bandLow = Number(main.dataset.bandLow);
  let bandHigh = Number(main.dataset.bandHigh);
  let bandSource = { source: "default" };
  const forceEl = $("force");
  const panel = $("force-panel");
  const bandLabel = $("band-label");
  const bandIcon = $("band-icon");
  const stateEl = $("state");
  const traceEl = $("trace");
  const WINDOW_S = 10;
  // A jump in sample times longer than this is a gap (a stall, a lost link): drawn as one.
  const GAP_S = 0.5;
  const times = []; // every sample of the last WINDOW_S, as the server sent them (null: a gap)
  const forces = [];
  let fresh = false;
  let streamState = "starting";

  // Newtons or kilograms (the force a mass of that many kg would weigh), as the person prefers:
  // the number, the band note and the chart alike.
  const GRAVITY = 9.80665;
  let inKg = localStorage.getItem("pfsense.units") === "kg";
  const shown = (forceN) => (inKg ? forceN / GRAVITY : forceN);
  const unit = () => (inKg ? "kg" : "N");
  const bandText = () =>
    inKg ? `${shown(bandLow).toFixed(1)}–${shown(bandHigh).toFixed(1)} kg` : `${Math.round(bandLow)}–${Math.round(bandHigh)} N`;

  // Sensor time "now": the newest sample's time, carried on by the clock while none come, so
  // that a stall shows as an empty stretch growing at the right of the chart.
  let newestT = null;
  let newestAtMs = 0;
  const nowT = () => (newestT === null ? 0 : newestT + (performance.now() - newestAtMs) / 1000);

  // The target band behind the trace, drawn before the series on every redraw.
  function drawBand(u) {
    if (resting) return; // a rest has no band to be in
    const ctx = u.ctx;
    const top = u.valToPos(shown(bandHigh), "y", true);
    const bottom = u.valToPos(shown(bandLow), "y", true);
    ctx.save();
    ctx.fillStyle = "rgba(126, 212, 146, 0.3)";
    ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
    ctx.restore();
  }

  const AXIS = { stroke: "#d0d0d0", grid: { stroke: "#333" }, ticks: { stroke: "#555" } };
  const chart = new uPlot(
    {
      width: traceEl.clientWidth || 360,
      height: 200,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: () => [nowT() - WINDOW_S, nowT()] },
        y: { range: (u, min, max) => [0, Math.max(shown(bandHigh) * 1.3, max || 0)] },
      },
      axes: [
        {
          ...AXIS,
          // Seconds before now, at whole seconds back from the newest moment.
          splits: () => [10, 8, 6, 4, 2, 0].map((back) => nowT() - back),
          values: (u, splits) => splits.map((t) => { const back = Math.round(nowT() - t); return back ? `-${back} s` : "now"; }),
        },
        { ...AXIS, size: 50, values: (u, splits) => splits.map((v) => v + " " + unit()) },
      ],
      series: [{}, { stroke: "#eee", width: 2, spanGaps: false }],
      hooks: { drawClear: [drawBand] },
    },
    [[], []],
    traceEl,
  );
  window.pfsenseChart = chart; // for the end-to-end tests
  window.addEventListener("resize", () => chart.setSize({ width: traceEl.clientWidth, height: 200 }));

  function showUnits() {
    $("unit").textContent = unit();
    $("units").textContent = inKg ? "show N" : "show kg";
    showBandNote();
    fresh = true;
  }
  $("units").addEventListener("click", () => {
    inKg = !inKg;
    localStorage.setItem("pfsense.units", inKg ? "kg" : "N");
    showUnits();
  });

  $("sound").addEventListener("click", (event) => {
    const on = sound.toggle();
    event.target.textContent = on ? "sound on" : "sound off";
    event.target.setAttribute("aria-pressed", String(on));
  });

  // The pace to follow at the target cadence: an arrow that turns at each half stroke
  // (forward, back), so it reads without colour; a full cycle is one each way.
  const cadence = Number(main.dataset.cadence);
  const metronome = $("metronome");
  if (cadence > 0) {
    setInterval(() => {
      metronome.classList.toggle("on");
      metronome.textContent = metronome.classList.contains("on") ? "←" : "→";
    }, 30000 / cadence);
  }

  // What a screen reader says: a change of band or of routine step, never every number.
  const announceEl = $("announce");
  function announce(text) {
    if (announceEl.textContent !== text) announceEl.textContent = text;
  }

  const BAND_WORDS = { below: "press a little harder", in: "in the target band", above: "too hard: ease off" };
  const BAND_ICONS = { below: "▼", in: "✓", above: "▲", rest: "Ⅱ", unknown: "" };
  let bandNow = "unknown";
  let resting = false; // a routine's rest: no band to be in, nothing to judge
  function setPanel(band, words) {
    panel.className = "band-" + band;
    bandIcon.textContent = BAND_ICONS[band];
    bandLabel.textContent = words;
    if (band !== bandNow) {
      bandNow = band;
      if (band !== "unknown") announce(words);
      showCoaching();
    }
  }

  function showForce(forceN) {
    if (forceN === null) { forceEl.textContent = "--"; return; }
    forceEl.textContent = inKg ? shown(forceN).toFixed(1) : Math.round(forceN);
    sound.follow(forceN, bandLow, bandHigh, resting);
    if (resting) { setPanel("rest", "rest: foot off the ball"); return; }
    const band = forceN < bandLow ? "below" : forceN > bandHigh ? "above" : "in";
    setPanel(band, BAND_WORDS[band]);
  }

  function addFrame(frame) {
    for (let i = 0; i < frame.t_s.length; i++) {
      const t = frame.t_s[i];
      if (times.length && t - times[times.length - 1] > GAP_S) {
        times.push(times[times.length - 1] + GAP_S / 2); // a null between: uPlot leaves a gap
        forces.push(null);
      }
      times.push(t);
      forces.push(frame.force_n[i]);
    }
    const oldest = times[times.length - 1] - WINDOW_S - 1;
    let cut = 0;
    while (cut < times.length && times[cut] < oldest) cut++;
    if (cut) {
      times.splice(0, cut);
      forces.splice(0, cut);
    }
    newestT = times[times.length - 1];
    newestAtMs = performance.now();
    fresh = true;
    showForce(frame.force_n[frame.force_n.length - 1]);
  }

  const ZONE_DOSE_S = 30; // DOMAIN.md: 30-120 s per area; the server scores against the same

  // The sole from above, toes up: the server's heat map (20 bins along the foot, heel first, by
  // 8 across) drawn inside a foot outline, brighter for more time worked there.
  function drawFoot(heat) {
    const canvas = $("foot");
    if (!canvas || !heat.length || !heat[0].length) return;
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, rows = heat.length, cols = heat[0].length;
    ctx.clearRect(0, 0, w, h);
    ctx.save();
    ctx.beginPath(); // heel narrow at the bottom, forefoot wide at the top
    for (const [cy, rx, ry] of [[0.83, 0.3, 0.15], [0.5, 0.33, 0.25], [0.22, 0.45, 0.2]]) {
      ctx.moveTo(w * (0.5 + rx), h * cy); // a separate outline each, not joined by a line
      ctx.ellipse(w * 0.5, h * cy, w * rx, h * ry, 0, 0, 2 * Math.PI);
    }
    ctx.fillStyle = "#2a2a2a";
    ctx.fill();
    ctx.clip();
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const level = Math.min(1, heat[r][c] / (ZONE_DOSE_S / cols));
        if (level <= 0) continue;
        ctx.fillStyle = `rgba(255, 140, 0, ${0.15 + 0.85 * level})`;
        ctx.fillRect((c / cols) * w, h - ((r + 1) / rows) * h, w / cols + 1, h / rows + 1);
      }
    }
    ctx.restore();
  }

  function showCoverage(coverage) {
    for (const li of document.querySelectorAll("#zones li")) {
      const seconds = coverage.zones_s[li.dataset.zone] || 0;
      li.querySelector("b").textContent = Math.round(seconds) + " s";
      li.classList.toggle("done", seconds >= ZONE_DOSE_S);
    }
    drawFoot(coverage.heat_map_s);
  }

  // The recent coaching is about the last half-minute; while the force now is out of the band,
  // its praise would contradict the panel, so the next tip (or nothing) is shown instead.
  const PRAISE = "good technique";
  let tips = [];
  function showCoaching() {
    const stalled = streamState === "stalled";
    const fitting = tips.filter((tip) => !(tip === PRAISE && bandNow !== "in"));
    $("coaching").textContent = stalled ? "paused: no readings" : resting ? "" : fitting[0] || "";
  }

  // Technique, score, rhythm and coaching are for the last half-minute or so (the server's recent
  // window), so they follow what the person is doing now; coverage builds up over the session.
  function showMetrics(m) {
    if (m.coverage) showCoverage(m.coverage);
    const now = m.recent || m;
    // The first seconds of a window are too few to name a technique: the session's stands in.
    // Once the window holds 10 s, its "cannot tell" stands: the session's older technique
    // would say something no longer true.
    const judged = now.technique || (now.duration_s || 0) >= 10 ? now : m;
    const technique = $("technique");
    technique.textContent = label(judged.technique);
    // What it was recognised from, or why pfsense cannot tell (a tap or hover shows it).
    technique.title = judged.technique_seen || "";
    $("score").textContent = now.score && now.score.total !== null ? Math.round(now.score.total) : "-";
    $("cadence").textContent = now.cadence_per_min ? Math.round(now.cadence_per_min) + "/min" : "-";
    $("regularity").textContent =
      now.rhythm_regularity !== null && now.rhythm_regularity !== undefined ? "steady " + Math.round(100 * now.rhythm_regularity) + " %" : "";
    tips = now.coaching || [];
    showCoaching();
  }

  // Glitches: readings the cleaner rejected, and samples lost on the way, per reading received.
  function showStats(status) {
    const stats = status.stats;
    const readings = stats.samples * (status.sensor.channels || []).length;
    if (!readings) return;
    const rejected = Object.values(stats.rejected_readings).reduce((a, b) => a + b, 0);
    const rate = (100 * (rejected + stats.lost_samples)) / readings;
    $("glitches").textContent = "glitches " + (rate < 0.1 && rate > 0 ? "<0.1" : rate.toFixed(1)) + " %";
  }

  // A stall or a fault, in plain words at the top; the sensor's own words stay at the bottom
  // for whoever fixes it. Recent metrics are hidden meanwhile: they describe the time before.
  const ALERTS = {
    stalled: ["No readings from the sensor", "Check its cable and power. pfsense carries on by itself when readings come back; nothing recorded is lost."],
    error: ["The sensor has a problem", "Check its cable and power, then restart pfsense. What was recorded before is kept."],
    disconnected: ["Lost touch with pfsense", "Trying again by itself. Is the device on, and this phone on the same network?"],
  };
  let stalledSinceMs = null;
  function setState(state, message) {
    streamState = state;
    stateEl.className = "state-" + state;
    stateEl.textContent = message ? state + ": " + message : state;
    const alert = ALERTS[state];
    $("alert").hidden = !alert;
    main.classList.toggle("stale", Boolean(alert));
    if (alert) {
      stalledSinceMs = stalledSinceMs === null ? performance.now() : stalledSinceMs;
      $("alert-advice").textContent = alert[1];
      showAlertTime(alert[0]);
      if (state === "stalled") setPanel("unknown", "no readings");
      forceEl.textContent = "--";
    } else {
      stalledSinceMs = null;
    }
    showCoaching();
  }
  function showAlertTime(title) {
    const seconds = (performance.now() - stalledSinceMs) / 1000;
    $("alert-title").textContent = seconds >= 1 ? `${title} for ${minutes(seconds)}` : title;
  }
  setInterval(() => {
    const alert = ALERTS[streamState];
    if (alert && stalledSinceMs !== null) showAlertTime(alert[0]);
  }, 1000);

  // The page's controls post JSON with the page's CSRF token (api.js); the server's message is shown.
  const messageEl = $("control-message");
  function say(text, problem) {
    messageEl.textContent = text;
    messageEl.className = problem ? "problem" : "";
  }
  async function post(path, body) {
    try {
      return await call("POST", path, body || {});
    } catch (error) {
      say(error.message, true);
      return null;
    }
  }

  const tareButton = $("tare");
  tareButton.addEventListener("click", async () => {
    tareButton.disabled = true;
    say("taring: keep everything off the device for a second");
    if (await post("/api/tare")) say("zeroed");
    tareButton.disabled = false;
  });

  // Who is rolling: their targets score the session, and their routine can guide it. The page
  // always says whose session it starts or shows: a name remembered from an earlier visit must
  // never file a session under someone without a word.
  const who = $("who");
  const routineButton = $("start-routine");
  const historyLink = $("my-history");
  const names = new Map();
  const chosenName = () => names.get(who.value) || "";

  let session = null;
  const sessionButton = $("session");
  function showSession(status) {
    session = status.session;
    const name = chosenName();
    sessionButton.textContent = session ? "stop session " + minutes(session.duration_s) : name ? `start session for ${name}` : "start session";
    sessionButton.classList.toggle("running", Boolean(session));
    if (session && session.patient_id && !names.has(String(session.patient_id))) refreshNames();
    const whose = session && session.patient_id ? names.get(String(session.patient_id)) || `patient ${session.patient_id}` : "";
    $("whose").hidden = !session;
    $("whose").textContent = session ? (whose ? `${whose}'s session` : "a session for no one in particular") : "";
    who.disabled = Boolean(session);
    $("band-by-feel").disabled = Boolean(session); // a session is scored on one band throughout
    // While a session runs the picker shows whose it is, whatever was picked before.
    if (session && names.size) {
      const id = session.patient_id ? String(session.patient_id) : "";
      if (who.value !== id && (id === "" || names.has(id))) { who.value = id; showWho(); }
    }
    if (session && session.problem) say(session.problem, true);
    const last = status.last_session;
    const lastEl = $("last-session");
    lastEl.hidden = !last || Boolean(session);
    if (last && last.report) {
      const r = last.report;
      lastEl.textContent = "last session " + minutes(last.duration_s) + ": " +
        label(r.technique) + ", score " + (r.score.total === null ? "-" : Math.round(r.score.total)) +
        (last.recording ? " (saved as " + last.recording + ")" : "");
    }
  }
  sessionButton.addEventListener("click", async () => {
    sessionButton.disabled = true;
    const running = Boolean(session);
    const answer = await post(running ? "/api/session/stop" : "/api/session/start", running ? {} : patientBody(false));
    if (answer) say(running ? "session saved" : chosenName() ? `session started for ${chosenName()}: measuring from now` : "session started: measuring from now");
    sessionButton.disabled = false;
  });

  function patientBody(routine) {
    return who.value ? { patient_id: Number(who.value), routine } : {};
  }
  function showWho() {
    routineButton.hidden = historyLink.hidden = !who.value;
    historyLink.href = "/patients/" + who.value;
    localStorage.setItem("pfsense.patient", who.value);
    sessionButton.textContent = session ? sessionButton.textContent : who.value ? `start session for ${chosenName()}` : "start session";
  }
  // Reachable from the network, patients' names are for a browser paired at the device (or the
  // therapist): until then the picker offers the pairing form; the device's own page shows the code.
  const pairForm = $("pair-form");
  async function showPatients() {
    const pairing = await call("GET", "/api/pairing").catch(() => ({ paired: true }));
    pairForm.hidden = pairing.paired;
    who.parentElement.hidden = !pairing.paired;
    const code = $("pair-code-shown");
    code.hidden = !(pairing.needed && pairing.code);
    code.textContent = pairing.code ? `to pair a phone or tablet, enter ${pairing.code} on its page` : "";
    if (!pairing.paired) return;
    const { patients } = await call("GET", "/api/patients");
    names.clear();
    for (const p of patients) names.set(String(p.id), p.name);
    who.replaceChildren(new Option("no one in particular", ""), ...patients.map((p) => new Option(p.name, p.id)));
    const remembered = localStorage.getItem("pfsense.patient");
    who.value = names.has(remembered) ? remembered : "";
    showWho();
    showBandNote();
  }
  showPatients().catch(() => {});
  // A session for a patient added since the page opened: their name, asked for once a while.
  let namesAskedMs = 0;
  function refreshNames() {
    if (performance.now() - namesAskedMs < 5000) return;
    namesAskedMs = performance.now();
    showPatients().catch(() => {});
  }
  pairForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("pair-code");
    if (await post("/api/pairing", { code: code.value })) {
      say("this browser is paired: patients' names and histories are shown here");
      showPatients().catch(() => {});
    }
    code.value = "";
  });
  who.addEventListener("change", showWho);
  routineButton.addEventListener("click", async () => {
    if (await post("/api/session/start", patientBody(true))) say(`routine started for ${chosenName()}`);
  });

  // A routine: what to do now, time left, what is next; a chime (and a buzz) at each change.
  const routinePanel = $("routine-panel");
  let step = null;
  let lastSessionId; // undefined until the first status
  function showRoutine(status) {
    const routine = status.session && status.session.routine;
    routinePanel.hidden = !routine;
    main.classList.toggle("guided", Boolean(routine));
    const wasResting = resting;
    resting = Boolean(routine && routine.phase === "rest");
    main.classList.toggle("resting", resting);
    if (resting !== wasResting) { fresh = true; showCoaching(); }
    if (routine) {
      const segment = routine.segment || {};
      const total = routine.phase === "rest" ? segment.rest_s : segment.duration_s;
      $("routine-progress").value = total ? Math.min(1, 1 - routine.remaining_s / total) : 0;
      const now = routine.phase === "rest" ? "rest" : `${label(routine.segment.technique)} · ${routine.segment.zone}`;
      $("routine-now").textContent = `${routine.index + 1}/${routine.count}: ${now}`;
      $("routine-left").textContent = minutes(routine.remaining_s) + " left";
      const next = routine.next;
      $("routine-next").textContent = next ? `next: ${label(next.technique)} · ${next.zone}` : "last one";
      const key = routine.index + routine.phase;
      if (step !== null && key !== step) sound.chime();
      if (key !== step) announce(`step ${routine.index + 1} of ${routine.count}: ${now}`);
      step = key;
    } else {
      step = null;
    }
    // A patient's session that has just ended (not one that had ended before the page opened)
    // ends on its summary, on the patient's history page.
    const last = status.last_session;
    const lastId = last ? last.id : null;
    if (last && lastSessionId !== undefined && lastId !== lastSessionId && last.patient_id && !status.session) {
      location.assign(`/patients/${last.patient_id}?session=${last.id}`);
    }
    lastSessionId = lastId;
  }

  // Which band is in use and where it came from, in the units chosen.
  function showBandNote() {
    const s = bandSource;
    const whose = s.patient_id ? names.get(String(s.patient_id)) || `patient ${s.patient_id}` : "";
    const technique = s.technique && s.technique !== "rolling" ? ` for ${label(s.technique)}` : "";
    const from = {
      default: whose
        ? `a general starting band (from foam-rolling studies): no band set for ${whose} yet`
        : "a general starting band (from foam-rolling studies), until you set yours by feel or a therapist sets it",
      felt: `${whose ? whose + "'s" : "yours"}, set by feel${s.set_at ? " on " + new Date(s.set_at).toLocaleDateString([], { day: "numeric", month: "short" }) : ""}`,
      manual: `set by the therapist${whose ? " for " + whose : ""}`,
      demonstration: `set by the therapist's demonstration${whose ? " for " + whose : ""}`,
      replay: "the band this session was scored against",
    }[s.source] || s.source;
    $("band-note").textContent = `Target band${technique} ${bandText()}: ${from}.`;
  }

  function showBand(band, source) {
    const changed = band && (band[0] !== bandLow || band[1] !== bandHigh);
    if (changed) [bandLow, bandHigh] = band;
    const sourceChanged = JSON.stringify(source || {}) !== JSON.stringify(bandSource);
    if (source) bandSource = source;
    if (changed || sourceChanged) showBandNote();
    if (changed) chart.redraw(false, false);
  }

  // One cell cannot tell where on the sole it is: the person taps the zone they are working.
  for (const button of document.querySelectorAll("#zones.pick button")) {
    button.addEventListener("click", () => post("/api/zone", { zone: button.parentElement.dataset.zone }));
  }
  function showZone(zone) {
    for (const li of document.querySelectorAll("#zones.pick li")) li.classList.toggle("working", li.dataset.zone === zone);
  }

  function showStatus(status) {
    setState(status.state, status.message);
    showStats(status);
    showSession(status);
    showZone(status.zone);
    showRoutine(status);
    showBand(status.target_band_n, status.band_source);
    if (status.metrics) showMetrics(status.metrics);
  }

  // Redrawn when samples came, and a few times a second while none come (the gap grows).
  let lastDrawMs = 0;
  function draw(ms) {
    if (fresh || (newestT !== null && ms - lastDrawMs > 250)) {
      chart.setData([times, forces.map((f) => (f === null ? null : shown(f)))]);
      fresh = false;
      lastDrawMs = ms;
    }
    requestAnimationFrame(draw);
  }

  function connect() {
    const source = new EventSource("/api/stream");
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "frame") addFrame(event);
      else if (event.type === "status") showStatus(event);
      else if (event.type === "metrics") showMetrics(event);
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (a 503: too many pages open), so the browser will not try again by itself.
        setState("disconnected", "the live view was refused, perhaps too many pfsense pages are open: trying again in 10 s");
        setTimeout(connect, 10000);
      } else {
        setState("disconnected", "reconnecting");
      }
    };
  }

  const formatForce = (forceN) => (inKg ? `${shown(forceN).toFixed(1)} kg` : `${Math.round(forceN)} N`);
  window.pfsenseLive = { formatForce, addFrame, setState, showBand, say, post, resetTrace: () => { times.length = forces.length = 0; newestT = null; fresh = true; } };
  const replayId = new URLSearchParams(location.search).get("replay");
  if (!replayId) connect();
  showUnits();
  requestAnimationFrame(draw);
})();
