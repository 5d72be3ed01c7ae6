// juesuan review: plain JS, no dependencies. State lives here; the server re-checks and saves (app.py).
"use strict";

const state = {
  docs: [],            // /api/documents
  labels: [],
  docId: null,
  doc: null,           // document as displayed (server-applied pending edits)
  tables: [],          // per-table status of the displayed document
  initialViolations: null,  // violations when the document was opened (to show fixed ones in green)
  tableId: null,
  page: null,          // page shown (0-based)
  edits: [],           // pending CellEdit objects, applied in order by the server
  sel: null,           // {row, col} selected cell (Row.index, column)
  editing: false,
};

const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const resp = await fetch(path, opts);
  const data = await resp.json();
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function say(text) { $("message").textContent = text; }

function vkey(v) { return [v.rule, v.table, (v.cells || []).join(";"), v.severity].join("|"); }

// ---------------------------------------------------------------- documents

async function loadDocuments() {
  const data = await api("/api/documents");
  state.docs = data.documents;
  state.labels = data.labels || [];
  $("root").textContent = data.root;
  const ul = $("docs");
  ul.innerHTML = "";
  for (const d of state.docs) {
    const li = document.createElement("li");
    li.className = "doc";
    li.innerHTML = `<div class="doc-name"></div>`;
    li.firstChild.textContent = d.id;
    for (const t of d.tables) {
      const div = document.createElement("div");
      div.className = "table";
      div.dataset.doc = d.id;
      div.dataset.table = t.id;
      const badge = t.errors ? `<span class="badge fail">${t.errors} failing</span>`
        : t.needs_review ? `<span class="badge flag">review</span>` : `<span class="badge pass">ok</span>`;
      div.innerHTML = `${badge} <span></span>`;
      div.lastChild.textContent = `${t.id} ${t.title || ""}`;
      div.addEventListener("click", () => openTable(d.id, t.id));
      li.appendChild(div);
    }
    ul.appendChild(li);
  }
  const select = $("edit-label");
  select.innerHTML = "";
  for (const name of ["", ...state.labels]) {
    const o = document.createElement("option");
    o.value = name; o.textContent = name || "(unchanged)";
    select.appendChild(o);
  }
}

async function openTable(docId, tableId) {
  if (docId !== state.docId) {
    if (state.edits.length && !confirm("Discard unsaved edits?")) return;
    const data = await api(`/api/doc?id=${encodeURIComponent(docId)}`);
    state.docId = docId;
    state.edits = [];
    setDocument(data);
    state.initialViolations = data.document.validation.violations.map(vkey);
  }
  state.tableId = tableId;
  const t = currentTable();
  state.page = t.pages.length ? t.pages[0] : 0;
  state.sel = null;
  for (const el of document.querySelectorAll("#docs .table")) {
    el.classList.toggle("active", el.dataset.doc === docId && el.dataset.table === tableId);
  }
  for (const b of ["save", "confirm", "next-fail"]) $(b).disabled = false;
  showPage();
  render();
}

function setDocument(data) {
  state.doc = data.document;
  state.tables = data.tables;
}

function currentTable() { return state.doc.tables.find((t) => t.id === state.tableId); }

function failingCells(tableId) {
  const bad = new Set();
  for (const v of state.doc.validation.violations) {
    if (v.table !== tableId || v.severity !== "error") continue;
    if (v.target) bad.add(`${v.target.row}:${v.target.col}`);
    for (const c of v.cells || []) if (!v.target) bad.add(`${c[0]}:${c[1]}`);
  }
  return bad;
}

// ---------------------------------------------------------------- drawing

function showPage() {
  const img = $("page-img");
  const src = `/api/page?id=${encodeURIComponent(state.docId)}&page=${state.page}`;
  if (img.getAttribute("src") !== src) {
    img.onload = () => render();
    img.setAttribute("src", src);
  }
}

function render() {
  const t = currentTable();
  if (!t) return;
  const status = state.tables.find((s) => s.id === t.id) || {errors: 0};
  $("table-title").textContent = `${t.id} ${t.title || ""} (${t.rows.length} rows, page ${t.pages.map((p) => p + 1).join(", ")})`;
  const badge = $("status");
  badge.className = "badge " + (status.errors ? "fail" : "pass");
  badge.textContent = status.errors ? `${status.errors} identities fail` : "identities pass";
  $("pending").textContent = state.edits.length ? `${state.edits.length} unsaved edit(s)` : "";
  renderViolations(t);
  renderGrid(t);
  renderOverlay(t);
}

