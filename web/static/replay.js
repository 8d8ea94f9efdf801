// ?replay=ID: a stored session's trace played through the live page's drawing at its own pace,
// with play/pause, a seek bar and its progress, against the band the session was scored on.
// The live controls are disabled meanwhile: nothing here acts on the device.
"use strict";
(() => {
  const id = new URLSearchParams(location.search).get("replay");
  if (!id) return;
  const { call, minutes } = window.pfsense;
  const live = window.pfsenseLive;
  const $ = (name) => document.getElementById(name);
  const TICK_MS = 25;

  // The band over time: a free session's own, or each routine segment's for its work and rest.
  function bandTimeline(session) {
    const report = session.report || {};
    if (report.target_band_n) return [{ from_s: 0, band: report.target_band_n }];
    const timeline = [];
    let from_s = 0;
    (session.routine || []).forEach((segment, index) => {
      const band = ((report.segments || [])[index] || {}).target_band_n;
      if (band) timeline.push({ from_s, band });
      from_s += (segment.duration_s || 0) + (segment.rest_s || 0);
    });
    return timeline;
  }
  const bandAt = (timeline, t_s) => timeline.filter((b) => b.from_s <= t_s).pop() || timeline[0];

  function disableLiveControls() {
    for (const control of document.querySelectorAll("#controls-panel button, #patient-picker button, #patient-picker select, #zones button")) {
      control.disabled = true;
      control.title = "this is a replay: go to the live page to use the device";
    }
  }

  async function start() {
    live.setState("replay", "session " + id);
    disableLiveControls();
    const [trace, detail] = await Promise.all([call("GET", `/api/sessions/${id}/trace`), call("GET", `/api/sessions/${id}`)]);
    const timeline = bandTimeline(detail.session);
    const source = { source: "replay" };
    const end_s = trace.t_s.length ? trace.t_s[trace.t_s.length - 1] : 0;
    const seek = $("replay-seek");
    const play = $("replay-play");
    $("replay-controls").hidden = false;
    seek.max = String(end_s);
    let position_s = 0; // how far into the session the replay is
    let next = 0; // the first sample not drawn yet
    let playing = true;
    let lastMs = performance.now();
    window.pfsenseReplay = { get position_s() { return position_s; }, get playing() { return playing; }, end_s };

    function show() {
      seek.value = String(position_s);
      $("replay-position").textContent = `${minutes(position_s)} / ${minutes(end_s)}`;
      const band = bandAt(timeline, position_s);
      if (band) live.showBand(band.band, source);
    }
    function drawUpTo(t_s) {
      const frame = { t_s: [], force_n: [] };
      while (next < trace.t_s.length && trace.t_s[next] <= t_s) {
        frame.t_s.push(trace.t_s[next]);
        frame.force_n.push(trace.force_n[next]);
        next++;
      }
      if (frame.t_s.length) live.addFrame(frame);
    }
    // To a moment: the chart redrawn with the 10 s before it, as if it had played to there.
    function jump(t_s) {
      position_s = Math.max(0, Math.min(end_s, t_s));
      live.resetTrace();
      next = trace.t_s.findIndex((t) => t >= position_s - 10);
      next = next < 0 ? trace.t_s.length : next;
      drawUpTo(position_s);
      show();
    }
    function setPlaying(on) {
      playing = on;
      play.textContent = on ? "pause" : "play";
      play.setAttribute("aria-pressed", String(!on));
      lastMs = performance.now();
    }
    play.disabled = false;
    play.addEventListener("click", () => {
      if (!playing && position_s >= end_s) jump(0);
      setPlaying(!playing);
    });
    seek.disabled = false;
    seek.addEventListener("input", () => jump(Number(seek.value)));
    setInterval(() => {
      const now = performance.now();
      if (playing) {
        position_s = Math.min(end_s, position_s + (now - lastMs) / 1000);
        drawUpTo(position_s);
        if (position_s >= end_s) { setPlaying(false); live.setState("ended", "replay of session " + id); }
        show();
      }
      lastMs = now;
    }, TICK_MS);
    show();
  }

  start().catch((error) => live.setState("replay", `session ${id} cannot be replayed: ${error.message}`));
})();
