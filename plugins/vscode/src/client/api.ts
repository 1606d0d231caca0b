// A small client for `fireside serve` (see plugins/README.md). Node's `http` only; no `vscode`.

import * as http from "node:http";

import { FiresideApiError, droppedError, errorFromNetwork, errorFromStatus } from "./errors";
import { FiresideEvent, MessageDoneEvent, parseEvent } from "./events";
import { SseParser } from "./sse";

export interface Health {
  status?: string;
  version?: string;
  model?: { name?: string; loaded?: boolean; provider?: string } | string;
  queue?: { running?: number; waiting?: number; size?: number };
  index?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** The model's name from a health reply. */
export function modelName(health: Health): string {
  const m = health.model;
  if (typeof m === "string") {
    return m;
  }
  return m && typeof m.name === "string" ? m.name : "";
}

export interface SessionSummary {
  id: string;
  title: string;
  model?: string | null;
  created_at?: string;
  updated_at?: string;
  message_count?: number;
}

export interface SessionMessage {
  id?: number;
  role: string;
  content: string;
  model?: string | null;
  status?: string;
}

export interface SessionDetail {
  session: SessionSummary;
  messages: SessionMessage[];
}

export interface SearchHit {
  path: string;
  start_line: number;
  end_line: number;
  score: number;
  snippet: string;
  symbol?: string | null;
}

export interface SearchResult {
  root?: string;
  hits: SearchHit[];
}

/** One file of a file-level search: its score and its best chunks (best first). */
export interface FileHit {
  path: string;
  score: number;
  chunks: SearchHit[];
}

export interface FileSearchResult {
  root?: string;
  files: FileHit[];
}

function isHit(h: unknown): h is SearchHit {
  const o = h as Record<string, unknown> | null;
  return !!o && typeof o.path === "string" && typeof o.start_line === "number" && typeof o.end_line === "number";
}

export interface IndexJob {
  job_id?: string;
  path?: string;
  state?: "running" | "done" | "failed" | "cancelled";
  progress?: { phase?: string; files_done?: number; files_total?: number; chunks_done?: number; chunks_total?: number; message?: string } | null;
  summary?: Record<string, unknown> | null;
  error?: string | null;
  [key: string]: unknown;
}

export interface AskOptions {
  signal?: AbortSignal;
  onEvent?: (event: FiresideEvent) => void;
  model?: string;
}

export interface AskResult {
  sessionId: string | undefined;
  text: string; // the streamed answer (partial when stopped or dropped)
  done?: MessageDoneEvent;
  error?: string; // an `error` event's message
  cancelled: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Check a server URL: http on a loopback host (the token must never leave the machine). */
export function checkServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new FiresideApiError("config", `The server URL ${JSON.stringify(raw)} is not a URL (example: http://127.0.0.1:8765).`);
  }
  if (url.protocol !== "http:") {
    throw new FiresideApiError("config", `The server URL must start with http:// (got ${url.protocol}//).`);
  }
  if (!LOOPBACK.has(url.hostname)) {
    throw new FiresideApiError(
      "config",
      `The server URL must be on this machine (127.0.0.1, localhost or [::1]), not ${url.hostname}: ` +
        "the token is never sent elsewhere.",
    );
  }
  return url;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class FiresideClient {
  readonly baseUrl: string;
  private readonly url: URL;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, token: string | undefined, timeoutMs = 15000) {
    this.url = checkServerUrl(baseUrl);
    this.baseUrl = this.url.origin;
    this.token = token;
    this.timeoutMs = timeoutMs;
  }

  health(): Promise<Health> {
    return this.json<Health>("GET", "/api/v1/health", undefined, false);
  }

  async sessions(): Promise<SessionSummary[]> {
    const data = await this.json<unknown>("GET", "/api/v1/sessions");
    const list = Array.isArray(data) ? data : (data as { sessions?: unknown }).sessions;
    if (!Array.isArray(list)) {
      throw new FiresideApiError("bad-response", "Fireside sent an unexpected session list.");
    }
    return list.filter(
      (s): s is SessionSummary => !!s && typeof s.id === "string" && typeof s.title === "string",
    );
  }

  async session(id: string): Promise<SessionDetail> {
    const data = await this.json<Record<string, unknown>>("GET", `/api/v1/sessions/${encodeURIComponent(id)}`);
    const session = (data.session ?? data) as SessionSummary;
    const messages = Array.isArray(data.messages) ? (data.messages as SessionMessage[]) : [];
    if (typeof session.id !== "string") {
      throw new FiresideApiError("bad-response", "Fireside sent an unexpected session.");
    }
    return {
      session,
      messages: messages.filter((m) => m && typeof m.role === "string" && typeof m.content === "string"),
    };
  }