function renderViolations(t) {
  const ul = $("violations");
  ul.innerHTML = "";
  const now = state.doc.validation.violations.filter((v) => v.table === t.id && v.severity !== "info");
  const nowKeys = new Set(now.map(vkey));
  for (const v of now) {
    const li = document.createElement("li");
    li.className = v.severity === "error" ? "fail" : "flag";
    li.textContent = v.message_zh || v.message_en || v.rule;
    li.title = v.message_en || "";
    ul.appendChild(li);
  }
  const before = state.doc.tables.length && state.initialViolations ? state.initialViolations : [];
  for (const key of before) {
    if (nowKeys.has(key) || !key.includes(`|${t.id}|`) || !key.endsWith("|error")) continue;
    const li = document.createElement("li");
    li.className = "pass fixed";
    li.textContent = "✓ now passes: " + key.split("|")[0];
    ul.appendChild(li);
  }
}

function columnsOf(t) {
  let n = 0;
  for (const c of t.columns) n = Math.max(n, c.index + 1);
  for (const r of t.rows) for (const c of r.cells) n = Math.max(n, c.col + 1);
  return n;
}

function renderGrid(t) {
  const bad = failingCells(t.id);
  const n = columnsOf(t);
  const grid = $("grid");
  grid.innerHTML = "";
  const head = grid.insertRow();
  head.appendChild(document.createElement("th")).textContent = "#";
  const headers = {};
  for (const c of t.columns) headers[c.index] = c.header;
  for (let i = 0; i < n; i++) head.appendChild(document.createElement("th")).textContent = headers[i] || `col${i}`;
  for (const r of t.rows) {
    const tr = grid.insertRow();
    tr.appendChild(document.createElement("th")).textContent = r.index;
    for (let i = 0; i < n; i++) {
      const td = tr.insertCell();
      const cell = r.cells.find((c) => c.col === i);
      td.textContent = cell ? cell.text : "";
      td.dataset.row = r.index;
      td.dataset.col = i;
      if (bad.has(`${r.index}:${i}`)) td.classList.add("bad");
      if (cell && cell.source === "human") td.classList.add("human");
      if (state.sel && state.sel.row === r.index && state.sel.col === i) td.classList.add("sel");
      td.addEventListener("click", () => select(r.index, i));
      td.addEventListener("dblclick", () => { select(r.index, i); startEdit(); });
    }
  }
  const selected = grid.querySelector("td.sel");
  if (selected) selected.scrollIntoView({block: "nearest", inline: "nearest"});
}

function renderOverlay(t) {
  const img = $("page-img");
  const overlay = $("overlay");
  overlay.innerHTML = "";
  const info = state.doc.pages.find((p) => p.index === state.page);
  if (!info || !img.naturalWidth) return;
  const scale = img.clientWidth / info.width;
  const bad = failingCells(t.id);
  for (const r of t.rows) {
    for (const c of r.cells) {
      if (c.page !== state.page || !c.bbox.some((v) => v)) continue;
      const div = document.createElement("div");
      div.className = "box";
      if (bad.has(`${r.index}:${c.col}`)) div.classList.add("bad");
      if (c.source === "human") div.classList.add("human");
      if (state.sel && state.sel.row === r.index && state.sel.col === c.col) div.classList.add("sel");
      div.style.left = `${c.bbox[0] * scale}px`;
      div.style.top = `${c.bbox[1] * scale}px`;
      div.style.width = `${(c.bbox[2] - c.bbox[0]) * scale}px`;
      div.style.height = `${(c.bbox[3] - c.bbox[1]) * scale}px`;
      div.title = c.text;
      div.dataset.row = r.index;
      div.dataset.col = c.col;
      div.addEventListener("click", () => { select(r.index, c.col); startEdit(); });
      overlay.appendChild(div);
    }
  }
  const sel = overlay.querySelector(".sel");
  if (sel) sel.scrollIntoView({block: "nearest", inline: "nearest"});
}

// ---------------------------------------------------------------- selection and editing

function cellAt(row, col) {
  const r = currentTable().rows.find((x) => x.index === row);
  return r ? r.cells.find((c) => c.col === col) || null : null;
}

function select(row, col) {
  state.sel = {row, col};
  const cell = cellAt(row, col);
  if (cell && cell.page !== state.page) { state.page = cell.page; showPage(); }
  if (!state.editing) $("editor").hidden = true;
  render();
}

function move(dr, dc) {
  const t = currentTable();
  if (!t || !t.rows.length) return;
  if (!state.sel) { select(t.rows[0].index, 0); return; }
  const indices = t.rows.map((r) => r.index);
  const at = Math.max(0, indices.indexOf(state.sel.row));
  const row = indices[Math.min(indices.length - 1, Math.max(0, at + dr))];
  const col = Math.min(columnsOf(t) - 1, Math.max(0, state.sel.col + dc));
  select(row, col);
}

