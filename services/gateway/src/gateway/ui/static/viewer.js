// The document viewer: a filing's page (PDF) or Item section (HTML) with the cited passage in a <mark>.

import { getJson, STORE } from "./api.js";

const $ = (id) => document.getElementById(id);

let current = null; // {fileId, page, attributes, opener}
let onError = () => {};

export function initViewer(showError) {
  onError = showError;
  $("viewer-close").addEventListener("click", closeViewer);
  $("viewer-prev").addEventListener("click", () => turn(-1));
  $("viewer-next").addEventListener("click", () => turn(1));
  $("viewer").addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeViewer();
  });
}

export function closeViewer() {
  $("viewer").hidden = true;
  document.body.classList.remove("viewing");
  const opener = current?.opener;
  current = null;
  if (opener && document.contains(opener)) opener.focus();
}

function turn(step) {
  if (!current || current.page == null) return;
  const page = current.page + step;
  const pages = current.attributes?.pages;
  if (page < 1 || (pages && page > pages)) return;
  openFiling({ fileId: current.fileId, page, opener: current.opener });
}

function label(attrs) {
  const parts = [attrs.company || attrs.ticker, attrs.ticker && attrs.company ? `(${attrs.ticker})` : ""];
  const year = attrs.fiscal_year ? `FY${attrs.fiscal_year}` : "";
  return [parts.join(" ").trim(), attrs.form, year].filter(Boolean).join(" · ");
}

/** Where `passage` sits in `text`: exact, else by its first 120 characters, else whitespace-insensitive. */
export function locate(text, passage) {
  if (!passage) return null;
  let at = text.indexOf(passage);
  if (at >= 0) return [at, at + passage.length];
  const head = passage.slice(0, 120);
  at = text.indexOf(head);
  if (at >= 0) return [at, Math.min(text.length, at + passage.length)];
  const words = passage.trim().split(/\s+/).slice(0, 12).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) return null;
  const match = new RegExp(words.join("\\s+")).exec(text);
  return match ? [match.index, Math.min(text.length, match.index + passage.length)] : null;
}

function partNode(part, passage, span) {
  const section = document.createElement("section");
  section.className = "doc-part";
  const heading = document.createElement("h3");
  const where = part.page != null ? `Page ${part.page}` : "";
  const item = part.item ? `Item ${part.item}${part.item_title ? `. ${part.item_title}` : ""}` : part.item_title || "";
  heading.textContent = [where, item].filter(Boolean).join(" — ") || "Text";
  section.append(heading);
  const body = document.createElement("div");
  body.className = "doc-text";
  let range = null;
  if (span) range = [span[0] - part.char_start, span[1] - part.char_start];
  else if (passage) range = locate(part.text, passage);
  if (range && range[0] >= 0 && range[1] <= part.text.length) {
    const mark = document.createElement("mark");
    mark.className = "passage";
    mark.textContent = part.text.slice(range[0], range[1]);
    body.append(part.text.slice(0, range[0]), mark, part.text.slice(range[1]));
  } else {
    body.textContent = part.text;
  }
  section.append(body);
  return section;
}

/**
 * Open a filing: `page` for PDFs, else the `item` section; the passage (source text, or a chunk's
 * char span) is highlighted and scrolled into view.
 */
export async function openFiling({ fileId, page = null, item = null, passage = "", span = null, opener = null }) {
  const viewer = $("viewer");
  const body = $("viewer-body");
  viewer.hidden = false;
  document.body.classList.add("viewing");
  body.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Loading the filing…" }));
  $("viewer-title").focus();
  const params = new URLSearchParams();
  if (page != null) params.set("page", String(page));
  else if (item) params.set("item", String(item));
  let content;
  try {
    content = await getJson(`/v1/vector_stores/${STORE}/files/${encodeURIComponent(fileId)}/content?${params}`);
  } catch (err) {
    body.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: err.message }));
    onError(err);
    return;
  }
  const attrs = content.attributes || {};
  current = { fileId, page, attributes: attrs, opener };
  viewer.dataset.fileId = fileId;
  viewer.dataset.page = page == null ? "" : String(page);
  $("viewer-title").textContent = label(attrs) || content.filename;
  const edgar = $("viewer-edgar");
  edgar.href = attrs.edgar_url || attrs.url || "https://www.sec.gov/edgar/search/";
  edgar.textContent = attrs.url ? "Open the filing on EDGAR" : "Find the filing on EDGAR";
  const paged = page != null;
  $("viewer-prev").hidden = !paged;
  $("viewer-next").hidden = !paged;
  $("viewer-prev").disabled = !paged || page <= 1;
  $("viewer-next").disabled = !paged || (attrs.pages && page >= attrs.pages);
  const where = paged ? `Page ${page}${attrs.pages ? ` of ${attrs.pages}` : ""}` : item ? `Item ${item}` : "Whole filing";
  $("viewer-where").textContent = `${where} · ${content.filename}`;
  if (!content.data.length) {
    body.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "No indexed text here." }));
    return;
  }
  body.replaceChildren(...content.data.map((part) => partNode(part, passage, span)));
  const mark = body.querySelector("mark.passage");
  if (mark) mark.scrollIntoView({ block: "center" });
  else body.scrollTop = 0;
}
