// A small client of the gateway's public OpenAI-style API: auth header, readable errors, SSE streaming.

const KEY_STORAGE = "sec-rag.api-key";
export const STORE = "sec-10k";

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(value) {
  if (value) localStorage.setItem(KEY_STORAGE, value);
  else localStorage.removeItem(KEY_STORAGE);
}

function headers(extra = {}) {
  const h = { Accept: "application/json", ...extra };
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/** An error the page can show as one readable sentence. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = null, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function seconds(value) {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.ceil(n) : null;
}

/** The sentence shown for an HTTP error status (the body's message adds detail where it helps). */
export function describeStatus(status, message, retryAfter) {
  const wait = retryAfter != null ? ` Try again in ${retryAfter} s.` : " Try again shortly.";
  switch (status) {
    case 401:
      return "The gateway refused the API key. Enter a valid key in the API key field at the top (it is kept in this browser only).";
    case 429:
      return `Too many requests for this key: the rate limit was reached.${wait}`;
    case 503:
      return `The model server is warming up or unavailable.${wait}`;
    case 504:
      return "The model server took too long to answer. Try again, perhaps with a shorter question.";
    case 502:
      return "The model server failed to answer. Try again.";
    default:
      return message || `The request failed (HTTP ${status}).`;
  }
}

async function errorFrom(response) {
  let message = "";
  let code = null;
  try {
    const body = await response.json();
    message = body?.error?.message || "";
    code = body?.error?.code || null;
  } catch {
    // not JSON: the status alone says enough
  }
  const retryAfter = seconds(response.headers.get("Retry-After"));
  return new ApiError(describeStatus(response.status, message, retryAfter), {
    status: response.status,
    code,
    retryAfter,
  });
}

async function send(path, init = {}) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("Cannot reach the gateway. Is it running?");
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJson(path, { signal } = {}) {
  const response = await send(path, { headers: headers(), signal });
  return response.json();
}

export async function postJson(path, body, { signal } = {}) {
  const response = await send(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  return { body: await response.json(), response };
}

/** `embed;dur=1.2, search;dur=3.4` -> {embed: 1.2, search: 3.4} (milliseconds). */
export function parseServerTiming(header) {
  const out = {};
  for (const entry of (header || "").split(",")) {
    const [name, ...params] = entry.trim().split(";");
    if (!name) continue;
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith("dur="));
    if (dur) out[name] = Number(dur.slice(4));
  }
  return out;
}

/**
 * POST /v1/chat/completions with stream: true; calls onEvent(chunk) for every `data:` JSON object.
 * Resolves with the response (headers) when the stream ends; rejects with ApiError or AbortError.
 */
export async function streamChat(body, { signal, onOpen, onEvent }) {
  const response = await send("/v1/chat/completions", {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  onOpen?.(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let done = false;
  try {
    while (!done) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (!data) continue;
        if (data === "[DONE]") {
          done = true;
          break;
        }
        let event;
        try {
          event = JSON.parse(data);
        } catch {
          continue;
        }
        if (event.error) {
          throw new ApiError(`The answer was interrupted: ${event.error.message || "the stream failed"}.`, {
            status: 0,
            code: event.error.code || "stream_error",
          });
        }
        onEvent(event);
      }
    }
  } finally {
    if (!done) reader.cancel().catch(() => {});
  }
  if (!done) throw new ApiError("The answer was interrupted: the connection closed before the end.", { code: "stream_cut" });
  return response;
}
