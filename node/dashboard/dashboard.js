// scnode collaboration health dashboard: vanilla JS, no dependencies.
// Data comes from GET v1/governance/dashboard with the token kept in sessionStorage.
// Every URL is relative to the page (never from the root): at /dashboard the page
// calls /v1/..., served under a prefix at /t/acme/dashboard it calls /t/acme/v1/...
"use strict";

(function () {
  const TOKEN_KEY = "scnode.dashboard.token";
  const LANG_KEY = "scnode.dashboard.lang";
  const POLL_MS = 3000;
  // Labels of the page's own controls; the figures' labels come with the data.
  const UI = {
    window: ["时间窗口", "window"],
    logout: ["退出", "sign out"],
    token: ["访问令牌", "access token"],
    connect: ["连接", "connect"],
    token_hint: [
      "令牌只保存在本标签页（sessionStorage），关闭即清除。",
      "The token stays in this tab only (sessionStorage) and is gone when it closes.",
    ],
    no_partners: ["暂无伙伴节点数据", "no partner data yet"],
    close: ["关闭", "close"],
    lineage: ["数据血缘", "data lineage"],
    trends: ["趋势 (24 小时)", "trends (24 h)"],
    updated: ["已更新", "updated"],
    unauthorized: ["令牌无效或无权限", "token refused or not allowed"],
    offline: ["无法连接节点，稍后重试", "node unreachable, retrying"],
    records: ["记录", "records"],
    received: ["接收时间", "received"],
    subject: ["物料@库位", "sku@location"],
    missing: ["缺失字段", "missing fields"],
    profile: ["映射配置版本", "mapping profile"],
    ledger: ["账本条目", "ledger entry"],
    source_fields: ["源字段", "source fields"],
    partner_entries: ["伙伴账本条目", "partner ledger entries"],
    exception_entries: ["异常账本条目", "exception ledger entries"],
    range: ["时间范围", "time range"],
    state: ["状态", "state"],
    sla: ["SLA", "SLA"],
    none: ["无", "none"],
    sparks_records: ["记录数", "records"],
    sparks_latency: ["P95 延迟", "p95 latency"],
    sparks_missing: ["缺失率", "missing rate"],
    fault_since: ["起始", "since"],
  };
  // Colour of each network-fault badge (the labels come with the data).
  const FAULT_STATUS = { slow: "warn", down: "alert", garbage: "alert", forked: "alert" };
  const SPARK_LABELS = {
    records: "sparks_records",
    latency_p95_ms: "sparks_latency",
    missing_field_rate: "sparks_missing",
  };

  let lang = sessionStorage.getItem(LANG_KEY) || "zh";
  let data = null;
  let selected = null;
  let shownLineage = null;
  let timer = null;

  const $ = (id) => document.getElementById(id);
  const idx = () => (lang === "zh" ? 0 : 1);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function ui(key) {
    return (UI[key] || [key, key])[idx()];
  }

  function label(group, key) {
    if (group === "ui") return ui(key);
    const g = data && data.labels && data.labels[group];
    if (g && g[key]) return g[key][lang];
    return key;
  }

  function applyStaticLabels() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-label]")) {
      const [group, key] = node.getAttribute("data-label").split(".");
      const text = group === "ui" ? ui(key) : data ? label(group, key) : null;
      if (text) node.textContent = text;
    }
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    for (const opt of $("window").options) {
      if (data) opt.textContent = label("window", opt.value);
    }
    document.title = data ? label("page", "title") : document.title;
  }

  // -- data ----------------------------------------------------------------

  async function api(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch(new URL(path, document.baseURI), {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
    if (res.status === 401 || res.status === 403) {
      const err = new Error("auth");
      err.auth = true;
      throw err;
    }
    if (!res.ok) throw new Error("HTTP " + res.status);
    return res.json();
  }

  async function refresh() {
    if (!sessionStorage.getItem(TOKEN_KEY)) return showLogin();
    try {
      data = await api("v1/governance/dashboard?window=" + encodeURIComponent($("window").value));
      render();
    } catch (err) {
      if (err.auth) {
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin();
        $("status").textContent = ui("unauthorized");
        $("status").className = "status bad";
        return;
      }
      $("status").textContent = ui("offline");
      $("status").className = "status bad";
    }
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = setInterval(refresh, POLL_MS);
  }

  // -- rendering -------------------------------------------------------------

  function render() {
    $("login").hidden = true;
    $("logout").hidden = false;
    $("generated").textContent = data.generated_at_display;
    $("generated").setAttribute("data-generated-at", data.generated_at);
    $("ruleset").textContent = data.rule_set;
    $("status").textContent = ui("updated") + " " + data.generated_at_display;
    $("status").className = "status";
    $("node").textContent = data.node;
    applyStaticLabels();
    const head = $("head");
    head.replaceChildren(
      el("th", { scope: "col" }, label("page", "partner")),
      ...data.columns.map((c) => el("th", { scope: "col", "data-col": c.key }, c[lang])),
      el("th", { scope: "col" }, ui("trends"))
    );
    const body = $("rows");
    body.replaceChildren(...data.rows.map(renderRow));
    $("grid").hidden = data.rows.length === 0;
    $("empty").hidden = data.rows.length !== 0;
    if (selected) {
      const row = data.rows.find((r) => r.partner === selected);
      if (row) renderDetail(row);
    }
  }

  function cellText(cell) {
    if (cell.label) return cell.key === "sla" ? cell.display + " · " + cell.label[lang] : cell.label[lang];
    return cell.display;
  }

  function renderRow(row) {
    const name = el(
      "button",
      { type: "button", class: "partner", onclick: () => openDetail(row.partner) },
      row.partner
    );
    const cells = row.cells.map((cell) => {
      const text = cellText(cell);
      const content = cell.lineage
        ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); openLineage(row.partner, cell); } }, text)
        : text;
      return el(
        "td",
        {
          class: "cell s-" + cell.status,
          "data-key": cell.key,
          "data-status": cell.status,
          "data-value": cell.value === null ? "" : cell.value,
          title: label("status", cell.status),
        },
        content
      );
    });
    const sparks = el("td", { class: "sparks" }, ...row.sparklines.map(sparkline));
    return el(
      "tr",
      { class: "row s-" + row.status, "data-partner": row.partner, "data-status": row.status },
      el(
        "th",
        { scope: "row" },
        el("span", { class: "dot s-" + row.status, "aria-hidden": "true" }),
        name,
        faultBadge(row.fault)
      ),
      ...cells,
      sparks
    );
  }

  // A peer's network fault (slow, down, garbage, forked) next to its name.
  function faultBadge(fault) {
    if (!fault) return null;
    const status = FAULT_STATUS[fault.kind] || "alert";
    return el(
      "span",
      {
        class: "fault s-" + status,
        "data-fault": fault.kind,
        "data-since": fault.since_ms,
        title: fault.detail + " · " + ui("fault_since") + " " + (fault.since_display || ""),
      },
      fault.label[lang]
    );
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function sparkline(series) {
    const w = 64, h = 22, pad = 2;
    const values = series.values;
    const known = values.filter((v) => v !== null);
    const max = known.length ? Math.max(...known) : 0;
    const step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
    const y = (v) => h - pad - (max > 0 ? (v / max) * (h - 2 * pad) : 0);
    const root = svg("svg", {
      class: "spark",
      width: w,
      height: h,
      viewBox: `0 0 ${w} ${h}`,
      role: "img",
      "data-series": series.key,
    });
    const title = svg("title", {});
    title.textContent = ui(SPARK_LABELS[series.key] || series.key) + (known.length ? " · max " + fmt(max) : "");
    root.append(title);
    let path = "";
    values.forEach((v, i) => {
      if (v === null) return;
      const cmd = path === "" || values[i - 1] === null ? "M" : "L";
      path += `${cmd}${(pad + i * step).toFixed(1)},${y(v).toFixed(1)}`;
    });
    root.append(svg("line", { x1: pad, x2: w - pad, y1: h - pad, y2: h - pad, class: "base" }));
    if (path) root.append(svg("path", { d: path, class: "line" }));
    const last = values.length - 1;
    if (last >= 0 && values[last] !== null) {
      root.append(svg("circle", { cx: pad + last * step, cy: y(values[last]), r: 1.8, class: "last" }));
    }
    return root;
  }

  function fmt(v) {
    if (Math.abs(v) >= 1000) return Math.round(v).toString();
    return Number.isInteger(v) ? v.toString() : v.toFixed(3);
  }

  // -- drill-down and lineage ------------------------------------------------------

  function openDetail(partner) {
    selected = partner;
    const row = data.rows.find((r) => r.partner === partner);
    if (row) renderDetail(row);
  }

  function renderDetail(row) {
    $("detail").hidden = false;
    $("detail").setAttribute("data-partner", row.partner);
    $("detail-title").textContent = label("page", "partner") + ": " + row.partner;
    const fields = row.fields.length
      ? row.fields.map((f) =>
          el(
            "tr",
            { "data-field": f.key.replace(/^missing:/, "") },
            el("td", {}, f.key.replace(/^missing:/, "")),
            el("td", { class: "cell s-" + f.status },
              el("a", { href: "#", onclick: (e) => { e.preventDefault(); openLineage(row.partner, f); } }, f.display))
          )
        )
      : [el("tr", {}, el("td", {}, ui("none")))];
    $("detail-fields").replaceChildren(...fields);
    const cases = row.exceptions.length
      ? row.exceptions.map((c) =>
          el(
            "tr",
            { "data-case": c.id, class: "s-" + (c.sla_state === "breached" ? "alert" : "ok") },
            el("td", {}, c.label[lang]),
            el("td", {}, c.subject),
            el("td", {}, label("case_state", c.state)),
            el("td", {}, label("sla", c.sla_state)),
            el("td", {}, label("page", "deadline") + " " + c.deadline_display)
          )
        )
      : [el("tr", {}, el("td", {}, ui("none")))];
    $("detail-exceptions").replaceChildren(...cases);
  }

  async function openLineage(partner, cell) {
    const lin = cell.lineage;
    const q = new URLSearchParams({ partner, start: lin.start, end: lin.end, limit: 50 });
    if (lin.fields.length === 1 && cell.key.startsWith("missing:")) q.set("field", lin.fields[0]);
    for (const id of lin.exception_ids) q.append("exception", id);
    let got;
    try {
      got = await api("v1/governance/lineage?" + q.toString());
    } catch (err) {
      $("status").textContent = err.auth ? ui("unauthorized") : ui("offline");
      return;
    }
    renderLineage(cell, lin, got);
  }

  function renderLineage(cell, lin, got) {
    shownLineage = [cell, lin, got];
    $("lineage").hidden = false;
    $("lineage").setAttribute("data-key", cell.key);
    const colName = data.columns.find((c) => c.key === cell.key);
    $("lineage-title").textContent =
      ui("lineage") + ": " + got.partner + " · " + (colName ? colName[lang] : cell.key) + " = " + cell.display;
    const facts = [
      [ui("range"), got.start_display + " — " + got.end_display],
      [ui("records"), String(got.record_count)],
      [ui("source_fields"), Object.entries(got.source_fields).map(([k, v]) => v + " → " + k).join(", ") || ui("none")],
      [ui("profile"), got.mapping_profiles.join(", ") || lin.mapping_profiles.join(", ") || ui("none")],
      [ui("partner_entries"), rangeText(got.partner_ledger_entries)],
      [ui("exception_entries"), got.exception_ledger_entries.join(", ") || ui("none")],
    ];
    $("lineage-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("lineage-head").replaceChildren(
      ...[ui("received"), ui("subject"), ui("missing"), ui("profile"), ui("ledger")].map((t) => el("th", {}, t))
    );
    $("lineage-records").replaceChildren(
      ...got.records.map((r) =>
        el(
          "tr",
          { "data-record": r.id },
          el("td", {}, r.received_at_display),
          el("td", {}, r.subject),
          el("td", {}, r.missing.join(", ")),
          el("td", {}, r.mapping_profile || ""),
          el("td", {}, r.ledger_index === null ? "" : String(r.ledger_index))
        )
      )
    );
  }

  function rangeText(list) {
    if (!list.length) return ui("none");
    if (list.length > 6) return list[0] + " … " + list[list.length - 1] + " (" + list.length + ")";
    return list.join(", ");
  }

  // -- login and controls ------------------------------------------------------

  function showLogin() {
    $("login").hidden = false;
    $("logout").hidden = true;
    $("grid").hidden = true;
    applyStaticLabels();
    $("token").focus();
  }

  function init() {
    $("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const value = $("token").value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      refresh();
      schedule();
    });
    $("logout").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      data = null;
      $("rows").replaceChildren();
      showLogin();
    });
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      sessionStorage.setItem(LANG_KEY, lang);
      if (data) render();
      else applyStaticLabels();
      if (shownLineage && !$("lineage").hidden) renderLineage(...shownLineage);
    });
    $("window").addEventListener("change", refresh);
    $("detail-close").addEventListener("click", () => { selected = null; $("detail").hidden = true; });
    $("lineage-close").addEventListener("click", () => {
      shownLineage = null;
      $("lineage").hidden = true;
    });
    applyStaticLabels();
    if (sessionStorage.getItem(TOKEN_KEY)) {
      refresh();
      schedule();
    } else {
      showLogin();
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
