// The chat page: model picker, filters, streamed answers with [n] links, sources, grounding flags, timings.

import { ApiError, apiKey, getJson, parseServerTiming, postJson, setApiKey, STORE, streamChat } from "./api.js";
import { renderAnswer } from "./render.js";
import { closeViewer, initViewer, openFiling } from "./viewer.js";

const $ = (id) => document.getElementById(id);
const MODEL_STORAGE = "sec-rag.model";

const state = {
  history: [], // [{role, content}] of finished turns
  controller: null,
  sources: [],
  files: [],
};

function showStatus(message, kind = "error") {
  const box = $("status");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = !message;
}

function showError(err) {
  if (err?.name === "AbortError") return;
  showStatus(err instanceof ApiError ? err.message : "Something went wrong in the page. Reload and try again.");
}

// --- models and filters ------------------------------------------------------------------------------

async function loadModels() {
  const select = $("model");
  try {
    const { data } = await getJson("/v1/models");
    const saved = localStorage.getItem(MODEL_STORAGE);
    select.replaceChildren(...data.map((m) => new Option(m.id, m.id, false, m.id === saved)));
    if (!data.length) select.replaceChildren(new Option("no model available", ""));
  } catch (err) {
    select.replaceChildren(new Option("models unavailable", ""));
    throw err;
  }
}

