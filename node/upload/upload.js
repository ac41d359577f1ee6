// scnode supplier upload page: vanilla JS, no dependencies.
// The file goes to the node as it is (no parsing here): POST v1/upload/preview shows the
// mapping and the rule checks, POST v1/upload/mapping approves columns, and
// POST v1/inventory/snapshots publishes. The token stays in this tab's sessionStorage.
"use strict";

(function () {
  const TOKEN_KEY = "scnode.upload.token";
  const LANG_KEY = "scnode.upload.lang";
  const SOURCE_KEY = "scnode.upload.source";
  const SOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  const MAX_BYTES = 8 * 1024 * 1024; // the node's limit for one snapshot body
  const AT_LEAST = "available_at_least_safety_stock";
  const BELOW = "available_below_safety_stock";
  const UI = {
    title: ["上传库存数据", "Upload inventory"],
    logout: ["退出", "sign out"],
    token: ["访问令牌", "access token"],
    connect: ["连接", "connect"],
    token_hint: [
      "令牌只保存在本标签页（sessionStorage），关闭即清除。",
      "The token stays in this tab only (sessionStorage) and is gone when it closes.",
    ],
    source: ["源系统名称", "source system"],
    zone: ["无时区时间的时区", "time zone of times without one"],
    file: ["ERP 导出文件（CSV 或 JSON）", "ERP export (CSV or JSON)"],
    pick_hint: [
      "选择文件后先预览：字段映射和治理检查都不会保存任何数据。",
      "A chosen file is previewed first: mapping and rule checks store nothing.",
    ],
    columns: ["字段映射", "column mapping"],
    col_source: ["源字段", "source column"],
    col_concept: ["规范字段", "canonical field"],
    col_confidence: ["置信度", "confidence"],
    col_state: ["状态", "state"],
    approve: ["确认映射", "approve mapping"],
    checks: ["治理检查", "governance checks"],
    col_row: ["行", "row"],
    col_field: ["字段", "field"],
    col_rule: ["规则", "rule"],
    col_reason: ["原因", "reason"],
    col_warning: ["提示", "warning"],
    publish: ["发布到账本", "publish to the ledger"],
    result: ["已追加到账本", "appended to the ledger"],
    r_index: ["账本条目序号", "ledger entry index"],
    r_hash: ["条目哈希", "entry hash"],
    r_positions: ["库存记录数", "positions"],
    r_proven: ["已证明（可用 ≥ 安全库存）", "proven (available ≥ safety stock)"],
    r_below: ["低于安全库存", "below safety stock"],
    r_checkpoint: ["签名检查点大小", "signed checkpoint size"],
    r_lineage: ["映射 / 规则版本", "mapping / rule set"],
    col_sku: ["物料", "item"],
    col_location: ["仓库", "location"],
    col_lot: ["批次", "lot"],
    col_fact: ["已发布事实", "published fact"],
    approved: ["已确认", "approved"],
    proposed: ["建议", "proposed"],
    low: ["待确认（置信度低）", "to confirm (low confidence)"],
    changed: ["已修改，待确认", "changed, to approve"],
    previewing: ["正在预览…", "previewing…"],
    approving: ["正在保存映射…", "saving the mapping…"],
    publishing: ["正在发布（生成承诺与零知识证明）…", "publishing (commitments and proofs)…"],
    published: ["发布完成", "published"],
    previewed: ["预览完成，未保存任何数据", "preview done, nothing stored"],
    rows_ok: ["{rows} 行全部通过硬性规则检查", "all {rows} rows pass the hard rules"],
    rows_bad: ["{rows} 行中有 {n} 个问题，发布会被拒绝", "{n} problem(s) in {rows} rows: a publish would be refused"],
    need_approval: ["有 {n} 个字段尚未确认映射", "{n} column(s) without an approved mapping"],
    all_approved: ["所有字段均已按配置 {source} v{version} 映射", "every column is mapped by profile {source} v{version}"],
    bad_source: ["源系统名称：1–64 个字母、数字、. _ -", "source name: 1–64 letters, digits, . _ -"],
    too_large: ["文件超过 8 MiB，请拆分导出", "the file is over 8 MiB; split the export"],
    offline: ["无法连接节点", "node unreachable"],
    fact_at_least: ["可用 ≥ 安全库存（已证明）", "available ≥ safety stock (proven)"],
    fact_below: ["低于安全库存", "below safety stock"],
    fact_none: ["无安全库存事实", "no safety-stock fact"],
    whole_export: ["整个文件", "whole export"],
  };

  let lang = sessionStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
  let upload = null; // {name, bytes, type}: the chosen file, sent as is
  let preview = null; // the last preview answer
  let choices = {}; // column -> concept chosen on the page
  let result = null; // the last publish answer
  let problem = null; // the last error shown
  let previews = 0; // previews started, to drop answers overtaken by a newer one

  const $ = (id) => document.getElementById(id);
  const idx = () => (lang === "zh" ? 0 : 1);

  function ui(key, values) {
    let text = (UI[key] || [key, key])[idx()];
    for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  let shownStatus = null; // the key of the status line's message (re-labelled on a switch)

  function status(key) {
    shownStatus = key;
    renderStatus();
  }

  function renderStatus() {
    $("status").textContent = shownStatus ? ui(shownStatus) : "";
  }

  // -- talking to the node ---------------------------------------------------------
  // Every URL is resolved against the page's own address, never from the root: the
  // page at /upload calls v1/... = /v1/..., at /t/acme/upload it calls /t/acme/v1/...

  function endpoint(path, params) {
    const url = new URL(path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
    return url;
  }

  class Problem extends Error {
    constructor(status, body) {
      const p = body && typeof body === "object" ? body : {};
      super(p.title || "HTTP " + status);
      this.status = status;
      this.title = typeof p.title === "string" ? p.title : "HTTP " + status;
      this.detail = typeof p.detail === "string" ? p.detail : "";
      this.errors = Array.isArray(p.errors) ? p.errors : [];
    }
  }

  async function call(path, params, body, contentType) {
    const headers = {
      Authorization: "Bearer " + (sessionStorage.getItem(TOKEN_KEY) || ""),
      Accept: "application/json, application/problem+json",
      "Content-Type": contentType,
    };
    let res;
    try {
      res = await fetch(endpoint(path, params), {
        method: "POST",
        headers,
        body,
        cache: "no-store",
        credentials: "omit",
        redirect: "error",
      });
    } catch (err) {
      throw new Problem(0, { title: ui("offline"), detail: String(err && err.message) });
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      data = null;
    }
    if (!res.ok) throw new Problem(res.status, data);
    return data;
  }

  function showProblem(err) {
    problem = err instanceof Problem ? err : new Problem(0, { title: String(err && err.message) });
    renderProblem();
    status(null);
    if (problem.status === 401) {
      // a refused token: ask for another one
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    }
  }

  function renderProblem() {
    $("error").hidden = problem === null;
    if (problem === null) return;
    $("error").setAttribute("data-status", String(problem.status));
    $("error-title").textContent = problem.title + (problem.status ? " (" + problem.status + ")" : "");
    $("error-detail").textContent = problem.detail;
    $("error-list").replaceChildren(
      ...problem.errors.slice(0, 200).map((e) => el("li", {}, where(e.loc) + ": " + (e.msg || "")))
    );
  }

  function clearProblem() {
    problem = null;
    renderProblem();
  }

  // -- the file --------------------------------------------------------------------

  function mediaType(name, bytes) {
    const lower = name.toLowerCase();
    if (lower.endsWith(".json")) return "application/json";
    if (lower.endsWith(".csv") || lower.endsWith(".txt")) return "text/csv";
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    while (i < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i])) i += 1;
    return bytes[i] === 0x5b || bytes[i] === 0x7b ? "application/json" : "text/csv";
  }

  function source() {
    return $("source").value.trim();
  }

  async function chooseFile() {
    const picked = $("file").files[0];
    previews += 1; // an answer about the previous file is no longer shown
    upload = null;
    preview = null;
    result = null;
    choices = {};
    render();
    if (!picked) return;
    clearProblem();
    if (picked.size > MAX_BYTES) return showProblem(new Problem(413, { title: ui("too_large") }));
    const bytes = new Uint8Array(await picked.arrayBuffer());
    upload = { name: picked.name, bytes, type: mediaType(picked.name, bytes) };
    await runPreview();
  }

  async function runPreview() {
    if (!upload || !sessionStorage.getItem(TOKEN_KEY)) return;
    if (!SOURCE_RE.test(source())) return showProblem(new Problem(0, { title: ui("bad_source") }));
    localStorage.setItem(SOURCE_KEY, source());
    const ticket = ++previews; // only the latest preview's answer is shown
    preview = null;
    render();
    status("previewing");
    let answer = null;
    let failure = null;
    try {
      const params = { source: source(), timezone: $("zone").value };
      answer = await call("v1/upload/preview", params, upload.bytes, upload.type);
    } catch (err) {
      failure = err;
    }
    if (ticket !== previews) return;
    preview = answer;
    choices = {};
    if (failure) showProblem(failure);
    else {
      clearProblem();
      status("previewed");
    }
    render();
  }

  function pending() {
    // columns whose mapping is not approved yet, or changed on the page
    const out = {};
    for (const c of (preview && preview.columns) || []) {
      const chosen = choices[c.name] || c.concept;
      if (!c.approved || chosen !== c.concept) out[c.name] = chosen;
    }
    return out;
  }

  async function approve() {
    const fields = pending();
    if (!Object.keys(fields).length) return;
    status("approving");
    try {
      const body = JSON.stringify({ source: source(), timezone: $("zone").value, fields });
      await call("v1/upload/mapping", {}, body, "application/json");
    } catch (err) {
      return showProblem(err);
    }
    await runPreview();
  }

  async function publish() {
    if (!upload || !preview || !preview.ready) return;
    $("publish").disabled = true;
    status("publishing");
    try {
      result = await call("v1/inventory/snapshots", { source: source() }, upload.bytes, upload.type);
      clearProblem();
      status("published");
    } catch (err) {
      showProblem(err);
    }
    render();
  }

  // -- rendering -------------------------------------------------------------------

  function where(loc) {
    if (!Array.isArray(loc)) return "";
    return loc.map((p) => String(p)).join(" › ");
  }

  function conceptLabel(c) {
    return (lang === "zh" ? c.zh : c.en) + " · " + c.id;
  }

  function renderColumns() {
    const cols = (preview && preview.columns) || [];
    $("columns").hidden = cols.length === 0;
    const pendingNow = pending();
    $("column-rows").replaceChildren(
      ...cols.map((c) => {
        const chosen = choices[c.name] || c.concept;
        const select = el("select", { "aria-label": c.name, "data-column": c.name });
        for (const concept of preview.concepts) {
          const opt = el("option", { value: concept.id }, conceptLabel(concept));
          opt.selected = concept.id === chosen;
          select.append(opt);
        }
        select.addEventListener("change", () => {
          choices[c.name] = select.value;
          render();
        });
        const state = chosen !== c.concept ? "changed" : c.approved ? "approved" : c.confidence >= 0.8 ? "proposed" : "low";
        const pct = Math.round(c.confidence * 100);
        const fill = el("span", { class: "fill s-" + state });
        fill.style.width = pct + "%"; // CSSOM, allowed by the page's style-src 'self'
        return el(
          "tr",
          { "data-column": c.name, "data-concept": chosen, "data-state": state },
          el("th", { scope: "row" }, c.name),
          el("td", { title: c.explanation }, select),
          el("td", { class: "conf" }, el("span", { class: "meter" }, fill), pct + " %"),
          el("td", { class: "s-" + state }, ui(state))
        );
      })
    );
    const n = Object.keys(pendingNow).length;
    $("approve").hidden = n === 0;
    $("columns-summary").textContent = !preview
      ? ""
      : n
        ? ui("need_approval", { n })
        : ui("all_approved", { source: preview.source, version: preview.profile_version });
  }

  function rowOf(loc) {
    return Array.isArray(loc) && loc[0] === "positions" && Number.isInteger(loc[1]) ? loc[1] + 1 : null;
  }

  function renderChecks() {
    $("checks").hidden = !preview;
    $("publish").disabled = true;
    if (!preview) return;
    const problems = preview.problems;
    $("checks-summary").textContent = problems.length
      ? ui("rows_bad", { rows: preview.rows, n: problems.length })
      : ui("rows_ok", { rows: preview.rows });
    $("checks-summary").className = problems.length ? "bad" : "good";
    $("problems").hidden = problems.length === 0;
    $("problem-rows").replaceChildren(
      ...problems.map((p) => {
        const row = rowOf(p.loc);
        const field = Array.isArray(p.loc) ? String(p.loc[p.loc.length - 1]) : "";
        return el(
          "tr",
          { "data-row": row === null ? "" : row, "data-rule": p.type },
          el("td", {}, row === null ? ui("whole_export") : row),
          el("td", {}, field),
          el("td", { class: "mono" }, p.type),
          el("td", {}, p.msg)
        );
      })
    );
    $("warnings").hidden = preview.warnings.length === 0;
    $("warning-rows").replaceChildren(
      ...preview.warnings.map((w) =>
        el("tr", { "data-row": w.row + 1, "data-rule": w.rule_id }, el("td", {}, w.row + 1), el("td", {}, w.field || ""), el("td", { class: "mono" }, w.rule_id), el("td", {}, w.message))
      )
    );
    const changed = Object.keys(pending()).length > 0;
    $("publish").disabled = !preview.ready || changed || result !== null;
  }

  function factOf(position) {
    const facts = position.facts.map((f) => f.fact);
    if (facts.includes(AT_LEAST)) return ui("fact_at_least");
    if (facts.includes(BELOW)) return ui("fact_below");
    return ui("fact_none");
  }

  function renderResult() {
    $("result").hidden = result === null;
    if (result === null) return;
    const facts = result.positions.flatMap((p) => p.facts);
    $("result-index").textContent = String(result.index);
    $("result-hash").textContent = result.leaf_hash;
    $("result-positions").textContent = String(result.positions.length);
    $("result-proven").textContent = String(facts.filter((f) => f.fact === AT_LEAST && f.proof).length);
    $("result-below").textContent = String(facts.filter((f) => f.fact === BELOW).length);
    $("result-checkpoint").textContent = String(result.checkpoint_size);
    $("result-lineage").textContent =
      (result.source || "—") + " v" + (result.mapping_profile_version ?? "—") + " / " + result.rule_set;
    $("result-rows").replaceChildren(
      ...result.positions.map((p) =>
        el("tr", { "data-n": p.n }, el("td", {}, p.sku), el("td", {}, p.location || ""), el("td", {}, p.lot || ""), el("td", {}, factOf(p)))
      )
    );
  }

  function applyLabels() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-label]")) {
      node.textContent = ui(node.getAttribute("data-label"));
    }
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    document.title = ui("title");
  }

  function render() {
    applyLabels();
    renderColumns();
    renderChecks();
    renderResult();
    renderProblem();
    renderStatus();
  }

  // -- login and start -------------------------------------------------------------

  function showLogin() {
    $("login").hidden = false;
    $("pick").hidden = true;
    $("logout").hidden = true;
    $("token").value = "";
  }

  function showPick() {
    $("login").hidden = true;
    $("pick").hidden = false;
    $("logout").hidden = false;
  }

  function zones() {
    const offsets = ["Z"];
    for (let h = -12; h <= 14; h += 1) {
      if (h === 0) continue;
      offsets.push((h < 0 ? "-" : "+") + String(Math.abs(h)).padStart(2, "0") + ":00");
    }
    offsets.push("+05:30", "+05:45", "+09:30");
    const here = -new Date().getTimezoneOffset();
    const mine =
      here === 0
        ? "Z"
        : (here < 0 ? "-" : "+") +
          String(Math.floor(Math.abs(here) / 60)).padStart(2, "0") +
          ":" +
          String(Math.abs(here) % 60).padStart(2, "0");
    if (!offsets.includes(mine)) offsets.push(mine);
    $("zone").replaceChildren(...offsets.map((z) => el("option", { value: z, selected: z === mine }, z === "Z" ? "UTC (Z)" : "UTC" + z)));
  }

  function start() {
    zones();
    $("source").value = localStorage.getItem(SOURCE_KEY) || "";
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = $("token").value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      clearProblem();
      showPick();
      if (upload) runPreview();
    });
    $("pick-form").addEventListener("submit", (ev) => ev.preventDefault());
    $("logout").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    });
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      sessionStorage.setItem(LANG_KEY, lang);
      render();
    });
    $("file").addEventListener("change", chooseFile);
    $("source").addEventListener("change", runPreview);
    $("zone").addEventListener("change", runPreview);
    $("approve").addEventListener("click", approve);
    $("publish").addEventListener("click", publish);
    if (sessionStorage.getItem(TOKEN_KEY)) showPick();
    else showLogin();
    render();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