function startEdit() {
  if (!state.sel) return;
  const cell = cellAt(state.sel.row, state.sel.col);
  state.editing = true;
  $("editor").hidden = false;
  $("edit-where").textContent = `table ${state.tableId}, row ${state.sel.row}, col ${state.sel.col}`;
  $("edit-text").value = cell ? cell.text : "";
  $("edit-label").value = "";
  $("edit-row").value = state.sel.row;
  $("edit-col").value = state.sel.col;
  $("edit-text").focus();
  $("edit-text").select();
}

function cancelEdit() {
  state.editing = false;
  $("editor").hidden = true;
  document.activeElement.blur();
}

async function applyEdit() {
  const cell = cellAt(state.sel.row, state.sel.col);
  const edit = {table: state.tableId, row: state.sel.row, col: state.sel.col};
  const text = $("edit-text").value;
  if (!cell || text !== cell.text) edit.text = text;
  if ($("edit-label").value) edit.label = $("edit-label").value;
  const toRow = parseInt($("edit-row").value, 10);
  const toCol = parseInt($("edit-col").value, 10);
  if (!Number.isNaN(toRow) && toRow !== state.sel.row) edit.to_row = toRow;
  if (!Number.isNaN(toCol) && toCol !== state.sel.col) edit.to_col = toCol;
  cancelEdit();
  if (Object.keys(edit).length === 3) return;
  const edits = [...state.edits, edit];
  try {
    const data = await api(`/api/check?id=${encodeURIComponent(state.docId)}`, {edits});
    state.edits = edits;
    setDocument(data);
    if (edit.to_row !== undefined || edit.to_col !== undefined) {
      state.sel = {row: edit.to_row ?? edit.row, col: edit.to_col ?? edit.col};
    }
    say("checked");
  } catch (err) {
    say(`not applied: ${err.message}`);
  }
  render();
}

function nextFailing() {
  const t = currentTable();
  if (!t) return;
  const bad = [...failingCells(t.id)].map((k) => k.split(":").map(Number));
  if (!bad.length) {
    const next = state.tables.find((s) => s.errors && s.id !== t.id);
    if (next) openTable(state.docId, next.id); else say("no failing cells");
    return;
  }
  const order = t.rows.map((r) => r.index);
  bad.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]) || a[1] - b[1]);
  const cur = state.sel ? [order.indexOf(state.sel.row), state.sel.col] : [-1, -1];
  const after = bad.find((b) => order.indexOf(b[0]) > cur[0] || (order.indexOf(b[0]) === cur[0] && b[1] > cur[1]));
  const [row, col] = after || bad[0];
  select(row, col);
}

async function save(confirmTable) {
  if (!state.docId) return;
  const body = {edits: state.edits, confirm_tables: state.tableId ? [state.tableId] : []};
  if (!confirmTable && !state.edits.length) { say("nothing to save"); return; }
  try {
    const data = await api(`/api/save?id=${encodeURIComponent(state.docId)}`, body);
    state.edits = [];
    setDocument(data);
    say(`saved (${data.recorded} recorded)`);
    const keep = [state.docId, state.tableId];
    await loadDocuments();
    state.docId = keep[0];
    for (const el of document.querySelectorAll("#docs .table")) {
      el.classList.toggle("active", el.dataset.doc === keep[0] && el.dataset.table === keep[1]);
    }
  } catch (err) {
    say(`save failed: ${err.message}`);
  }
  render();
}

function stepTable(delta) {
  const d = state.docs.find((x) => x.id === state.docId);
  if (!d) return;
  const ids = d.tables.map((t) => t.id);
  const next = ids[ids.indexOf(state.tableId) + delta];
  if (next) openTable(state.docId, next);
}

document.addEventListener("keydown", (e) => {
  if (state.editing) {
    if (e.key === "Enter") { e.preventDefault(); applyEdit(); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(); }
    return;
  }
  if (!state.doc) return;
  const keys = {
    ArrowUp: () => move(-1, 0), ArrowDown: () => move(1, 0), ArrowLeft: () => move(0, -1),
    ArrowRight: () => move(0, 1), Enter: () => startEdit(), n: () => nextFailing(), s: () => save(false),
    c: () => save(true), "[": () => stepTable(-1), "]": () => stepTable(1),
  };
  if (keys[e.key] && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); keys[e.key](); }
});

$("editor").addEventListener("submit", (e) => { e.preventDefault(); applyEdit(); });
$("save").addEventListener("click", () => save(false));
$("confirm").addEventListener("click", () => save(true));
$("next-fail").addEventListener("click", () => nextFailing());
window.addEventListener("resize", () => render());

loadDocuments().then(() => {
  const params = new URLSearchParams(location.search);
  const doc = params.get("doc");
  const first = doc ? state.docs.find((d) => d.id === doc) : state.docs[0];
  if (first && first.tables.length) openTable(first.id, first.tables[0].id);
}).catch((err) => say(err.message));