function checkbox(name, value, text) {
  const id = `${name}-${value}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const wrap = document.createElement("div");
  const input = Object.assign(document.createElement("input"), { type: "checkbox", id, name, value });
  const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: text });
  wrap.append(input, label);
  return wrap;
}

async function loadFiles() {
  const { data } = await getJson(`/v1/vector_stores/${STORE}/files`);
  state.files = data;
  const companies = new Map();
  const years = new Set();
  const forms = new Set();
  for (const file of data) {
    const a = file.attributes;
    if (a.ticker) companies.set(a.ticker, a.company || a.ticker);
    if (a.fiscal_year) years.add(a.fiscal_year);
    if (a.form) forms.add(a.form);
  }
  $("companies").replaceChildren(
    ...[...companies].sort().map(([ticker, company]) => checkbox("ticker", ticker, `${company} (${ticker})`)),
  );
  $("years").replaceChildren(...[...years].sort((a, b) => b - a).map((y) => checkbox("fiscal_year", y, String(y))));
  $("form").replaceChildren(new Option("any", ""), ...[...forms].sort().map((f) => new Option(f, f)));
}

function ticked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

/** The request's rag.filters from the form, or null when nothing is chosen (the gateway may infer one). */
export function chosenFilter() {
  const parts = [];
  const tickers = ticked("ticker");
  const years = ticked("fiscal_year").map(Number);
  const form = $("form").value;
  if (tickers.length === 1) parts.push({ type: "eq", key: "ticker", value: tickers[0] });
  else if (tickers.length > 1) parts.push({ type: "in", key: "ticker", value: tickers });
  if (years.length === 1) parts.push({ type: "eq", key: "fiscal_year", value: years[0] });
  else if (years.length > 1) parts.push({ type: "in", key: "fiscal_year", value: years });
  if (form) parts.push({ type: "eq", key: "form", value: form });
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0] : { type: "and", filters: parts };
}

export function describeFilter(filter) {
  if (!filter) return "";
  if (filter.type === "and" || filter.type === "or") {
    return filter.filters.map(describeFilter).join(filter.type === "and" ? " and " : " or ");
  }
  const value = Array.isArray(filter.value) ? filter.value.join(", ") : String(filter.value);
  const ops = { eq: "=", ne: "≠", gt: ">", gte: "≥", lt: "<", lte: "≤", in: "in", nin: "not in" };
  return `${filter.key} ${ops[filter.type] || filter.type} ${value}`;
}

/** The filter the gateway searched with, from the response's `retrieval` object (first stream chunk). */
function reportedFilter(event) {
  const r = event?.retrieval;
  if (!r) return null;
  if (r.inferred_filters) return { filter: r.inferred_filters, inferred: true, items: r.items || [] };
  if (r.filters) return { filter: r.filters, inferred: false, items: r.items || [] };
  return r.items?.length ? { filter: null, inferred: true, items: r.items } : null;
}

function showAppliedFilter(sent, reported) {
  const box = $("applied-filter");
  if (sent) {
    box.textContent = `Filter sent: ${describeFilter(sent)}`;
  } else if (reported?.filter) {
    box.textContent = `${reported.inferred ? "Inferred from the question" : "Applied"}: ${describeFilter(reported.filter)}`;
  } else if (!reported) {
    box.textContent = "No filter sent; the gateway did not report one.";
  } else {
    box.textContent = "No filter: the whole index was searched.";
  }
  if (reported?.items?.length) box.textContent += ` · Items ${reported.items.join(", ")}`;
}

// --- sources and timings -----------------------------------------------------------------------------

function sourceTitle(s) {
  const item = s.item ? `Item ${s.item}${s.item_title ? `. ${s.item_title}` : ""}` : s.item_title || "";
  return item;
}

function openSource(n, opener) {
  const s = state.sources.find((x) => x.index === n);
  if (!s) return;
  if (!s.file_id) {
    showStatus("This source has no file id, so it cannot be opened here.");
    return;
  }
  openFiling({
    fileId: s.file_id,
    page: s.page ?? null,
    item: s.page == null ? s.item : null,
    passage: s.text,
    span: s.span || null,
    opener,
  }).catch(showError);
}

function renderSources(sources) {
  state.sources = sources;
  const list = $("source-list");
  list.replaceChildren(
    ...sources.map((s) => {
      const li = document.createElement("li");
      li.id = `source-${s.index}`;
      li.className = "source";
      const open = Object.assign(document.createElement("button"), {
        type: "button",
        className: "source-open",
        textContent: `[${s.index}]`,
      });
      open.setAttribute("aria-label", `Open source ${s.index} in the filing`);
      open.addEventListener("click", () => openSource(s.index, open));
      const head = document.createElement("div");
      head.className = "source-head";
      const who = Object.assign(document.createElement("strong"), {
        textContent: [s.ticker, s.fiscal_year ? `FY${s.fiscal_year}` : "", s.form].filter(Boolean).join(" · "),
      });
      head.append(open, " ", who);
      const meta = Object.assign(document.createElement("div"), { className: "source-meta small" });
      meta.textContent = [sourceTitle(s), s.page != null ? `page ${s.page}` : "", `score ${Number(s.score).toFixed(3)}`]
        .filter(Boolean)
        .join(" · ");
      const text = Object.assign(document.createElement("p"), { className: "source-text small" });
      text.textContent = s.text.length > 280 ? `${s.text.slice(0, 280)}…` : s.text;
      li.append(head, meta, text);
      return li;
    }),
  );
  if (!sources.length) list.replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: "No sources." }));
}

function renderTimings(serverTiming, ttft, total) {
  const t = parseServerTiming(serverTiming);
  const parts = [];
  const retrieval = (t.embed || 0) + (t.search || 0);
  if ("embed" in t || "search" in t) parts.push(`retrieval ${retrieval.toFixed(0)} ms (embed ${(t.embed || 0).toFixed(0)}, search ${(t.search || 0).toFixed(0)})`);
  if ("prepare" in t) parts.push(`prepare ${t.prepare.toFixed(0)} ms`);
  if ("upstream" in t) parts.push(`upstream ${t.upstream.toFixed(0)} ms`);
  if (ttft != null) parts.push(`first token ${ttft.toFixed(0)} ms`);
  if (total != null) parts.push(`total ${(total / 1000).toFixed(2)} s`);
  $("timings").textContent = parts.join(" · ");
}

// --- the conversation ----------------------------------------------------------------------------------

function turnNode(role, text) {
  const node = document.createElement("article");
  node.className = `turn ${role}`;
  const who = Object.assign(document.createElement("h3"), { className: "who", textContent: role === "user" ? "You" : "Answer" });
  const body = Object.assign(document.createElement("div"), { className: "content" });
  body.textContent = text;
  node.append(who, body);
  $("log").append(node);
  node.scrollIntoView({ block: "end" });
  return body;
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("search").disabled = busy;
  $("stop").disabled = !busy;
  $("log").setAttribute("aria-busy", String(busy));
}

async function ask() {
  const question = $("question").value.trim();
  if (!question || state.controller) return;
  const model = $("model").value;
  if (!model) {
    showStatus("No model is available yet. Check the API key, or wait for the model server.");
    return;
  }
  showStatus("");
  $("question").value = "";
  turnNode("user", question);
  const answerBox = turnNode("assistant", "");
  answerBox.parentElement.classList.add("streaming");
  const filter = chosenFilter();
  const rag = { max_num_results: 5 };
  if (filter) rag.filters = filter;
  const messages = [...state.history, { role: "user", content: question }];
  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  const started = performance.now();
  let ttft = null;
  let text = "";
  let grounding = null;
  let serverTiming = "";
  let reported = null;
  renderSources([]);
  $("timings").textContent = "";
  try {
    await streamChat(
      { model, messages, rag, stream_options: { include_usage: true } },
      {
        signal: controller.signal,
        onOpen: (response) => {
          serverTiming = response.headers.get("Server-Timing") || "";
          renderTimings(serverTiming, null, null);
        },
        onEvent: (event) => {
          if (event.sources) renderSources(event.sources);
          reported = reportedFilter(event) || reported;
          if (event.grounding) grounding = event.grounding;
          const delta = event.choices?.[0]?.delta?.content;
          if (delta) {
            if (ttft == null) ttft = performance.now() - started;
            text += delta;
            answerBox.replaceChildren(renderAnswer(text, state.sources, null, openSource));
          }
        },
      },
    );
    state.history = [...messages, { role: "assistant", content: text }];
    answerBox.replaceChildren(renderAnswer(text, state.sources, grounding, openSource));
    if (!text) answerBox.textContent = "(The model returned an empty answer.)";
  } catch (err) {
    if (err.name === "AbortError") {
      answerBox.replaceChildren(renderAnswer(text, state.sources, null, openSource));
      answerBox.append(Object.assign(document.createElement("p"), { className: "stopped", textContent: "Stopped." }));
    } else {
      answerBox.replaceChildren(renderAnswer(text, state.sources, null, openSource));
      answerBox.append(Object.assign(document.createElement("p"), { className: "error", textContent: err.message }));
      showError(err);
    }
  } finally {
    answerBox.parentElement.classList.remove("streaming");
    state.controller = null;
    setBusy(false);
    renderTimings(serverTiming, ttft, performance.now() - started);
    showAppliedFilter(filter, reported);
  }
}

async function searchPassages() {
  const question = $("question").value.trim();
  if (!question) {
    showStatus("Type a question or search terms first.");
    return;
  }
  showStatus("");
  const filter = chosenFilter();
  const body = { query: question, max_num_results: 8 };
  if (filter) body.filters = filter;
  setBusy(true);
  $("stop").disabled = true;
  const started = performance.now();
  try {
    const { body: page } = await postJson(`/v1/vector_stores/${STORE}/search`, body);
    renderSources(
      page.data.map((hit, i) => ({
        ...hit.attributes,
        index: i + 1,
        score: hit.score,
        text: hit.content.map((c) => c.text).join("\n"),
        file_id: hit.file_id,
        span: [hit.attributes.char_start, hit.attributes.char_end],
      })),
    );
    $("timings").textContent = `search ${(performance.now() - started).toFixed(0)} ms (round trip)`;
    showAppliedFilter(filter, null);
  } catch (err) {
    showError(err);
  } finally {
    setBusy(false);
  }
}

function stop() {
  state.controller?.abort();
}

// --- start-up ------------------------------------------------------------------------------------------

async function loadAll() {
  showStatus("");
  const results = await Promise.allSettled([loadModels(), loadFiles()]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) showError(failed.reason);
}

function openFromLocation() {
  // /v1/files/{id}/content links from a browser land here as /ui/?file=<id>#page=N.
  const file = new URLSearchParams(location.search).get("file");
  if (!file) return;
  const page = Number(new URLSearchParams(location.hash.slice(1)).get("page")) || null;
  openFiling({ fileId: file, page }).catch(showError);
}

function init() {
  initViewer(showError);
  const key = $("api-key");
  key.value = apiKey();
  key.addEventListener("change", () => {
    setApiKey(key.value.trim());
    loadAll();
  });
  $("model").addEventListener("change", (e) => localStorage.setItem(MODEL_STORAGE, e.target.value));
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    ask();
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ask();
    }
  });
  $("stop").addEventListener("click", stop);
  $("search").addEventListener("click", searchPassages);
  $("new-chat").addEventListener("click", () => {
    stop();
    state.history = [];
    $("log").replaceChildren();
    renderSources([]);
    closeViewer();
  });
  $("clear-filters").addEventListener("click", () => {
    document.querySelectorAll(".filters input[type=checkbox]").forEach((i) => (i.checked = false));
    $("form").value = "";
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.controller) stop();
  });
  loadAll().then(openFromLocation);
}

init();
