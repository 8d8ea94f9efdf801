// The live page: draws what the server computed. Frames carry every sample; the big number shows
// the newest, the canvas the last 10 s.
"use strict";
(() => {
  const main = document.getElementById("live");
  const bandLow = Number(main.dataset.bandLow);
  const bandHigh = Number(main.dataset.bandHigh);
  const forceEl = document.getElementById("force");
  const panel = document.getElementById("force-panel");
  const bandLabel = document.getElementById("band-label");
  const stateEl = document.getElementById("state");
  const canvas = document.getElementById("trace");
  const WINDOW_S = 10;
  const trace = []; // [t_s, force_n] pairs, bounded to the window

  function setState(state, message) {
    stateEl.className = "state-" + state;
    stateEl.textContent = message ? state + ": " + message : state;
  }

  function showForce(forceN) {
    if (forceN === null) { forceEl.textContent = "--"; return; }
    forceEl.textContent = Math.round(forceN);
    const band = forceN < bandLow ? "below" : forceN > bandHigh ? "above" : "in";
    panel.className = "band-" + band;
    bandLabel.textContent = { below: "press a little harder", in: "in the target band", above: "too hard: ease off" }[band];
  }

  function addFrame(frame) {
    for (let i = 0; i < frame.t_s.length; i++) trace.push([frame.t_s[i], frame.force_n[i]]);
    const newest = frame.t_s[frame.t_s.length - 1];
    while (trace.length && trace[0][0] < newest - WINDOW_S) trace.shift();
    showForce(frame.force_n[frame.force_n.length - 1]);
  }

  function showMetrics(m) {
    document.getElementById("technique").textContent = (m.technique || "-").replace(/_/g, " ");
    document.getElementById("score").textContent = m.score && m.score.total !== null ? Math.round(m.score.total) : "-";
    document.getElementById("cadence").textContent = m.cadence_per_min ? Math.round(m.cadence_per_min) + "/min" : "-";
    document.getElementById("coaching").textContent = (m.coaching || [])[0] || "";
  }

  function draw() {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    if (trace.length > 1) {
      const t1 = trace[trace.length - 1][0], t0 = t1 - WINDOW_S;
      const top = Math.max(bandHigh * 1.5, ...trace.map((p) => p[1] || 0));
      const y = (f) => h - (f / top) * h;
      ctx.fillStyle = "rgba(30, 123, 52, 0.35)";
      ctx.fillRect(0, y(bandHigh), w, y(bandLow) - y(bandHigh));
      ctx.strokeStyle = "#eee";
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      for (const [t, f] of trace) {
        if (f === null) { pen = false; continue; }
        const x = ((t - t0) / WINDOW_S) * w;
        if (pen) ctx.lineTo(x, y(f)); else ctx.moveTo(x, y(f));
        pen = true;
      }
      ctx.stroke();
    }
    requestAnimationFrame(draw);
  }

  function connect() {
    const source = new EventSource("/api/stream");
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "frame") addFrame(event);
      else if (event.type === "status") setState(event.state, event.message);
      else if (event.type === "metrics") showMetrics(event);
    };
    source.onerror = () => setState("disconnected", "reconnecting");
  }

  connect();
  requestAnimationFrame(draw);
})();
