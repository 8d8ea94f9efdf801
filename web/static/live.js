// The live page: draws what the server computed. Frames carry every sample; the big number shows
// the newest; the chart (uPlot, vendored in static/vendor) the last 10 s at full rate.
"use strict";
(() => {
  const main = document.getElementById("live");
  const bandLow = Number(main.dataset.bandLow);
  const bandHigh = Number(main.dataset.bandHigh);
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

  function showForce(forceN) {
    if (forceN === null) { forceEl.textContent = "--"; return; }
    forceEl.textContent = Math.round(forceN);
    const band = forceN < bandLow ? "below" : forceN > bandHigh ? "above" : "in";
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

  function showMetrics(m) {
    document.getElementById("technique").textContent = (m.technique || "-").replace(/_/g, " ");
    document.getElementById("score").textContent = m.score && m.score.total !== null ? Math.round(m.score.total) : "-";
    document.getElementById("cadence").textContent = m.cadence_per_min ? Math.round(m.cadence_per_min) + "/min" : "-";
    document.getElementById("coaching").textContent = (m.coaching || [])[0] || "";
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
      else if (event.type === "status") setState(event.state, event.message);
      else if (event.type === "metrics") showMetrics(event);
    };
    source.onerror = () => setState("disconnected", "reconnecting");
  }

  connect();
  requestAnimationFrame(draw);
})();
