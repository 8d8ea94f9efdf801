// A patient's history: adherence against the plan, the score trend, time per zone, each session's
// segments, exports and a replay. Reading needs no PIN; exports do (the server says so).
"use strict";
(() => {
  const { call, el, label, minutes } = window.pfsense;
  const $ = (id) => document.getElementById(id);
  const patientId = Number($("history").dataset.patient);

  async function load() {
    let data;
    try {
      data = await call("GET", `/api/patients/${patientId}`);
    } catch (error) {
      $("message").textContent = error.message;
      return;
    }
    $("name").textContent = data.patient.name;
    const a = data.adherence;
    $("plan").textContent = `plan: ${a.plan_per_week[0]}–${a.plan_per_week[1]} sessions a week; each week below counts the days with one`;
    $("weeks").replaceChildren(...a.weeks.map((w) =>
      el("li", { className: w.met ? "met" : "", title: `week of ${w.monday}`, textContent: String(w.sessions) })));
    $("streak").textContent = `streak: ${a.streak} ${a.streak_unit}`;
    $("history-csv").href = `/api/patients/${patientId}/history.csv`;
    const scored = data.sessions.filter((s) => s.score !== null);
    if (scored.length) {
      new uPlot({ width: Math.min(600, document.body.clientWidth - 32), height: 180, legend: { show: false },
        scales: { x: { time: true }, y: { range: [0, 100] } },
        series: [{}, { stroke: "#6fdc8c", width: 2, points: { show: true, size: 6 } }] },
        [scored.map((s) => Date.parse(s.started_at) / 1000), scored.map((s) => s.score)], $("trend"));
    }
    const totals = {};
    for (const s of data.sessions) for (const [zone, secs] of Object.entries(s.zones_s || {})) totals[zone] = (totals[zone] || 0) + secs;
    $("zone-totals").replaceChildren(...Object.entries(totals).map(([z, s]) => el("li", { textContent: `${z} ${minutes(s)}` })));
    $("sessions").tBodies[0].replaceChildren(...data.sessions.slice().reverse().map((s) => {
      const open = el("button", { type: "button", textContent: "details" });
      open.addEventListener("click", () => showSession(s.id));
      return el("tr", {}, el("td", { textContent: s.started_at.slice(0, 16).replace("T", " ") }), el("td", { textContent: s.status }),
        el("td", { textContent: s.duration_s ? minutes(s.duration_s) : "-" }), el("td", { textContent: s.score === null ? "-" : Math.round(s.score) }),
        el("td", { textContent: s.time_in_band_fraction === null || s.time_in_band_fraction === undefined ? "-" : Math.round(100 * s.time_in_band_fraction) + " %" }),
        el("td", {}, open));
    }));
  }

  async function showSession(id) {
    const data = await call("GET", `/api/sessions/${id}`);
    $("detail").hidden = false;
    $("detail-title").textContent = `Session ${id}: ${data.session.status}`;
    $("segments").tBodies[0].replaceChildren(...data.segments.map((s) => el("tr", {},
      el("td", { textContent: s.position + 1 }), el("td", { textContent: label(s.technique) }), el("td", { textContent: s.zone }),
      el("td", { textContent: Math.round(s.done_s) }), el("td", { textContent: s.score === null ? "-" : Math.round(s.score) }))));
    $("replay").href = `/?replay=${id}`;
    $("samples-csv").href = `/api/sessions/${id}/samples.csv`;
    $("report-json").href = `/api/sessions/${id}/report.json`;
  }

  const wanted = new URLSearchParams(location.search).get("session");
  load().then(() => wanted && showSession(Number(wanted)));
})();
