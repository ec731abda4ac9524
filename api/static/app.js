"use strict";

const ID_PREFIX = "https://w3id.org/mmkb/id/";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === "") continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function link(href, text) {
  return el("a", { href, target: "_blank", rel: "noopener" }, text);
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

async function errorText(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body.error) return body.error + (body.valid ? ` (valid: ${body.valid.join(", ")})` : "");
  } catch (_) { /* not JSON */ }
  return `${response.status} ${response.statusText}: ${text.slice(0, 500)}`;
}

function showError(target, error) {
  target.replaceChildren(el("p", { class: "error" }, String(error.message || error)));
}

function localName(iri) {
  return iri.startsWith(ID_PREFIX) ? iri.slice(ID_PREFIX.length) : iri.replace(/.*[/#]/, "");
}

// A curated record (id:NAME) links to the page the service serves for it, /id/NAME.
function recordLink(id, text, attrs = {}) {
  return el("a", { href: `/id/${encodeURIComponent(id)}`, class: "record", ...attrs }, text);
}

// The links the service gives with a publication (doi_url, pubmed_url): no resolver is spelled here.
function publicationLinks(pub) {
  const links = [];
  if (pub.doi_url) links.push(link(pub.doi_url, `DOI ${pub.doi}`));
  if (pub.pubmed_url) links.push(link(pub.pubmed_url, `PMID ${pub.pmid}`));
  if (pub.url) links.push(link(pub.url, "web page"));
  return links.flatMap((a, i) => (i ? [" · ", a] : [a]));
}

/* Studies */

async function loadStudies() {
  const target = $("studies");
  try {
    const studies = await getJSON("/studies");
    const rows = studies.map((s) => {
      const top = s.cohorts.filter((c) => !c.subgroup_of);
      const sizes = top.map((c) => el("li", { title: c.id }, recordLink(c.id, c.label || c.id), ": ",
        el("strong", {}, c.sizes.length ? c.sizes.join(" / ") : "n not given")));
      const pubs = s.publications.map((p) => el("li", {}, recordLink(p.id, p.label || p.id, { title: p.title }),
        p.doi || p.pmid || p.url ? [" — ", ...publicationLinks(p)] : []));
      const registry = s.registrations.map((r) => [el("br"), link(r.url, r.nct_id)]);
      return el("tr", { "data-study": s.id },
        el("th", { scope: "row" }, recordLink(s.id, s.label), registry),
        el("td", {}, s.design_label || s.design),
        el("td", {}, el("ul", { class: "plain" }, sizes)),
        el("td", {}, el("ul", { class: "plain" }, pubs)));
    });
    target.replaceChildren(el("table", { id: "studies-table" },
      el("thead", {}, el("tr", {}, ["Study", "Design", "Cohorts (n)", "Sources"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)));
  } catch (error) {
    showError(target, error);
  }
}

/* Comparison and forest plot */

// The selects' values and labels, read from the service (/options), the first value the default. The
// name filters offer "any" first; the refractory set takes drugs and classes (a class is met by any of its drugs).
async function loadOptions() {
  const options = await getJSON("/options");
  for (const [id, name] of [["endpoint", "endpoint"], ["by", "by"], ["threshold", "threshold"], ["ci", "ci"]]) {
    $(id).replaceChildren(...options[name].map((c) => el("option", { value: c.value }, c.label)));
  }
  for (const [id, name] of [["drug", "drug"], ["drug-class", "drug_class"], ["design", "design"]]) {
    $(id).replaceChildren(el("option", { value: "" }, "any"), ...options[name].map((n) => el("option", { value: n }, n)));
  }
  $("refractory").replaceChildren(
    el("optgroup", { label: "drug classes" }, options.drug_class.map((n) => el("option", { value: n }, n))),
    el("optgroup", { label: "drugs" }, options.drug.map((n) => el("option", { value: n }, n))));
}

// The form's selection as the API's query parameters; defaults are left out, so the address stays short.
function selectionParams() {
  const params = new URLSearchParams();
  const endpoint = $("endpoint").value;
  if (endpoint && endpoint !== $("endpoint").options[0].value) params.set("endpoint", endpoint);
  for (const [id, name] of [["by", "by"], ["threshold", "threshold"], ["ci", "ci"]]) params.set(name, $(id).value);
  for (const [id, name] of [["drug", "drug"], ["drug-class", "drug_class"], ["design", "design"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  const refractory = [...$("refractory").selectedOptions].map((o) => o.value);
  if (refractory.length) params.set("refractory", refractory.join(","));
  const minN = parseInt($("min-n").value, 10);
  if (minN > 0) params.set("min_n", String(minN));
  if ($("pool").checked) params.set("pool", "true");
  if ($("allow-retrospective").checked) params.set("allow_retrospective", "true");
  return params;
}

// The table route's parameters: the selection without the endpoint, which is the route's path.
function comparisonParams() {
  const params = selectionParams();
  params.delete("endpoint");
  return params;
}

// A selection read from the address (a bookmark or a shared link) fills the form; a value the service
// does not offer is left at its default and reported, never sent.
function applySelection(query) {
  const params = new URLSearchParams(query);
  const ignored = [];
  const choose = (id, value) => {
    const select = $(id);
    if ([...select.options].some((o) => o.value === value)) select.value = value;
    else ignored.push(value);
  };
  for (const [id, name] of [["endpoint", "endpoint"], ["by", "by"], ["threshold", "threshold"], ["ci", "ci"],
    ["drug", "drug"], ["drug-class", "drug_class"], ["design", "design"]]) {
    if (params.has(name)) choose(id, params.get(name));
  }
  if (params.has("refractory")) {
    const wanted = params.get("refractory").split(",").map((v) => v.trim()).filter(Boolean);
    for (const option of $("refractory").options) option.selected = wanted.includes(option.value);
    ignored.push(...wanted.filter((v) => ![...$("refractory").options].some((o) => o.value === v)));
  }
  if (params.has("min_n")) {
    const minN = parseInt(params.get("min_n"), 10);
    if (Number.isInteger(minN) && minN >= 0) $("min-n").value = String(minN);
    else ignored.push(params.get("min_n"));
  }
  $("pool").checked = params.get("pool") === "true";
  $("allow-retrospective").checked = params.get("allow_retrospective") === "true";
  onEndpointChange();
  $("selection-note").hidden = !ignored.length;
  $("selection-note").textContent = ignored.length ? `Not offered, left at the default: ${ignored.join(", ")}` : "";
}

// The address holds the selection, so that a view can be bookmarked, shared and reloaded.
function recordSelection() {
  const query = selectionParams().toString();
  const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
}

// The study and its design are the group row above its cohorts (compact: the title once, not per row).
const COLUMNS = ["Cohort", "Regimen", "x/n", "Rate % (95% CI)", "Median PFS", "HR (95% CI)", "Flags", "Sources"];

// How the row's responder count was obtained (kb.analysis.pooling_gate.COUNT_ORIGINS).
const COUNT_ORIGIN = {
  reported: "count printed by the source",
  derived: "count not printed: the only whole number that fits the printed figures",
  reconstructed: "count not printed: rebuilt from partial figures or counted from patient records",
  ambiguous: "count not known exactly: several whole numbers fit the printed figures",
  inconsistent: "no whole count fits the printed figures",
  unknown: "no count: the source does not give the denominator",
};

// The rows on show, by rate cell, for the provenance panel.
let shownRows = new Map();

// Numbers as text, by the rule of the table writers (kb/render/numbers.py): fixed decimals, never "-0".
const PERCENT_PLACES = 1;
const MEDIAN_PLACES = 1;
const HAZARD_RATIO_PLACES = 2;
const ABBREVIATIONS = { "not reached": "NR", "not estimable": "NE" };

function numberText(value, places) {
  const text = value.toFixed(places);
  return Number(text) === 0 ? text.replace(/^-/, "") : text;
}

function percentRange(low, high) {
  return `${numberText(low, PERCENT_PLACES)}-${numberText(high, PERCENT_PLACES)}`;
}

// A figure's number, or what stands for it: NR, NE, or its status in words.
function figureText(value, status, places) {
  return value === null ? (ABBREVIATIONS[status] || status) : numberText(value, places);
}

function withInterval(value, status, interval, places) {
  const text = figureText(value, status, places);
  if (!interval) return text;
  return `${text} (${figureText(interval.low, interval.low_status, places)}-${figureText(interval.high, interval.high_status, places)})`;
}

// "4.0 (2.8-5.6) mo", "NR", "not reported"; "" when the row has no median.
function medianText(median) {
  if (!median) return "";
  const text = withInterval(median.estimate, median.status, median.interval, MEDIAN_PLACES);
  const hasNumber = median.estimate !== null || (median.interval && (median.interval.low !== null || median.interval.high !== null));
  return hasNumber && median.unit_symbol ? `${text} ${median.unit_symbol}` : text;
}

// "0.37 (0.27-0.52) vs <comparator arm>"; "" when the row has no hazard ratio.
function hazardRatioText(hr) {
  if (!hr) return "";
  return `${withInterval(hr.estimate, hr.status, hr.interval, HAZARD_RATIO_PLACES)} vs ${hr.comparator}`;
}

function figureNote(value) {
  if (!value) return null;
  const p = value.p_value !== null && value.p_value !== undefined ? `p = ${value.p_value}`
    : (value.p_value_below !== null && value.p_value_below !== undefined ? `p < ${value.p_value_below}` : "");
  return [value.endpoint, value.status === "reported" ? "" : value.status, p, value.source ? `source: ${value.source}` : ""]
    .filter(Boolean).join("; ");
}

function rateText(row) {
  if (row.rate_pct === null || !row.rate_text) return "";
  const ci = row.ci_low_pct !== null && row.ci_high_pct !== null ? ` (${percentRange(row.ci_low_pct, row.ci_high_pct)})` : "";
  return row.rate_text + ci + (row.other_values.length ? `; also ${row.other_values.join(", ")}` : "");
}

function countNote(row) {
  return row.derivation || COUNT_ORIGIN[row.count_origin] || splitWords(row.count_origin);
}

function rateNote(row) {
  if (row.n_unknown) return `${row.rate_text}% as printed, over a denominator the source does not give: no count and no interval`;
  if (row.rate_approximate) {
    return `approximate: the printed figure ${row.printed_pct}%; ${row.candidates.join(", ")} of ${row.n} all fit, and the interval covers each of them`;
  }
  return `${row.x_over_n} = ${row.rate_text}%`;
}

function countCell(row) {
  if (row.n_unknown) {
    return el("td", { class: "count n-unknown", "data-n-unknown": "true", title: countNote(row) },
      row.x_over_n, " ", el("span", { class: "flag" }, "n unknown"));
  }
  return el("td", { class: `count ${row.count_origin}`, "data-count-origin": row.count_origin, title: countNote(row) }, row.x_over_n);
}

function rateCell(row) {
  const text = rateText(row);
  const claim = row.sources.length ? row.sources[0].claim : null;
  const attrs = {
    class: ["rate", row.rate_approximate ? "approximate" : "", row.n_unknown ? "n-unknown" : ""].filter(Boolean).join(" "),
    "data-claim": claim,
    "data-approximate": row.rate_approximate ? "true" : null,
    title: text ? `${rateNote(row)}. Show where this number comes from.` : null,
  };
  if (!claim) return el("td", attrs, text);
  return el("td", { ...attrs, tabindex: "0", role: "button" }, text);
}

function flagsCell(row, marks) {
  const sups = row.caveats.filter((code) => code in marks).sort((a, b) => marks[a].number - marks[b].number)
    .map((code) => el("sup", { title: `${code}: ${marks[code].sentence}` }, el("a", { href: `#caveat-${code}` }, marks[code].number)));
  return el("td", { class: "flags" }, sups);
}

// Each source opens its provenance; beside it, a link to its publication (the service's source_urls:
// its DOI, else its PMID, else its record).
function sourcesCell(row) {
  const urls = row.source_urls || [];
  const spans = row.sources.map((s, i) => [el("span", { "data-claim": s.claim, "data-publication": s.publication, tabindex: "0", role: "button",
    title: "Show where this number comes from" }, s.label),
    urls[i] ? [" ", el("a", { href: urls[i], target: "_blank", rel: "noopener", class: "source-link", title: urls[i], "aria-label": `open ${s.label}` }, "↗")] : []]);
  return el("td", {}, spans.flatMap((span, i) => (i ? ["; ", span] : [span])));
}

// A proportion other than response (its table names the endpoint) shows no survival figures beside the
// rate, and the adverse event where rows are per event (kb.render.typeset.display_columns).
function proportionColumns(table) {
  if (!table.endpoint) return COLUMNS;
  const columns = COLUMNS.filter((h) => h !== "Median PFS" && h !== "HR (95% CI)");
  if (table.rows.some((row) => row.event)) columns.splice(columns.indexOf("Cohort") + 1, 0, "Event");
  return columns;
}

// The columns the study group row stands for.
const GROUP_HEADINGS = new Set(["Study", "Design"]);

// A stratum's rows by study, the studies in the order of their first row.
function byStudy(rows) {
  const studies = new Map();
  for (const row of rows) {
    if (!studies.has(row.study)) studies.set(row.study, []);
    studies.get(row.study).push(row);
  }
  return [...studies.values()];
}

function studyRow(row, width) {
  return el("tr", { class: "study" }, el("th", { colspan: width, scope: "rowgroup", title: row.study },
    row.study, row.design ? el("span", { class: "design" }, ` · ${row.design}`) : ""));
}

// "POLLUX: ... arm (D-Rd)" under its study reads "... arm (D-Rd)"; the full label on hover.
function shortCohort(row) {
  const cut = row.cohort.indexOf(": ");
  if (cut < 0) return row.cohort;
  const head = row.cohort.slice(0, cut);
  const first = head.split(/[\s(]/, 1)[0];
  return first && row.study.startsWith(first) ? row.cohort.slice(cut + 2) : row.cohort;
}

function cohortCell(row) {
  return el("td", { class: "cohort", title: row.cohort }, shortCohort(row));
}

function regimenCell(row) {
  return el("td", { class: "regimen", title: row.regimen }, row.regimen);
}

function comparisonRow(row, marks, columns) {
  for (const source of row.sources) shownRows.set(source.claim, row);
  const lead = columns.includes("Event") ? [cohortCell(row), el("td", {}, row.event)] : [cohortCell(row)];
  const survival = columns.includes("Median PFS") ? [
    el("td", { class: "median", title: figureNote(row.median_pfs) }, medianText(row.median_pfs)),
    el("td", { class: "hazard-ratio", title: figureNote(row.hazard_ratio) }, hazardRatioText(row.hazard_ratio)),
  ] : [];
  return el("tr", { "data-cohort": row.cohort_id, "data-claims": row.sources.map((s) => s.claim).join(";") },
    lead, regimenCell(row),
    countCell(row), rateCell(row), survival, flagsCell(row, marks), sourcesCell(row));
}

function poolingLine(entry) {
  if (!entry.pooled) {
    return [`${entry.stratum}: not pooled`, el("ul", {}, entry.failed.map((f) => el("li", {}, `${f.code}: ${f.sentence}`)))];
  }
  const pi = entry.pi_low_pct !== null && entry.pi_high_pct !== null
    ? `, prediction interval ${percentRange(entry.pi_low_pct, entry.pi_high_pct)}` : "";
  return [`${entry.stratum}: exploratory pooled rate ${numberText(entry.rate_pct, PERCENT_PLACES)}% `
    + `(95% CI ${percentRange(entry.ci_low_pct, entry.ci_high_pct)})${pi}; `
    + `τ² = ${numberText(entry.tau2, 3)}, I² = ${numberText(entry.i2_pct, PERCENT_PLACES)}%; k = ${entry.k}; ${entry.method}`];
}

function comparisonTable(table) {
  // Footnote numbers follow the order of the footnotes ("CODE: sentence" after the first), as in the other formats.
  const order = table.footnotes.slice(1).map((note) => note.split(":", 1)[0]).filter((code) => code in table.caveats);
  const marks = Object.fromEntries(order.map((code, i) => [code, { number: i + 1, sentence: table.caveats[code] }]));
  shownRows = new Map();
  const groups = [];
  for (const row of table.rows) {
    if (!groups.length || groups[groups.length - 1].stratum !== row.stratum) groups.push({ stratum: row.stratum, rows: [] });
    groups[groups.length - 1].rows.push(row);
  }
  const columns = proportionColumns(table);
  const width = columns.length;
  const foot = [el("tr", {}, el("td", { colspan: width }, table.footnotes[0]))];
  for (const code of order) {
    foot.push(el("tr", {}, el("td", { colspan: width, id: `caveat-${code}` }, el("sup", {}, marks[code].number), ` ${code}: ${marks[code].sentence}`)));
  }
  if (table.pool_requested) {
    for (const entry of table.pooling) foot.push(el("tr", { class: "pooling" }, el("td", { colspan: width }, poolingLine(entry))));
  }
  return el("table", { class: "mmkb-comparison", "data-endpoint": table.endpoint || "response" },
    el("thead", {}, el("tr", {}, columns.map((h) => el("th", { scope: "col" }, h)))),
    groups.map((g) => el("tbody", {},
      el("tr", { class: "stratum" }, el("th", { colspan: width, scope: "colgroup" }, g.stratum)),
      byStudy(g.rows).map((rows) => [studyRow(rows[0], width), rows.map((row) => comparisonRow(row, marks, columns))]))),
    el("tfoot", {}, foot));
}

/* Endpoint tables: medians, hazard ratios and landmark rates, one row per cohort and data cut. The
   service writes each figure's readable cell (figure_text) beside its numbers, and the headings. */

const ENDPOINT_KINDS = new Set(["median", "hazard-ratio", "landmark"]);

function figureCell(row) {
  const text = row.figure_text + (row.other_values.length ? `; also ${row.other_values.join(", ")}` : "");
  const claim = row.sources.length ? row.sources[0].claim : null;
  const attrs = { class: `figure ${row.status === "reported" ? "" : "no-number"}`.trim(), "data-claim": claim,
    title: [figureNote(row.figure), "Show where this number comes from."].filter(Boolean).join(". ") };
  return claim ? el("td", { ...attrs, tabindex: "0", role: "button" }, text) : el("td", attrs, text);
}

function endpointRow(row, marks) {
  return el("tr", { "data-cohort": row.cohort_id, "data-claims": row.sources.map((s) => s.claim).join(";"),
    "data-cut": row.data_cut === null ? null : String(row.data_cut) },
  cohortCell(row), regimenCell(row),
  figureCell(row),
  el("td", { class: "data-cut" }, row.data_cut_text),
  el("td", { class: "follow-up" }, row.follow_up_text),
  flagsCell(row, marks), sourcesCell(row));
}

function endpointTable(table) {
  const order = table.footnotes.slice(1).map((note) => note.split(":", 1)[0]).filter((code) => code in table.caveats);
  const marks = Object.fromEntries(order.map((code, i) => [code, { number: i + 1, sentence: table.caveats[code] }]));
  shownRows = new Map();
  const groups = [];
  for (const row of table.rows) {
    if (!groups.length || groups[groups.length - 1].stratum !== row.stratum) groups.push({ stratum: row.stratum, rows: [] });
    groups[groups.length - 1].rows.push(row);
  }
  const headings = table.headings.filter((h) => !GROUP_HEADINGS.has(h));
  const width = headings.length;
  const foot = [el("tr", {}, el("td", { colspan: width }, table.footnotes[0]))];
  for (const code of order) {
    foot.push(el("tr", {}, el("td", { colspan: width, id: `caveat-${code}` }, el("sup", {}, marks[code].number), ` ${code}: ${marks[code].sentence}`)));
  }
  return el("table", { class: "mmkb-comparison", "data-endpoint": table.endpoint },
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
    groups.map((g) => el("tbody", {},
      el("tr", { class: "stratum" }, el("th", { colspan: width, scope: "colgroup" }, g.stratum)),
      byStudy(g.rows).map((rows) => [studyRow(rows[0], width), rows.map((row) => endpointRow(row, marks))]))),
    el("tfoot", {}, foot));
}

// Threshold and pooling apply to response only.
function onEndpointChange() {
  const response = $("endpoint").value === "response";
  for (const id of ["threshold", "pool", "allow-retrospective"]) $(id).disabled = !response;
}

// Downloads of what is shown: the table in the writers' formats, the forest plot as SVG and, where the
// service has the routes (listed in its OpenAPI document), as PNG and PDF.
const PLOT_FORMATS = ["png", "pdf"];
let plotRoutes = new Set();

async function loadPlotRoutes() {
  try {
    const openapi = await getJSON("/openapi.json");
    plotRoutes = new Set(Object.keys(openapi.paths || {}));
  } catch (_) {
    plotRoutes = new Set();
  }
}

function setDownloads(route, params, plotParams) {
  for (const format of ["csv", "md", "latex"]) {
    const query = new URLSearchParams(params);
    query.set("format", format);
    const anchor = $(`download-${format}`);
    anchor.href = `/compare/${route}?${query}`;
    anchor.download = `mmkb-${route}.${format === "latex" ? "tex" : format}`;
  }
  $("download-svg").href = `/plots/forest.svg?${plotParams}`;
  $("download-svg").download = "forest.svg";
  for (const format of PLOT_FORMATS) {
    const anchor = $(`download-${format}`);
    anchor.hidden = !plotRoutes.has(`/plots/forest.${format}`);
    anchor.href = `/plots/forest.${format}?${plotParams}`;
    anchor.download = `forest.${format}`;
  }
  $("downloads").hidden = false;
}

// Each request is numbered: an answer that arrives after a newer request was sent is dropped. A selection
// already shown, or already asked for, is not asked for again.
let comparisonRequest = 0;
let requestedQuery = null;

async function showComparison(event) {
  if (event) event.preventDefault();
  const target = $("comparison");
  const params = comparisonParams();
  const endpoint = $("endpoint").value || "response";
  const route = endpoint === "response" ? "response-rate" : encodeURIComponent(endpoint);
  const query = selectionParams().toString();
  recordSelection();
  if (query === requestedQuery) return;
  requestedQuery = query;
  const request = ++comparisonRequest;
  $("show").disabled = true;
  target.setAttribute("aria-busy", "true");
  try {
    const table = await getJSON(`/compare/${route}?format=json&${params}`);
    if (request !== comparisonRequest) return;
    target.replaceChildren(ENDPOINT_KINDS.has(table.kind) ? endpointTable(table) : comparisonTable(table));
    if (!table.rows.length) target.prepend(el("p", { class: "hint" }, "No cohort matches this selection."));
    const plotParams = new URLSearchParams(params);
    if (endpoint !== "response") plotParams.set("endpoint", endpoint);
    const svg = `/plots/forest.svg?${plotParams}`;
    $("forest").src = svg;
    $("forest-link").href = svg;
    $("forest-figure").hidden = false;
    setDownloads(route, params, plotParams);
    target.dataset.query = query;
  } catch (error) {
    if (request !== comparisonRequest) return;
    requestedQuery = null;
    delete target.dataset.query;
    showError(target, error);
    $("forest-figure").hidden = true;
    $("downloads").hidden = true;
  } finally {
    if (request === comparisonRequest) {
      $("show").disabled = false;
      target.removeAttribute("aria-busy");
    }
  }
}

/* Provenance */

const DERIVATION = {
  Reported: "reported by the source as printed",
  Derived: "derived (computed from numbers the source reports)",
  Reconstructed: "reconstructed (rebuilt from partial figures of the source)",
};

function splitWords(name) {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function isNumber(value) {
  return typeof value === "number";
}

function claimValues(values, how) {
  const parts = [];
  const candidates = how && how.candidates ? how.candidates : [];
  if (isNumber(values.numerator) && isNumber(values.denominator)) parts.push(`${values.numerator}/${values.denominator}`);
  else if (candidates.length === 1 && isNumber(values.denominator)) parts.push(`${candidates[0]}/${values.denominator} (derived)`);
  else if (candidates.length > 1 && isNumber(values.denominator)) parts.push(`${candidates[0]}–${candidates[candidates.length - 1]}/${values.denominator} (candidates)`);
  else if (values.denominator !== undefined && !isNumber(values.denominator)) parts.push(`denominator ${splitWords(String(values.denominator))}`);
  if (values.percent !== undefined) {
    const ci = values.ciLow !== undefined && values.ciHigh !== undefined ? ` (95% CI ${values.ciLow}–${values.ciHigh})` : "";
    parts.push(`${values.percent}%${ci}`);
  }
  if (values.responseThreshold) parts.push(`${values.responseThreshold} or better`);
  return parts.join(", ");
}

function derivationSection(how) {
  if (!how || (!how.inputs.length && !how.note && !how.candidates.length && !how.interpretations.length)) return [];
  const facts = [el("p", { class: "method" }, el("strong", {}, how.method))];
  if (how.note) facts.push(el("p", { class: "note" }, how.note));
  if (how.percent) {
    facts.push(el("p", {}, `Printed: ${how.hedged ? "~" : ""}${how.percent}% of ${how.denominator || "an unstated denominator"}`,
      how.tolerance ? ` (read within ${how.tolerance})` : ""));
  }
  if (how.candidates.length) facts.push(el("p", {}, `Counts that fit: ${how.candidates.join(", ")}`));
  const inputs = how.inputs.map((input) => el("li", { class: "input", "data-counted": input.counted === null ? "input" : String(input.counted) },
    input.counted === null ? "" : el("span", { class: "label" }, input.counted ? "counted: " : "not counted: "),
    el("a", { href: "#", "data-claim": ID_PREFIX + input.id, class: "claim-link" }, input.id),
    ` (${input.about}): ${input.value}`,
    input.evidence.length ? el("ul", { class: "plain" }, input.evidence.map((ev) => evidenceItem(ev))) : []));
  const readings = how.interpretations.map((i) => el("li", { class: "interpretation" }, el("strong", {}, "Read as: "), i.reading));
  return [
    el("h3", {}, "How it was obtained"),
    el("div", { id: "provenance-how" }, facts,
      inputs.length ? el("ul", { id: "provenance-inputs", class: "plain" }, inputs) : [],
      readings.length ? el("ul", { id: "provenance-interpretations", class: "plain" }, readings) : []),
  ];
}

function evidenceItem(ev) {
  const where = ev.url ? link(ev.url, ev.document_label || ev.document) : (ev.document_label || ev.document);
  if (ev.kind === "table" || ev.table) {
    return el("li", { class: "evidence table" },
      el("span", { class: "label" }, "Table cell: "),
      `table ${ev.table || "?"}, row ${ev.row || "?"}, column ${ev.column || "?"}`,
      ev.exact ? [" — ", el("q", {}, ev.exact)] : [],
      where ? [el("br"), "in ", where] : []);
  }
  return el("li", { class: "evidence quote" },
    el("blockquote", {}, ev.prefix ? el("span", { class: "context" }, `…${ev.prefix} `) : "",
      el("mark", {}, ev.exact), ev.suffix ? el("span", { class: "context" }, ` ${ev.suffix}…`) : ""),
    where ? ["in ", where] : []);
}

function rowSection(row) {
  if (!row) return [];
  const rate = row.rate_text ? `${row.rate_text}%` : "no rate";
  return [
    el("dt", {}, "In this row"),
    el("dd", { id: "provenance-row" },
      el("span", { class: row.n_unknown ? "n-unknown" : null }, row.n_unknown ? `${row.x_over_n} (n unknown)` : row.x_over_n),
      `, ${rate}`, row.rate_approximate ? " (approximate)" : "",
      el("br"), el("span", { class: "count-note" }, countNote(row))),
  ];
}

async function openProvenance(iri, row = null) {
  const panel = $("provenance");
  const body = $("provenance-body");
  const id = localName(iri);
  panel.hidden = false;
  panel.dataset.claim = id;
  body.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  try {
    const claim = await getJSON(`/claims/${encodeURIComponent(id)}`);
    const derivation = claim.derivation || "unknown";
    body.replaceChildren(
      el("p", { class: "value" }, el("strong", {}, claimValues(claim.values, claim.how) || id)),
      el("dl", {},
        el("dt", {}, "Source"),
        el("dd", { id: "provenance-source" }, el("span", { title: claim.source.title }, claim.source.label || claim.source.id),
          el("br"), publicationLinks(claim.source)),
        el("dt", {}, "Derivation"),
        el("dd", { id: "provenance-derivation", class: `derivation ${derivation}` }, DERIVATION[derivation] || splitWords(derivation),
          claim.how && claim.how.method !== "reported by the source as printed" ? ` — ${claim.how.method}` : ""),
        ...rowSection(row),
        el("dt", {}, "Verification"),
        el("dd", { id: "provenance-verification" }, splitWords(claim.verification || "not recorded")),
        el("dt", {}, "Claim"),
        el("dd", { id: "provenance-claim" }, recordLink(claim.id, el("code", {}, claim.id)), ` about `,
          recordLink(claim.about, el("code", {}, claim.about)))),
      el("h3", {}, "Evidence"),
      claim.evidence.length
        ? el("ul", { id: "provenance-evidence", class: "plain" }, claim.evidence.map(evidenceItem))
        : el("p", { id: "provenance-evidence", class: "hint" }, "No quote or table cell recorded for this claim."),
      ...derivationSection(claim.how));
    panel.focus();
  } catch (error) {
    showError(body, error);
  }
}

function onComparisonClick(event) {
  const cell = event.target.closest("[data-claim]");
  if (cell && $("comparison").contains(cell)) openProvenance(cell.dataset.claim, shownRows.get(cell.dataset.claim));
}

function onComparisonKey(event) {
  if (event.key !== "Enter" && event.key !== " ") return;
  const cell = event.target.closest("[data-claim]");
  if (cell) {
    event.preventDefault();
    openProvenance(cell.dataset.claim, shownRows.get(cell.dataset.claim));
  }
}

/* Patients: studies that report each patient, one column per patient and one row per attribute */

// Values a source does not give, in words: never a blank cell.
const MISSING = { LostInExtraction: "lost in extraction", NotReported: "not reported", NotEstimable: "not estimable" };

// Row order: who the patients were, what they were refractory to, what was added and how they responded.
const PATIENT_TYPE_ORDER = ["Observation", "Quantity", "Refractoriness", "Treatment", "ResponseAssessment"];
const OUTCOME_MEASURES = new Set(["ProgressionFreeSurvival", "PriorRegimenDuration", "TimeSinceLastIMiD"]);

function conceptText(value) {
  return String(value).replace(/([a-z])([A-Z][a-z])/g, "$1 $2").replace(/([A-Z])([A-Z][a-z])/g, "$1 $2");
}

function tableCell(claim) {
  return claim.evidence.find((ev) => ev.kind === "table" || ev.table);
}

function claimType(claim) {
  return PATIENT_TYPE_ORDER.find((t) => claim.types.includes(t)) || claim.types[0] || "";
}

function patientRank(claim) {
  const type = claimType(claim);
  if (type === "Quantity" && OUTCOME_MEASURES.has(claim.values.measures)) return PATIENT_TYPE_ORDER.length;
  const rank = PATIENT_TYPE_ORDER.indexOf(type);
  return rank < 0 ? PATIENT_TYPE_ORDER.length + 1 : rank;
}

// A row's label: the source table's own row heading where the value is a table cell, else what it is.
function attributeLabel(claim) {
  const type = claimType(claim);
  const values = claim.values;
  if (type === "Treatment") return "Regimen added";
  if (type === "Refractoriness") return `Refractory to ${values.refractoryTo ? conceptText(values.refractoryTo) : "?"}`;
  const cell = tableCell(claim);
  if (type === "ResponseAssessment") {
    if (!cell || !cell.row) return "Best response";
    return /^best response/i.test(cell.row) ? cell.row : `Best response: ${cell.row}`;
  }
  if (cell && cell.row) return cell.row;
  return splitWords(values.measures || values.attribute || claim.id);
}

function regimenText(id, regimens) {
  const regimen = regimens.get(id);
  if (!regimen) return id;
  const drugs = regimen.components.map((c) => c.drug_label || c.drug).filter(Boolean);
  return drugs.length ? drugs.join(" + ") : regimen.label || id;
}

// What the cell shows, and whether the extraction lost it.
function patientValue(claim, regimens) {
  const values = claim.values;
  const type = claimType(claim);
  let value;
  if (type === "Treatment") value = values.toRegimen ? regimenText(values.toRegimen, regimens) : "not reported";
  else if (type === "Refractoriness") value = values.refractory;
  else if (type === "ResponseAssessment") value = values.bestResponse;
  else if (type === "Quantity") value = values.value;
  else value = values.valueConcept !== undefined ? values.valueConcept : values.value;
  if (value === undefined || value === null || value === "") return { text: "not recorded", lost: false };
  if (typeof value === "string" && value in MISSING) return { text: MISSING[value], lost: value === "LostInExtraction" };
  if (value === true) return { text: "yes", lost: false };
  if (value === false) return { text: "no", lost: false };
  if (typeof value === "number") return { text: values.unit ? `${value} ${values.unit}` : String(value), lost: false };
  return { text: type === "Treatment" ? value : conceptText(value), lost: false };
}

function cellTitle(claim, regimens) {
  const cell = tableCell(claim);
  const where = cell ? `${cell.table || "table"}, row ${cell.row || "?"}, column ${cell.column || "?"}` : "quote";
  const regimen = claim.values.toRegimen && claimType(claim) !== "Treatment" ? `; regimen: ${regimenText(claim.values.toRegimen, regimens)}` : "";
  return `${where}${regimen}. Show where this value comes from.`;
}

function patientTable(study, records, regimens) {
  const prefix = (patient) => `${patient.id}-`;
  const rows = new Map();
  for (const patient of records.patients) {
    for (const claim of patient.claims) {
      const key = claim.id.startsWith(prefix(patient)) ? claim.id.slice(prefix(patient).length) : claim.id;
      if (!rows.has(key)) rows.set(key, { key, label: attributeLabel(claim), rank: patientRank(claim), cells: new Map() });
      rows.get(key).cells.set(patient.id, claim);
    }
  }
  const ordered = [...rows.values()].map((row, i) => ({ ...row, i })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  return el("table", { class: "patients", "data-study": study.id },
    el("caption", {}, study.label),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Attribute"),
      records.patients.map((p) => el("th", { scope: "col", "data-patient": p.id }, p.label || p.id)))),
    el("tbody", {}, ordered.map((row) => el("tr", { "data-attribute": row.key },
      el("th", { scope: "row" }, row.label),
      records.patients.map((p) => {
        const claim = row.cells.get(p.id);
        if (!claim) return el("td", { class: "absent" }, "no record");
        const shown = patientValue(claim, regimens);
        return el("td", { class: shown.lost ? "lost" : null, "data-claim": claim.id, "data-lost": shown.lost ? "true" : null,
          tabindex: "0", role: "button", title: cellTitle(claim, regimens) }, shown.text);
      })))));
}

async function loadPatients() {
  const target = $("patients");
  try {
    const studies = await getJSON("/studies");
    const tables = [];
    for (const study of studies) {
      const records = await getJSON(`/patients?study=${encodeURIComponent(study.id)}`);
      if (!records.patients.length) continue;
      const detail = await getJSON(`/studies/${encodeURIComponent(study.id)}`);
      tables.push(patientTable(study, records, new Map(detail.regimens.map((r) => [r.id, r]))));
    }
    target.replaceChildren(...(tables.length ? tables : [el("p", { class: "hint" }, "No study reports individual patients.")]));
  } catch (error) {
    showError(target, error);
  }
}

function onPatientActivate(event) {
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  const cell = event.target.closest("td[data-claim]");
  if (!cell) return;
  event.preventDefault();
  openProvenance(cell.dataset.claim);
}

/* Conflicts */

async function loadConflicts() {
  const target = $("conflicts");
  try {
    const conflicts = await getJSON("/conflicts");
    if (!conflicts.length) {
      target.replaceChildren(el("li", {}, "No conflicts found."));
      return;
    }
    target.replaceChildren(...conflicts.map((c) => el("li", { "data-conflict": c.id },
      el("span", { class: "rule" }, splitWords(c.rule)), " ", c.message, " ", recordLink(c.id, "record"),
      el("ul", { class: "involved" }, c.involves.map((i) => el("li", {},
        el("a", { href: "#", "data-claim": ID_PREFIX + i.id, class: "claim-link" }, i.id),
        i.source_label ? ` — ${i.source_label}` : "",
        i.evidence.length && i.evidence[0].exact ? [": ", el("q", {}, i.evidence[0].exact)] : []))))));
  } catch (error) {
    showError(target, error);
  }
}

function onConflictClick(event) {
  const anchor = event.target.closest("a[data-claim]");
  if (!anchor) return;
  event.preventDefault();
  openProvenance(anchor.dataset.claim);
}

/* Named questions and SPARQL */

async function loadQuestions() {
  const select = $("question");
  try {
    const list = await getJSON("/questions");
    for (const q of list) select.append(el("option", { value: q.name, title: q.description }, q.title));
    select.dataset.loaded = "true";
    select.questions = Object.fromEntries(list.map((q) => [q.name, q]));
  } catch (error) {
    $("sparql-status").textContent = `Could not list the questions: ${error.message}`;
  }
}

async function chooseQuestion() {
  const name = $("question").value;
  if (!name) return;
  const described = ($("question").questions || {})[name];
  $("question-description").textContent = described ? described.description : "";
  try {
    const response = await fetch(`/questions/${encodeURIComponent(name)}.rq`);
    if (!response.ok) throw new Error(await errorText(response));
    $("sparql-query").value = await response.text();
    $("sparql-query").dataset.question = name;
  } catch (error) {
    $("sparql-status").textContent = error.message;
  }
}

function postQuery(query, accept) {
  return fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: accept },
    body: new URLSearchParams({ query }),
  });
}

function termText(term) {
  if (!term) return "";
  if (term.type === "uri") return localName(term.value);
  return term.value;
}

function termCell(term) {
  if (!term) return el("td");
  if (term.type === "uri" && term.value.startsWith(ID_PREFIX)) {
    return el("td", { title: term.value }, recordLink(localName(term.value), localName(term.value)));
  }
  if (term.type === "uri") return el("td", { title: term.value }, localName(term.value));
  return el("td", {}, term.value);
}

// One term as SPARQL 1.1 Query Results CSV writes it: IRIs and literals by their text, blank nodes _:id.
function csvField(term) {
  if (!term) return "";
  const text = term.type === "bnode" ? `_:${term.value}` : term.value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function resultsCsv(vars, bindings) {
  const lines = [vars.join(","), ...bindings.map((b) => vars.map((v) => csvField(b[v])).join(","))];
  return lines.join("\r\n") + "\r\n";
}

let csvUrl = null;

async function runSparql() {
  const query = $("sparql-query").value;
  const target = $("sparql-results");
  const status = $("sparql-status");
  const csv = $("sparql-csv");
  $("run-sparql").disabled = true;
  status.textContent = "Running…";
  csv.hidden = true;
  target.removeAttribute("data-rows");
  try {
    const response = await postQuery(query, "application/sparql-results+json");
    if (!response.ok) throw new Error(await errorText(response));
    const results = await response.json();
    if (typeof results.boolean === "boolean") {
      target.replaceChildren(el("p", { class: "value" }, results.boolean ? "yes (true)" : "no (false)"));
      target.dataset.rows = "0";
      status.textContent = "";
      return;
    }
    const vars = results.head.vars;
    const bindings = results.results.bindings;
    target.replaceChildren(el("table", { id: "sparql-table" },
      el("thead", {}, el("tr", {}, vars.map((v) => el("th", { scope: "col" }, v)))),
      el("tbody", {}, bindings.map((b) => el("tr", {}, vars.map((v) => termCell(b[v])))))));
    target.dataset.rows = String(bindings.length);
    status.textContent = `${bindings.length} row${bindings.length === 1 ? "" : "s"}`;
    // The CSV download is written from the same answer: the endpoint is asked once per query.
    if (csvUrl) URL.revokeObjectURL(csvUrl);
    csvUrl = URL.createObjectURL(new Blob([resultsCsv(vars, bindings)], { type: "text/csv" }));
    csv.href = csvUrl;
    csv.download = `${$("sparql-query").dataset.question || "results"}.csv`;
    csv.hidden = false;
  } catch (error) {
    showError(target, error);
    status.textContent = "";
  } finally {
    $("run-sparql").disabled = false;
  }
}

/* Start */

async function loadHealth() {
  try {
    const health = await getJSON("/health");
    $("status").textContent = `mmkb ${health.version} · ${health.triples.toLocaleString("en")} triples`;
  } catch (error) {
    $("status").textContent = `Service not reachable: ${error.message}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("compare-form").addEventListener("submit", showComparison);
  $("endpoint").addEventListener("change", onEndpointChange);
  // A changed control shows its table at once (and the address follows); Show asks again.
  $("compare-form").addEventListener("change", () => showComparison());
  $("comparison").addEventListener("click", onComparisonClick);
  $("comparison").addEventListener("keydown", onComparisonKey);
  $("conflicts").addEventListener("click", onConflictClick);
  $("patients").addEventListener("click", onPatientActivate);
  $("patients").addEventListener("keydown", onPatientActivate);
  $("provenance-close").addEventListener("click", () => { $("provenance").hidden = true; });
  $("provenance-body").addEventListener("click", onConflictClick);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("provenance").hidden = true; });
  $("question").addEventListener("change", chooseQuestion);
  $("run-sparql").addEventListener("click", runSparql);
  loadHealth();
  loadStudies();
  loadConflicts();
  loadQuestions();
  loadPatients();
  Promise.all([loadOptions(), loadPlotRoutes()]).then(() => {
    applySelection(location.search);
    return showComparison();
  }).catch((error) => showError($("comparison"), error));
});