  async search(query: string, k = 20, root?: string): Promise<SearchResult> {
    const body: Record<string, unknown> = { query, k };
    if (root) {
      body.path = root;
    }
    const data = await this.json<unknown>("POST", "/api/v1/search", body);
    const obj = (Array.isArray(data) ? { hits: data } : data) as Record<string, unknown>;
    const hits = Array.isArray(obj.hits) ? obj.hits : Array.isArray(obj.results) ? obj.results : undefined;
    if (!hits) {
      throw new FiresideApiError("bad-response", "Fireside sent unexpected search results.");
    }
    return {
      root: typeof obj.root === "string" ? obj.root : undefined,
      hits: hits.filter(isHit),
    };
  }

  /**
   * File-level search (`"files": true`): the best `k` files, best first, each with its best
   * chunks. An answer that is not a list of files is a "bad-response" error; entries without a
   * path and score are left out, and so are chunks that are not hits of that file.
   */
  async searchFiles(query: string, k = 20, root?: string): Promise<FileSearchResult> {
    const body: Record<string, unknown> = { query, k, files: true };
    if (root) {
      body.path = root;
    }
    const data = await this.json<unknown>("POST", "/api/v1/search", body);
    const obj = (Array.isArray(data) ? { files: data } : data) as Record<string, unknown>;
    if (!Array.isArray(obj.files)) {
      throw new FiresideApiError("bad-response", "Fireside sent unexpected file search results.");
    }
    const files: FileHit[] = [];
    for (const item of obj.files as unknown[]) {
      const f = item as Record<string, unknown> | null;
      if (!f || typeof f !== "object" || typeof f.path !== "string" || typeof f.score !== "number") {
        continue;
      }
      const chunks = Array.isArray(f.chunks) ? f.chunks : Array.isArray(f.hits) ? f.hits : [];
      files.push({
        path: f.path,
        score: f.score,
        chunks: chunks.filter((h): h is SearchHit => isHit(h) && h.path === f.path),
      });
    }
    return { root: typeof obj.root === "string" ? obj.root : undefined, files };
  }

  /** Start (or join) indexing a folder in the background: the job (`job_id`, `state`, ...). */
  startIndex(path: string | undefined): Promise<IndexJob> {
    return this.json<IndexJob>("POST", "/api/v1/index", path ? { path } : {});
  }

  /**
   * Follow an indexing job's progress (SSE `progress` events, then one `end` event) until it
   * ends; resolves with the final job. Aborting the signal only stops following.
   */
  async followIndex(jobId: string, onProgress?: (job: IndexJob) => void, signal?: AbortSignal): Promise<IndexJob> {
    let last: IndexJob = { job_id: jobId };
    await this.stream("GET", `/api/v1/index/${encodeURIComponent(jobId)}/events`, undefined, signal, (msg) => {
      try {
        const data = JSON.parse(msg.data) as IndexJob;
        last = data;
        if (msg.event !== "end" && data.type !== "end") {
          onProgress?.(data);
        }
      } catch {
        // ignore lines that are not JSON
      }
    });
    return last;
  }

  /** Stop an indexing job (what it indexed so far is kept). */
  stopIndex(jobId: string): Promise<IndexJob> {
    return this.json<IndexJob>("DELETE", `/api/v1/index/${encodeURIComponent(jobId)}`);
  }

  /**
   * Send a user message to a session (none: a new one) and stream the answer's events.
   * Resolves when the stream ends; Stop (the signal) closes the connection, which cancels the
   * generation on the server, and resolves with `cancelled: true` and the partial text.
   */
  async ask(sessionId: string | undefined, content: string, opts: AskOptions = {}): Promise<AskResult> {
    const result: AskResult = { sessionId, text: "", cancelled: false };
    const path = sessionId
      ? `/api/v1/sessions/${encodeURIComponent(sessionId)}/messages`
      : "/api/v1/sessions/new/messages";
    const body: Record<string, unknown> = { content };
    if (opts.model) {
      body.model = opts.model;
    }
    let finished = false;
    try {
      await this.stream("POST", path, body, opts.signal, (msg) => {
        const event = parseEvent(msg.data, msg.event);
        if (!event) {
          return;
        }
        if (event.type === "token") {
          result.text += event.text;
        } else if (event.type === "message_done") {
          result.done = event;
          result.sessionId = event.session_id;
          if (event.status === "cancelled") {
            result.cancelled = true;
          }
        } else if (event.type === "error") {
          result.error = event.message;
        } else if (event.type === "done") {
          result.sessionId = event.session_id || result.sessionId;
          finished = true;
        }
        opts.onEvent?.(event);
      });
    } catch (err) {
      if (err instanceof FiresideApiError && err.kind === "cancelled") {
        result.cancelled = true;
        return result;
      }
      if (err instanceof FiresideApiError && err.kind === "dropped") {
        throw Object.assign(err, { partial: result.text });
      }
      throw err;
    }
    if (!finished && !result.done) {
      throw Object.assign(droppedError(), { partial: result.text });
    }
    return result;
  }

