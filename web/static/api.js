// Shared by the pages: JSON requests with the page's CSRF token, and the server's message shown.
"use strict";
window.pfsense = (() => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ message: response.statusText }));
    if (!response.ok) {
      // The whole refusal goes with it: its field (to mark the input), a wait, who has a name.
      throw Object.assign(new Error(answer.message || response.statusText), { answer, status: response.status });
    }
    return answer;
  }
  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    for (const child of children) node.append(child);
    return node;
  }
  const label = (name) => (name || "-").replace(/_/g, " ");
  const minutes = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  // Times for people, in the browser's own time zone: "Tue 1 Dec, 19:29", never an ISO string.
  const WHEN = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const when = (iso) => WHEN.format(new Date(iso)).replace(/,? (\d\d:\d\d)$/, ", $1");
  const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
  const day = (date) => DAY.format(date);
  return { call, el, label, minutes, token, when, day };
})();
