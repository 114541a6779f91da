// The ossc app store: plain JavaScript, no framework, nothing fetched from the internet.
// Two views, chosen by the URL fragment: the catalog (#/) and a service (#/s/NAME).
// Text from the server is only ever set as text (never as HTML).
"use strict";

const main = document.getElementById("main");

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  let body;
  try { body = await response.json(); } catch { body = { ok: false, error: { message: `HTTP ${response.status}`, help: "" } }; }
  return { status: response.status, body };
}

function show(...nodes) {
  main.replaceChildren(...nodes);
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function failure(title, error) {
  show(h("h1", {}, title), h("p", { class: "note error", role: "alert" }, error.message, error.help ? h("span", { class: "help" }, error.help) : null),
    h("p", {}, h("a", { href: "#/" }, "Back to the catalog")));
}

// ---------------------------------------------------------------- catalog

let catalogCache = null;

async function catalogView() {
  document.title = "ossc · service catalog";
  if (!catalogCache) {
    const { body } = await getJson("/api/catalog");
    if (!body.ok) return failure("The catalog could not be loaded", body.error);
    catalogCache = body.services;
  }
  const services = catalogCache;
  const categories = [...new Set(services.map((s) => s.category))].sort();
  const clouds = [...new Set(services.flatMap((s) => s.standsInFor || []))].sort();
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const q = h("input", { type: "search", id: "q", placeholder: "Name, description, cloud service…", value: params.get("q") || "" });
  const category = h("select", { id: "category" }, h("option", { value: "" }, "All categories"), categories.map((c) => h("option", { value: c }, c)));
  const cloud = h("select", { id: "cloud" }, h("option", { value: "" }, "Any cloud service"), clouds.map((c) => h("option", { value: c }, c)));
  category.value = params.get("category") || "";
  cloud.value = params.get("cloud") || "";
  const count = h("p", { class: "count", id: "count", "aria-live": "polite" });
  const list = h("ul", { class: "cards", id: "services" });

  function render() {
    const needle = q.value.trim().toLowerCase();
    const shown = services.filter((s) => {
      if (category.value && s.category !== category.value) return false;
      if (cloud.value && !(s.standsInFor || []).includes(cloud.value)) return false;
      if (!needle) return true;
      const hay = [s.name, s.title, s.description, s.category, ...(s.standsInFor || [])].join(" ").toLowerCase();
      return hay.includes(needle);
    });
    count.textContent = shown.length === services.length ? `${services.length} services` : `${shown.length} of ${services.length} services`;
    list.replaceChildren(...shown.map(card));
    if (!shown.length) list.append(h("li", { class: "empty" }, "No service matches. Clear the search or the filters."));
  }
  for (const el of [q, category, cloud]) el.addEventListener("input", render);
  render();
  show(
    h("h1", {}, "Service catalog"),
    h("p", { class: "lead" }, "Open-source software packaged as services: highly available, monitored, with access policy and SLO alerts derived from intent. Pick one, turn its knobs, take the bundle to any cluster."),
    h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "q" }, "Search", q), h("label", { for: "category" }, "Category", category), h("label", { for: "cloud" }, "Stands in for", cloud)),
    count, list);
}

function card(s) {
  return h("li", {}, h("article", { class: "card", "data-service": s.name },
    h("h2", {}, h("a", { href: `#/s/${encodeURIComponent(s.name)}` }, s.title || s.name)),
    h("div", { class: "meta" }, h("span", { class: "badge" }, s.category), " ", s.name, " ", s.version),
    h("p", {}, firstSentence(s.description || "")),
    (s.standsInFor || []).length ? h("ul", { class: "chips", "aria-label": "Stands in for" }, s.standsInFor.map((c) => h("li", {}, c))) : null));
}

function firstSentence(text) {
  const t = text.trim().replace(/\s+/g, " ");
  const i = t.indexOf(". ");
  return i > 0 && i < 220 ? t.slice(0, i + 1) : t.length > 240 ? t.slice(0, 237) + "…" : t;
}

// ---------------------------------------------------------------- service