  // ---- transport -------------------------------------------------------------------------

  private async json<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const res = await this.request(method, path, body, auth);
    if (res.status < 200 || res.status >= 300) {
      throw errorFromStatus(res.status, res.body, this.baseUrl, res.headers["retry-after"]);
    }
    if (!res.body.trim()) {
      return {} as T;
    }
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new FiresideApiError("bad-response", `Fireside sent a reply that is not JSON (${method} ${path}).`);
    }
  }

  private headers(body: string | undefined, auth: boolean, stream: boolean): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = { Accept: stream ? "text/event-stream, application/json" : "application/json" };
    if (auth && this.token) {
      headers.Authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = Buffer.byteLength(body);
    }
    return headers;
  }

  private options(method: string, path: string, headers: http.OutgoingHttpHeaders): http.RequestOptions {
    return {
      method,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ""),
      port: this.url.port || 80,
      path,
      headers,
    };
  }

  private request(method: string, path: string, body: unknown, auth: boolean): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<RawResponse>((resolve, reject) => {
      const req = http.request(this.options(method, path, this.headers(payload, auth, false)), (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => reject(errorFromNetwork(err, this.baseUrl, true)));
        res.on("aborted", () => reject(droppedError()));
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new FiresideApiError("timeout", `Fireside did not answer within ${this.timeoutMs / 1000} s (${method} ${path}).`));
      });
      req.on("error", (err) => reject(errorFromNetwork(err, this.baseUrl, false)));
      req.end(payload);
    });
  }

  /**
   * POST/GET and read an SSE stream, calling `onMessage` per message. A JSON (non-SSE) 2xx reply
   * is returned as `json`. Errors: HTTP status → errorFromStatus, abort → kind "cancelled",
   * a connection closed mid-stream → kind "dropped".
   */
  private stream(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    onMessage: (msg: { event: string; data: string }) => void,
  ): Promise<{ json?: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      let settled = false;
      let started = false;
      const fail = (err: FiresideApiError): void => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      if (signal?.aborted) {
        fail(new FiresideApiError("cancelled", "Stopped."));
        return;
      }
      const req = http.request(this.options(method, path, this.headers(payload, true, true)), (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers["content-type"] ?? "");
        if (status < 200 || status >= 300 || !type.includes("text/event-stream")) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (status < 200 || status >= 300) {
              fail(errorFromStatus(status, text, this.baseUrl, res.headers["retry-after"]));
              return;
            }
            try {
              settled = true;
              resolve({ json: text.trim() ? JSON.parse(text) : {} });
            } catch {
              fail(new FiresideApiError("bad-response", `Fireside sent a reply that is not JSON (${method} ${path}).`));
            }
          });
          res.on("error", (err) => fail(errorFromNetwork(err, this.baseUrl, true)));
          return;
        }
        started = true;
        const parser = new SseParser();
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          for (const msg of parser.feed(chunk)) {
            if (settled) {
              return;
            }
            onMessage(msg);
          }
        });
        res.on("end", () => {
          if (!settled) {
            settled = true;
            resolve({});
          }
        });
        res.on("aborted", () => fail(signal?.aborted ? new FiresideApiError("cancelled", "Stopped.") : droppedError()));
        res.on("error", (err) =>
          fail(signal?.aborted ? new FiresideApiError("cancelled", "Stopped.") : errorFromNetwork(err, this.baseUrl, true)),
        );
      });
      const onAbort = (): void => {
        fail(new FiresideApiError("cancelled", "Stopped."));
        req.destroy();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => signal?.removeEventListener("abort", onAbort));
      // No overall timeout on a stream (answers can be long); only on waiting for the headers.
      // a request may wait in the model queue before its stream starts: allow a minute
      const headerMs = Math.max(this.timeoutMs, 60_000);
      const timer = setTimeout(() => {
        if (!started && !settled) {
          fail(new FiresideApiError("timeout", `Fireside did not start answering within ${headerMs / 1000} s.`));
          req.destroy();
        }
      }, headerMs);
      req.on("response", () => clearTimeout(timer));
      req.on("close", () => clearTimeout(timer));
      req.on("error", (err) => fail(signal?.aborted ? new FiresideApiError("cancelled", "Stopped.") : errorFromNetwork(err, this.baseUrl, started)));
      req.end(payload);
    });
  }
}
