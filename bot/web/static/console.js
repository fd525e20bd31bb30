// The inbox shows items received after the page was drawn: every 15 s it asks the server
// for the rows newer than the newest it knows (same filters), and adds them on top.
"use strict";
(function () {
  const table = document.getElementById("inbox");
  if (!table || !table.dataset.poll) return;
  const EVERY = 15000;
  let latest = table.dataset.latest;
  const columns = ["code", "received", "kind", "category", "hamlet", "status", "due", "assignee"];

  function addRow(r) {
    const body = table.tBodies && table.tBodies[0];
    if (!body) { location.reload(); return; }
    const tr = document.createElement("tr");
    tr.className = "fresh" + (r.overdue ? " overdue" : "");
    const labels = Array.from(table.tHead.rows[0].cells).map((c) => c.textContent);
    columns.forEach((name, i) => {
      const td = document.createElement("td");
      td.dataset.label = labels[i];
      if (name === "code") {
        const a = document.createElement("a");
        a.href = table.dataset.poll.replace(/\/inbox\/newer$/, "/items/") + encodeURIComponent(r.code);
        a.textContent = r.code;
        td.appendChild(a);
      } else if (name === "due") {
        td.className = "due";
        td.textContent = r.deadline + " · " + r.due;
      } else {
        td.textContent = r[name];
      }
      tr.appendChild(td);
    });
    body.insertBefore(tr, body.firstChild);
  }

  async function poll() {
    const query = new URLSearchParams(location.search);
    query.delete("after");
    query.set("since", latest);
    try {
      const answer = await fetch(table.dataset.poll + "?" + query, { credentials: "same-origin" });
      if (answer.ok) {
        const data = await answer.json();
        data.rows.forEach(addRow);
        latest = String(data.latest);
        if (data.rows.length) document.getElementById("newer").hidden = false;
      }
    } finally {
      setTimeout(poll, EVERY);
    }
  }
  setTimeout(poll, EVERY);
})();
