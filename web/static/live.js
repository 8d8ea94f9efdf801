// The live page: draws what the server computed. Frames carry every sample; the big number shows
// the newest; the chart (uPlot, vendored in static/vendor) the last 10 s at full rate.
"use strict";
(() => {
  const main = document.getElementById("live");
  // The band is the default or the patient's; a routine's segment may change it (see showBand).
  let bandLow = Number(main.dataset.bandLow);
  let bandHigh = Number(main.dataset.bandHigh);
  const forceEl = document.getElementById("force");
  const panel = document.getElementById("force-panel");
  const bandLabel = document.getElementById("band-label");
  const stateEl = document.getElementById("state");
  const traceEl = document.getElementById("trace");
  const WINDOW_S = 10;
  const times = []; // every sample of the last WINDOW_S, as the server sent them
  const forces = [];
  let fresh = false;

  // The target band behind the trace, drawn before the series on every redraw.
  function drawBand(u) {
    const ctx = u.ctx;
    const top = u.valToPos(bandHigh, "y", true);
    const bottom = u.valToPos(bandLow, "y", true);
    ctx.save();
    ctx.fillStyle = "rgba(30, 123, 52, 0.35)";
    ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
    ctx.restore();
  }

  const chart = new uPlot(
    {
      width: traceEl.clientWidth || 360,
      height: 200,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false },
        y: { range: (u, min, max) => [0, Math.max(bandHigh * 1.3, max || 0)] },
      },
      axes: [
        { stroke: "#aaa", grid: { stroke: "#333" }, values: (u, ticks) => ticks.map((t) => t.toFixed(0) + " s") },
        { stroke: "#aaa", grid: { stroke: "#333" }, size: 50 },
      ],
      series: [{}, { stroke: "#eee", width: 2, spanGaps: false }],
      hooks: { drawClear: [drawBand] },
    },
    [[], []],
    traceEl,
  );
  window.pfsenseChart = chart; // for the end-to-end tests
  window.addEventListener("resize", () => chart.setSize({ width: traceEl.clientWidth, height: 200 }));

  function setState(state, message) {
    stateEl.className = "state-" + state;
    stateEl.textContent = message ? state + ": " + message : state;
  }

  // Newtons or kilograms (the force a mass of that many kg would weigh), as the person prefers.
  const GRAVITY = 9.80665;
  let inKg = localStorage.getItem("pfsense.units") === "kg";
  function showUnits() {
    document.getElementById("unit").textContent = inKg ? "kg" : "N";
    document.getElementById("units").textContent = inKg ? "show N" : "show kg";
  }
  document.getElementById("units").addEventListener("click", () => {
    inKg = !inKg;
    localStorage.setItem("pfsense.units", inKg ? "kg" : "N");
    showUnits();
  });
  showUnits();

  // A short beep when the force goes over the band, at most once a second while it stays over.
  // Off until switched on: browsers only allow sound after the person has touched the page.
  let audio = null;
  let lastBeepMs = 0;
  window.pfsenseBeeps = 0; // for the end-to-end tests
  document.getElementById("sound").addEventListener("click", (event) => {
    audio = audio ? (audio.close(), null) : new AudioContext();
    event.target.textContent = audio ? "sound on" : "sound off";
    event.target.setAttribute("aria-pressed", String(Boolean(audio)));
  });
  function beep(always, delay_s) {
    const now = performance.now();
    if (!audio || (!always && now - lastBeepMs < 1000)) return;
    if (!always) lastBeepMs = now;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = always ? 660 : 880; // a lower tone for a routine's changes
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    const at = audio.currentTime + (delay_s || 0);
    tone.start(at);
    tone.stop(at + 0.15);
    window.pfsenseBeeps += 1;
  }

  // The pace to follow, pulsing at the target cadence (a full cycle is one on and one off).
  const cadence = Number(main.dataset.cadence);
  const metronome = document.getElementById("metronome");
  if (cadence > 0) setInterval(() => metronome.classList.toggle("on"), 30000 / cadence);

  let resting = false; // a routine's rest: no band to be in, nothing to judge
  function showForce(forceN) {
    if (forceN === null) { forceEl.textContent = "--"; return; }
    forceEl.textContent = inKg ? (forceN / GRAVITY).toFixed(1) : Math.round(forceN);
    if (resting) {
      panel.className = "band-rest";
      bandLabel.textContent = "rest: foot off the ball";
      return;
    }
    const band = forceN < bandLow ? "below" : forceN > bandHigh ? "above" : "in";
    if (band === "above") beep();
    panel.className = "band-" + band;
    bandLabel.textContent = { below: "press a little harder", in: "in the target band", above: "too hard: ease off" }[band];
  }

  function addFrame(frame) {
    for (let i = 0; i < frame.t_s.length; i++) {
      times.push(frame.t_s[i]);
      forces.push(frame.force_n[i]);
    }
    const oldest = times[times.length - 1] - WINDOW_S;
    let cut = 0;
    while (cut < times.length && times[cut] < oldest) cut++;
    if (cut) {
      times.splice(0, cut);
      forces.splice(0, cut);
    }
    fresh = true;
    showForce(frame.force_n[frame.force_n.length - 1]);
  }

  const ZONE_DOSE_S = 30; // DOMAIN.md: 30-120 s per area; the server scores against the same

  // The sole from above, toes up: the server's heat map (20 bins along the foot, heel first, by
  // 8 across) drawn inside a foot outline, brighter for more time worked there.
  function drawFoot(heat) {
    const canvas = document.getElementById("foot");
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

  // Technique, score, rhythm and coaching are for the last half-minute or so (the server's recent
  // window), so they follow what the person is doing now; coverage builds up over the session.
  function showMetrics(m) {
    if (m.coverage) showCoverage(m.coverage);
    const now = m.recent || m;
    // The first seconds of a window are too few to name a technique: the session's stands in.
    // Once the window holds 10 s, its "cannot tell" stands: the session's older technique
    // would say something no longer true.
    const judged = now.technique || (now.duration_s || 0) >= 10 ? now : m;
    const technique = document.getElementById("technique");
    technique.textContent = (judged.technique || "-").replace(/_/g, " ");
    // What it was recognised from, or why pfsense cannot tell (a tap or hover shows it).
    technique.title = judged.technique_seen || "";
    document.getElementById("score").textContent = now.score && now.score.total !== null ? Math.round(now.score.total) : "-";
    document.getElementById("cadence").textContent = now.cadence_per_min ? Math.round(now.cadence_per_min) + "/min" : "-";
    document.getElementById("regularity").textContent =
      now.rhythm_regularity !== null && now.rhythm_regularity !== undefined ? "steady " + Math.round(100 * now.rhythm_regularity) + " %" : "";
    document.getElementById("coaching").textContent = (now.coaching || [])[0] || "";
  }

  // Glitches: readings the cleaner rejected, and samples lost on the way, per reading received.
  function showStats(status) {
    const stats = status.stats;
    const readings = stats.samples * (status.sensor.channels || []).length;
    if (!readings) return;
    const rejected = Object.values(stats.rejected_readings).reduce((a, b) => a + b, 0);
    const rate = (100 * (rejected + stats.lost_samples)) / readings;
    document.getElementById("glitches").textContent = "glitches " + (rate < 0.1 && rate > 0 ? "<0.1" : rate.toFixed(1)) + " %";
  }

  // The page's controls post JSON with the page's CSRF token (api.js); the server's message is shown.
  const { call, label, minutes } = window.pfsense;
  const messageEl = document.getElementById("control-message");
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

  const tareButton = document.getElementById("tare");
  tareButton.addEventListener("click", async () => {
    tareButton.disabled = true;
    say("taring: keep everything off the device for a second");
    if (await post("/api/tare")) say("zeroed");
    tareButton.disabled = false;
  });

  let session = null;
  const sessionButton = document.getElementById("session");
  function showSession(status) {
    session = status.session;
    sessionButton.textContent = session ? "stop session " + minutes(session.duration_s) : "start session";
    sessionButton.classList.toggle("running", Boolean(session));
    if (session && session.problem) say(session.problem, true);
    const last = status.last_session;
    const lastEl = document.getElementById("last-session");
    lastEl.hidden = !last || Boolean(session);
    if (last && last.report) {
      const r = last.report;
      lastEl.textContent = "last session " + minutes(last.duration_s) + ": " +
        (r.technique || "-").replace(/_/g, " ") + ", score " + (r.score.total === null ? "-" : Math.round(r.score.total)) +
        (last.recording ? " (saved as " + last.recording + ")" : "");
    }
  }
  sessionButton.addEventListener("click", async () => {
    sessionButton.disabled = true;
    const running = Boolean(session);
    const answer = await post(running ? "/api/session/stop" : "/api/session/start", running ? {} : patientBody(false));
    if (answer) say(running ? "session saved" : "session started: features from zero");
    sessionButton.disabled = false;
  });

  // Who is rolling: their targets score the session, and their routine can guide it.
  const who = document.getElementById("who");
  const routineButton = document.getElementById("start-routine");
  const historyLink = document.getElementById("my-history");
  function patientBody(routine) {
    return who.value ? { patient_id: Number(who.value), routine } : {};
  }
  function showWho() {
    routineButton.hidden = historyLink.hidden = !who.value;
    historyLink.href = "/patients/" + who.value;
    localStorage.setItem("pfsense.patient", who.value);
  }
  // Reachable from the network, patients' names are for a browser paired at the device (or the
  // therapist): until then the picker offers the pairing form; the device's own page shows the code.
  const pairForm = document.getElementById("pair-form");
  async function showPatients() {
    const pairing = await call("GET", "/api/pairing").catch(() => ({ paired: true }));
    pairForm.hidden = pairing.paired;
    who.parentElement.hidden = !pairing.paired;
    const shown = document.getElementById("pair-code-shown");
    shown.hidden = !(pairing.needed && pairing.code);
    shown.textContent = pairing.code ? `to pair a phone or tablet, enter ${pairing.code} on its page` : "";
    if (!pairing.paired) return;
    const { patients } = await call("GET", "/api/patients");
    who.replaceChildren(new Option("anyone", ""), ...patients.map((p) => new Option(p.name, p.id)));
    who.value = patients.some((p) => String(p.id) === localStorage.getItem("pfsense.patient")) ? localStorage.getItem("pfsense.patient") : "";
    showWho();
  }
  showPatients().catch(() => {});
  pairForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = document.getElementById("pair-code");
    if (await post("/api/pairing", { code: code.value })) {
      say("this browser is paired: patients' names and histories are shown here");
      showPatients().catch(() => {});
    }
    code.value = "";
  });
  who.addEventListener("change", showWho);
  routineButton.addEventListener("click", async () => {
    if (await post("/api/session/start", patientBody(true))) say("routine started");
  });

  // A routine: what to do now, time left, what is next; a double beep at each change.
  const routinePanel = document.getElementById("routine-panel");
  let step = null;
  let lastSessionId; // undefined until the first status
  function showRoutine(status) {
    const routine = status.session && status.session.routine;
    routinePanel.hidden = !routine;
    main.classList.toggle("guided", Boolean(routine));
    resting = Boolean(routine && routine.phase === "rest");
    if (routine) {
      const segment = routine.segment || {};
      const total = routine.phase === "rest" ? segment.rest_s : segment.duration_s;
      document.getElementById("routine-progress").value = total ? Math.min(1, 1 - routine.remaining_s / total) : 0;
      const now = routine.phase === "rest" ? "rest" : `${label(routine.segment.technique)} · ${routine.segment.zone}`;
      document.getElementById("routine-now").textContent = `${routine.index + 1}/${routine.count}: ${now}`;
      document.getElementById("routine-left").textContent = minutes(routine.remaining_s) + " left";
      const next = routine.next;
      document.getElementById("routine-next").textContent = next ? `next: ${label(next.technique)} · ${next.zone}` : "last one";
      const key = routine.index + routine.phase;
      if (step !== null && key !== step) { beep(true); beep(true, 0.25); }
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

  function showBand(band) {
    if (!band || (band[0] === bandLow && band[1] === bandHigh)) return;
    [bandLow, bandHigh] = band;
    document.getElementById("band-note").textContent = `Target band ${Math.round(bandLow)}–${Math.round(bandHigh)} N.`;
    chart.redraw(false, false);
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
    showBand(status.target_band_n);
    if (status.metrics) showMetrics(status.metrics);
  }

  function draw() {
    if (fresh) {
      chart.setData([times, forces]);
      fresh = false;
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

  // ?replay=ID plays a stored session's trace through the same drawing, at its own pace.
  async function replay(id) {
    setState("replay", "session " + id);
    const trace = await call("GET", `/api/sessions/${id}/trace`);
    const started = performance.now();
    let next = 0;
    const timer = setInterval(() => {
      const due = (performance.now() - started) / 1000;
      const frame = { t_s: [], force_n: [] };
      while (next < trace.t_s.length && trace.t_s[next] <= due) {
        frame.t_s.push(trace.t_s[next]);
        frame.force_n.push(trace.force_n[next]);
        next++;
      }
      if (frame.t_s.length) addFrame(frame);
      if (next >= trace.t_s.length) { clearInterval(timer); setState("ended", "replay of session " + id); }
    }, 25);
  }

  const replayId = new URLSearchParams(location.search).get("replay");
  if (replayId) replay(replayId).catch((error) => setState("error", error.message));
  else connect();
  requestAnimationFrame(draw);
})();
