// Answer text -> DOM: [n] markers become links to the sources, unsupported figures are marked. No innerHTML.

const CITATION = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

function figureRange(text, figure) {
  const { start, end } = figure;
  if (Number.isInteger(start) && Number.isInteger(end) && text.slice(start, end) === figure.text) return [start, end];
  if (!figure.text) return null;
  const at = text.indexOf(figure.text);
  return at >= 0 ? [at, at + figure.text.length] : null;
}

/** Figures the grounding check found in no source, as [start, end, figure] (`figures` first, then `unsupported`). */
export function unsupportedRanges(text, grounding) {
  if (!grounding || !grounding.checked) return [];
  const flagged = [];
  const figures = Array.isArray(grounding.figures) ? grounding.figures : [];
  for (const figure of figures) {
    if (Array.isArray(figure.found_in) && figure.found_in.length === 0) {
      const range = figureRange(text, figure);
      if (range) flagged.push([...range, figure]);
    }
  }
  if (!figures.length) {
    for (const entry of grounding.unsupported || []) {
      const figure = typeof entry === "string" ? { text: entry } : entry;
      const range = figureRange(text, figure);
      if (range) flagged.push([...range, figure]);
    }
  }
  return flagged.sort((a, b) => a[0] - b[0]);
}

function citationNodes(text, known, unknown, openSource) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    out.push(text.slice(last, match.index));
    const numbers = match[1].split(",").map((n) => Number(n.trim()));
    numbers.forEach((n) => {
      if (known.has(n) && !unknown.has(n)) {
        const link = document.createElement("a");
        link.href = `#source-${n}`;
        link.className = "cite";
        link.dataset.source = String(n);
        link.textContent = `[${n}]`;
        link.title = `Open source ${n} at the cited passage`;
        link.addEventListener("click", (e) => {
          e.preventDefault();
          openSource(n, link);
        });
        out.push(link);
      } else {
        const span = Object.assign(document.createElement("span"), { className: "cite-unknown", textContent: `[${n}]` });
        span.title = "No source with this number was given to the model";
        out.push(span);
      }
    });
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/** A fragment for the answer so far; `grounding` (when present) marks unsupported figures. */
export function renderAnswer(text, sources, grounding, openSource) {
  const fragment = document.createDocumentFragment();
  const known = new Set((sources || []).map((s) => s.index));
  const unknown = new Set((grounding?.unknown_citations || []).map(Number));
  let last = 0;
  for (const [start, end] of unsupportedRanges(text, grounding)) {
    if (start < last) continue;
    fragment.append(...citationNodes(text.slice(last, start), known, unknown, openSource));
    const mark = document.createElement("mark");
    mark.className = "unsupported";
    mark.textContent = text.slice(start, end);
    mark.title = "This figure was not found in the cited sources";
    mark.setAttribute("aria-label", `${mark.textContent} (not found in the cited sources)`);
    fragment.append(mark);
    last = end;
  }
  fragment.append(...citationNodes(text.slice(last), known, unknown, openSource));
  if (grounding?.checked) {
    const flagged = unsupportedRanges(text, grounding).length;
    const note = Object.assign(document.createElement("p"), { className: "grounding small" });
    note.textContent = flagged
      ? `${flagged} figure${flagged > 1 ? "s" : ""} not found in the cited sources (highlighted).`
      : "Every figure was found in the cited sources.";
    if (unknown.size) note.textContent += ` Unknown citations: ${[...unknown].map((n) => `[${n}]`).join(" ")}.`;
    fragment.append(note);
  }
  return fragment;
}
