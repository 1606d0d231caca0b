// Errors from talking to `fireside serve`, each with one line a user can act on.
// No `vscode` import: tested with node's test runner.

export type ErrorKind =
  | "not-running" // nothing listens at the URL
  | "unauthorized" // 401: missing or wrong token
  | "misdirected" // 421: the Host check refused the URL's host or port
  | "forbidden" // 403: Origin not allowed
  | "busy" // 503: the model queue is full
  | "dropped" // the connection closed before the answer was done
  | "not-found" // 404
  | "bad-request" // 4xx other than the above
  | "server" // 5xx other than 503
  | "timeout"
  | "bad-response" // not the JSON/SSE we expect
  | "config" // bad settings (URL not loopback, no token file, ...)
  | "cancelled"; // the user pressed Stop

export class FiresideApiError extends Error {
  readonly kind: ErrorKind;
  readonly status?: number;
  readonly retryAfter?: number;

  constructor(kind: ErrorKind, message: string, status?: number, retryAfter?: number) {
    super(message);
    this.name = "FiresideApiError";
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The server's own message from an error body: OpenAI shape, FastAPI `detail`, or text. */
export function serverMessage(body: string): string {
  const text = body.trim();
  if (!text) {
    return "";
  }
  try {
    const data: unknown = JSON.parse(text);
    if (data && typeof data === "object") {
      const obj = data as Record<string, unknown>;
      const err = obj.error;
      if (err && typeof err === "object" && typeof (err as Record<string, unknown>).message === "string") {
        return (err as Record<string, string>).message;
      }
      if (typeof err === "string") {
        return err;
      }
      if (typeof obj.message === "string") {
        return obj.message;
      }
      if (typeof obj.detail === "string") {
        return obj.detail;
      }
      if (Array.isArray(obj.detail)) {
        return obj.detail
          .map((d) => (d && typeof d === "object" && typeof d.msg === "string" ? d.msg : String(d)))
          .join("; ");
      }
    }
  } catch {
    // not JSON: use the text itself
  }
  return text.split(/\r?\n/)[0].slice(0, 300);
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** An HTTP error status → an error saying what to do. */
export function errorFromStatus(
  status: number,
  body: string,
  baseUrl: string,
  retryAfterHeader?: string | string[],
): FiresideApiError {
  const detail = serverMessage(body);
  const suffix = detail ? ` (server said: ${detail})` : "";
  switch (status) {
    case 401:
      return new FiresideApiError(
        "unauthorized",
        "Fireside refused the token (401 unauthorized): run `fireside token` and check the token " +
          "setting (after `fireside token --rotate`, the old token no longer works).",
        status,
      );
    case 403:
      return new FiresideApiError(
        "forbidden",
        `Fireside refused the request (403)${suffix}. Browser origins must be listed in [server] allowed_origins.`,
        status,
      );
    case 421:
      return new FiresideApiError(
        "misdirected",
        `Fireside refused the address ${hostOf(baseUrl)} (421, Host check): use http://127.0.0.1:PORT ` +
          "or http://localhost:PORT with the port `fireside serve` printed.",
        status,
      );
    case 503: {
      const raw = Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader;
      const seconds = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
      const when = seconds !== undefined ? ` in ${seconds} s` : " in a moment";
      return new FiresideApiError(
        "busy",
        `Fireside is busy with other requests (503)${suffix}: try again${when}.`,
        status,
        seconds,
      );
    }
    case 404:
      return new FiresideApiError("not-found", `Not found (404)${suffix}.`, status);
    default:
      if (status >= 500) {
        return new FiresideApiError("server", `Fireside failed (${status})${suffix}.`, status);
      }
      return new FiresideApiError("bad-request", `Fireside rejected the request (${status})${suffix}.`, status);
  }
}

const NOT_RUNNING_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "EADDRNOTAVAIL"]);
const DROPPED_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** A socket error → not running (before any response) or dropped (after the answer began). */
export function errorFromNetwork(err: unknown, baseUrl: string, started: boolean): FiresideApiError {
  if (err instanceof FiresideApiError) {
    return err;
  }
  const code = (err as { code?: string } | undefined)?.code ?? "";
  if (!started && NOT_RUNNING_CODES.has(code)) {
    return new FiresideApiError(
      "not-running",
      `Fireside is not running at ${baseUrl}: start it with \`fireside serve\` (or check the server URL setting).`,
    );
  }
  if (started) {
    return droppedError();
  }
  if (DROPPED_CODES.has(code) || code === "ERR_STREAM_PREMATURE_CLOSE") {
    return new FiresideApiError(
      "not-running",
      `Fireside at ${baseUrl} closed the connection before answering (is it restarting?): check \`fireside serve\`.`,
    );
  }
  const text = err instanceof Error ? err.message : String(err);
  return new FiresideApiError("not-running", `Could not reach Fireside at ${baseUrl}: ${text}`);
}

export function droppedError(): FiresideApiError {
  return new FiresideApiError(
    "dropped",
    "The connection to Fireside dropped before the answer was complete (was `fireside serve` " +
      "restarted?). The partial answer is kept; ask again to continue.",
  );
}