async function serviceView(name) {
  const { body: s } = await getJson(`/api/catalog/${encodeURIComponent(name)}`);
  if (!s.ok) return failure(`No service “${name}”`, s.error);
  document.title = `${s.title || s.name} · ossc`;

  const fields = s.fields;
  const inputs = new Map();
  const groups = new Map();
  for (const f of fields) {
    if (!groups.has(f.group)) groups.set(f.group, []);
    groups.get(f.group).push(f);
  }
  const form = h("form", { class: "knobs", id: "knobs", "aria-label": "Knobs", onsubmit: (e) => e.preventDefault() });
  for (const [group, list] of groups) {
    form.append(h("fieldset", {}, h("legend", {}, group), list.map((f) => fieldRow(f, inputs))));
  }
  const ns = h("input", { type: "text", id: "opt-namespace", placeholder: s.name, autocomplete: "off", spellcheck: "false" });
  const target = h("select", { id: "opt-target" }, ["generic", "gke", "eks", "aks", "openshift", "kind", "compose"].map((t) => h("option", { value: t }, t)));
  const mon = h("input", { type: "checkbox", id: "opt-monitoring" });
  form.append(h("fieldset", {}, h("legend", {}, "Build options"),
    h("div", { class: "field" }, h("label", { for: "opt-namespace" }, "Namespace", h("code", {}, "--namespace")), ns,
      h("p", { class: "desc" }, "Empty: the service gets a namespace of its own, created with Pod Security “restricted”.")),
    h("div", { class: "field" }, h("label", { for: "opt-target" }, "Target cluster", h("code", {}, "--target")), target,
      h("p", { class: "desc" }, "What differs between clusters (storage, load balancers, security contexts); compose gives a Docker Compose file.")),
    h("div", { class: "field" }, h("div", { class: "check" }, mon, h("label", { for: "opt-monitoring" }, "Add ServiceMonitor and PrometheusRule", h("code", {}, "--monitoring prometheus-operator"))),
      h("p", { class: "desc" }, "For clusters running the prometheus-operator: scraping, SLO recording rules and alerts. Off, the bundle applies to a cluster with only built-in APIs."))));
  const reset = h("button", { type: "button", class: "button secondary", id: "reset" }, "Reset to the service's values");
  form.append(h("div", { class: "actions" }, reset));

  const status = h("p", { class: "status", id: "status", role: "status", "aria-live": "polite" }, "Building…");
  const preview = h("pre", { class: "yaml", id: "preview", tabindex: "0", "aria-label": "Bundle preview" }, h("code", {}, ""));
  const cmd = h("code", { id: "command" }, s.command);
  const copy = h("button", { type: "button", class: "button secondary", id: "copy" }, "Copy command");
  const dlYaml = h("a", { class: "button", id: "download-yaml", download: `${s.name}.yaml` }, "Download YAML");
  const dlZip = h("a", { class: "button secondary", id: "download-zip", download: `${s.name}.zip` }, "Download zip (-o layout)");
  const general = h("ul", { class: "notes", id: "notes", "aria-label": "Findings" });

  const about = h("section", { class: "about" },
    h("div", { class: "panel" }, h("h2", {}, "Endpoints"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Port"), h("th", { scope: "col" }, "What"))),
        h("tbody", {}, [...s.endpoints.map((p) => portRow(p, "")), ...s.peerPorts.map((p) => portRow(p, "between replicas"))]))),
    h("div", { class: "panel" }, h("h2", {}, "High availability"),
      h("p", {}, s.highAvailability || "No notes."),
      s.replicaRule ? h("p", { class: "meta" }, `Replicas: ${s.replicaRule.min} to ${s.replicaRule.max}${s.replicaRule.odd ? ", odd only" : ""}. ${s.replicaRule.reason}`) : null,
      s.scalingNote ? h("p", { class: "meta" }, `Scaling: ${s.scalingNote}`) : null),
    h("div", { class: "panel", id: "security" }, h("h2", {}, "Security and connecting"),
      h("p", {}, s.security || "No statement."),
      h("pre", { class: "connect", "aria-label": "ossc connect" }, h("code", {}, s.connect || ""))));

  show(
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Catalog"), " / ", s.name),
    h("div", { class: "service-head" }, h("h1", {}, s.title || s.name), h("span", { class: "badge" }, s.category),
      h("span", { class: "meta" }, `${s.version} · `, h("code", {}, s.image))),
    (s.standsInFor || []).length ? h("p", { class: "meta" }, "Stands in for: ", s.standsInFor.join(", ")) : null,
    h("p", { class: "lead" }, s.description || ""),
    about,
    h("div", { class: "workbench" }, form,
      h("section", { class: "preview", "aria-label": "Bundle" },
        h("div", { class: "toolbar" }, dlYaml, dlZip),
        h("div", { class: "command" }, cmd, copy),
        status, general, preview)));

  let sequence = 0;
  let timer = null;

  function sets() {
    const out = [];
    for (const f of fields) {
      const el = inputs.get(f.path);
      const value = el.type === "checkbox" ? String(el.checked) : el.value.trim();
      const changed = value !== f.value;
      el.closest(".field").classList.toggle("changed", changed);
      if (!changed) continue;
      if (value === "") { if (f.nullable) out.push(`${f.path}=null`); continue; }
      out.push(`${f.path}=${value}`);
    }
    return out;
  }

  function query(list) {
    const p = new URLSearchParams();
    for (const x of list) p.append("set", x);
    if (ns.value.trim()) p.append("namespace", ns.value.trim());
    if (target.value !== "generic") p.append("target", target.value);
    if (mon.checked) p.append("monitoring", "true");
    const q = p.toString();
    return q ? `?${q}` : "";
  }

  function clearNotes() {
    for (const n of form.querySelectorAll(".note")) n.remove();
    for (const el of form.querySelectorAll("[aria-invalid]")) { el.removeAttribute("aria-invalid"); el.setAttribute("aria-describedby", `d-${el.id.slice(2)}`); }
    general.replaceChildren();
  }

  function note(d) {
    const loc = d.location && d.field === null ? ` (${d.location.file}:${d.location.line}:${d.location.column})` : "";
    return h("span", {}, h("strong", {}, d.code), " ", d.message, loc, d.help ? h("span", { class: "help" }, `help: ${d.help}`) : null);
  }

  function place(d) {
    const el = d.field ? inputs.get(d.field) : null;
    const item = h(el ? "p" : "li", { class: `note ${d.severity}`, "data-code": d.code, "data-field": d.field || "" }, note(d));
    if (el) {
      const id = `n-${d.field}-${d.code}`;
      item.id = id;
      el.closest(".field").append(item);
      if (d.severity === "error") el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") || ""} ${id}`.trim());
    } else {
      general.append(item);
    }
  }

  function setDownloads(enabled, q) {
    for (const [a, ext] of [[dlYaml, "yaml"], [dlZip, "zip"]]) {
      const ok = enabled && !(ext === "zip" && target.value === "compose");
      if (ok) { a.href = `/api/bundle/${encodeURIComponent(s.name)}.${ext}${q}`; a.removeAttribute("aria-disabled"); }
      else { a.removeAttribute("href"); a.setAttribute("aria-disabled", "true"); }
    }
  }

  async function rebuild() {
    const mine = ++sequence;
    const list = sets();
    const request = { service: s.name, sets: list, monitoring: mon.checked };
    if (ns.value.trim()) request.namespace = ns.value.trim();
    if (target.value !== "generic") request.target = target.value;
    status.className = "status";
    status.textContent = "Building…";
    const { status: code, body } = await getJson("/api/build", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) });
    if (mine !== sequence) return; // a newer build is on its way
    clearNotes();
    if (body.ok) {
      preview.firstChild.textContent = body.yaml;
      preview.classList.remove("stale");
      cmd.textContent = body.command;
      for (const w of body.warnings) place(w);
      const objects = (body.yaml.match(/^---$/gm) || []).length || 1;
      status.className = "status ok";
      status.textContent = `Up to date: ${objects} objects, ${body.yaml.split("\n").length - 1} lines${body.warnings.length ? `, ${body.warnings.length} warning(s)` : ""}.`;
      setDownloads(true, query(list));
    } else if (body.diagnostics) {
      for (const d of body.diagnostics) place(d);
      if (body.command) cmd.textContent = body.command; // reproduces the findings on the command line
      const errors = body.diagnostics.filter((d) => d.severity === "error").length;
      preview.classList.add("stale");
      status.className = "status bad";
      status.textContent = `${errors} error(s): fix the marked fields. The preview shows the last valid bundle.`;
      setDownloads(false, "");
    } else {
      preview.classList.add("stale");
      status.className = "status bad";
      status.textContent = `${body.error.message}${body.error.help ? ` (${body.error.help})` : ""}`;
      setDownloads(false, "");
      if (code >= 500) status.textContent += " Retry in a moment.";
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(rebuild, 200);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  reset.addEventListener("click", () => {
    for (const f of fields) {
      const el = inputs.get(f.path);
      if (el.type === "checkbox") el.checked = f.value === "true"; else el.value = f.value;
    }
    ns.value = ""; target.value = "generic"; mon.checked = false;
    rebuild();
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(cmd.textContent);
      copy.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(cmd);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copy.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { copy.textContent = "Copy command"; }, 2000);
  });
  rebuild();
}

