// A patient's history: adherence against the plan, the score trend, time per zone, each session's
// segments, exports and a replay. Reading needs no PIN; exports do (the server says so). Times are
// the browser's own, written for people.
"use strict";
(() => {
  const { call, el, label, minutes, when, day } = window.pfsense;
  const $ = (id) => document.getElementById(id);
  const patientId = Number($("history").dataset.patient);
  const DAY_S = 86400;
  // Light on the page's near-black (#111): 11:1, past the 4.5:1 that small text needs.
  const AXIS = "#cccccc";
  const GRID = "#333333";

  // Cells that say what they are when the table is shown as cards (pages.css, narrow screens).
  const cells = (headings, values) => headings.map((heading, i) => {
    const td = el("td", {}, values[i]);
    td.dataset.label = heading;
    return td;
  });

  async function load() {
    let data;
    try {
      data = await call("GET", `/api/patients/${patientId}`);
    } catch (error) {
      $("message").textContent = error.message;
      return;
    }
    $("name").textContent = data.patient.name;
    showAdherence(data.adherence);
    $("history-csv").href = `/api/patients/${patientId}/history.csv`;
    showTrend(data.sessions.filter((s) => s.score !== null));
    showZones(data.sessions);
    $("sessions").tBodies[0].replaceChildren(...data.sessions.slice().reverse().map(sessionRow));
  }

  // A week's Monday ("2026-11-30") is a calendar date, not a moment: read it in local time.
  const monday = (iso) => { const [y, m, d] = iso.split("-").map(Number); return new Date(y, m - 1, d); };

  function showAdherence(a) {
    $("plan").textContent = `plan: ${a.plan_per_week[0]}–${a.plan_per_week[1]} sessions a week; each week below counts the days with a session of ${Math.round(a.least_session_s)} s or more`;
    $("weeks").replaceChildren(...a.weeks.map((w) => {
      const item = el("li", { className: w.met ? "met" : "" },
        el("span", { className: "monday", textContent: `from ${day(monday(w.monday))}` }),
        el("span", { className: "count", textContent: String(w.sessions) }));
      item.setAttribute("aria-label", `week from ${day(monday(w.monday))}: ${w.sessions} days${w.met ? ", plan met" : ""}`);
      return item;
    }));
    $("streak").textContent = `streak: ${a.streak} ${a.streak_unit}`;
  }

  // Ticks a day apart or more, named by their date (with the year when the sessions span one).
  const INCREMENTS = [1, 2, 7, 14, 28, 91, 182, 365].map((days) => days * DAY_S);
  function dateTicks(u, splits) {
    const span = u.scales.x.max - u.scales.x.min;
    return splits.map((s) => (span > 300 * DAY_S ? `${day(new Date(s * 1000))} ${new Date(s * 1000).getFullYear()}` : day(new Date(s * 1000))));
  }

  function showTrend(scored) {
    if (!scored.length) return;
    const times = scored.map((s) => Date.parse(s.started_at) / 1000);
    const axis = { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID } };
    const chart = new uPlot({
      width: $("trend").clientWidth, height: 200, legend: { show: false },
      // A day either side of the sessions: one session alone is a point in a three-day window.
      scales: { x: { time: true, range: [times[0] - DAY_S, times[times.length - 1] + DAY_S] }, y: { range: [0, 100] } },
      axes: [{ ...axis, incrs: INCREMENTS, values: dateTicks, space: 56 }, { ...axis, size: 44 }],
      series: [{}, { stroke: "#6fdc8c", width: 2, points: { show: true, size: 7 } }],
    }, [times, scored.map((s) => s.score)], $("trend"));
    window.pfsenseTrend = chart; // for the end-to-end tests
  }

  function showZones(sessions) {
    const totals = {};
    for (const s of sessions) for (const [zone, secs] of Object.entries(s.zones_s || {})) totals[zone] = (totals[zone] || 0) + secs;
    $("zone-totals").replaceChildren(...Object.entries(totals).map(([z, s]) => el("li", { textContent: `${z} ${minutes(s)}` })));
  }

  const SESSION_COLUMNS = ["When", "Status", "Length (min)", "Score", "In band", ""];
  function sessionRow(s) {
    const open = el("button", { type: "button", textContent: "details" });
    open.addEventListener("click", () => showSession(s.id));
    const status = s.status === "complete" && !s.counted ? `complete, too short to count (under ${Math.round(s.least_s)} s)` : s.status;
    const inBand = s.time_in_band_fraction === null || s.time_in_band_fraction === undefined ? "-" : Math.round(100 * s.time_in_band_fraction) + " %";
    const row = el("tr", {}, ...cells(SESSION_COLUMNS, [when(s.started_at), status, s.duration_s ? minutes(s.duration_s) : "-",
      s.score === null ? "-" : String(Math.round(s.score)), inBand, open]));
    row.dataset.session = s.id;
    return row;
  }

  const SEGMENT_COLUMNS = ["#", "Technique", "Zone", "Done (s)", "Score"];
  async function showSession(id) {
    const data = await call("GET", `/api/sessions/${id}`);
    $("detail").hidden = false;
    $("detail-title").textContent = `Session ${id}, ${when(data.session.started_at)}: ${data.session.status}`;
    $("segments").tBodies[0].replaceChildren(...data.segments.map((s) => el("tr", {}, ...cells(SEGMENT_COLUMNS,
      [String(s.position + 1), label(s.technique), s.zone, String(Math.round(s.done_s)), s.score === null ? "-" : String(Math.round(s.score))]))));
    $("replay").href = `/?replay=${id}`;
    $("samples-csv").href = `/api/sessions/${id}/samples.csv`;
    $("report-json").href = `/api/sessions/${id}/report.json`;
  }

  const wanted = new URLSearchParams(location.search).get("session");
  load().then(() => wanted && showSession(Number(wanted)));
})();
