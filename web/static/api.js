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
    if (!response.ok) throw new Error(answer.message || response.statusText);
    return answer;
  }
  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    for (const child of children) node.append(child);
    return node;
  }
  const label = (name) => (name || "-").replace(/_/g, " ");
  const minutes = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  return { call, el, label, minutes, token };
})();