function portRow(p, note) {
  return h("tr", {}, h("td", {}, h("code", {}, p.name)), h("td", {}, `${p.port}/${p.protocol}`),
    h("td", {}, note ? h("span", { class: "badge" }, note) : null, note ? " " : null, p.description || ""));
}

function fieldRow(f, inputs) {
  const id = `f-${f.path}`;
  const descId = `d-${f.path}`;
  let input;
  const common = { id, name: f.path, "aria-describedby": descId, "data-path": f.path };
  if (f.kind === "bool") {
    input = h("input", { ...common, type: "checkbox" });
    input.checked = f.value === "true";
  } else if (f.kind === "enum") {
    input = h("select", common, f.nullable ? h("option", { value: "" }, "(none)") : null, f.choices.map((c) => h("option", { value: c }, c)));
    input.value = f.value;
  } else if (f.kind === "int" || f.kind === "number" || f.kind === "decimal") {
    input = h("input", { ...common, type: "number", inputmode: f.kind === "int" ? "numeric" : "decimal", step: f.kind === "int" ? "1" : "any", min: f.min ?? null, max: f.max ?? null, value: f.value });
  } else {
    const listId = f.choices.length ? `l-${f.path}` : null;
    input = h("input", { ...common, type: "text", value: f.value, list: listId, autocomplete: "off", spellcheck: "false",
      placeholder: f.kind === "quantity" ? "e.g. 512Mi, 2, 500m" : f.kind === "duration" ? "e.g. 30s, 5m, 1h" : f.kind === "choiceOrInt" ? f.choices.join(", ") + " or a number" : null });
    if (listId) input = [input, h("datalist", { id: listId }, f.choices.map((c) => h("option", { value: c })))];
  }
  const main = Array.isArray(input) ? input[0] : input;
  if (f.disabled) main.disabled = true;
  inputs.set(f.path, main);
  const bounds = [f.min !== null && f.min !== undefined ? `min ${f.min}` : null, f.max !== null && f.max !== undefined ? `max ${f.max}` : null].filter(Boolean).join(", ");
  const label = h("label", { for: id }, f.label, h("code", {}, f.path));
  const desc = h("p", { class: "desc", id: descId }, f.disabled || f.description, !f.disabled && bounds ? h("span", { class: "bounds" }, ` (${bounds})`) : null);
  return f.kind === "bool"
    ? h("div", { class: "field" }, h("div", { class: "check" }, input, label), desc)
    : h("div", { class: "field" }, label, input, desc);
}

// ---------------------------------------------------------------- routing

function route() {
  const hash = location.hash.replace(/^#/, "");
  const m = hash.match(/^\/s\/([^?]+)/);
  (m ? serviceView(decodeURIComponent(m[1])) : catalogView()).catch((e) =>
    failure("Something went wrong", { message: String(e), help: "Is ossc serve still running?" }));
}
window.addEventListener("hashchange", route);
route();
