// Messages between the extension and the chat webview, validated both ways. No `vscode` import.

export const MAX_PROMPT_CHARS = 200_000;
export const MAX_CODE_CHARS = 1_000_000;

/** webview → extension */
export type FromWebview =
  | { type: "ready" }
  | { type: "ask"; text: string }
  | { type: "stop" }
  | { type: "newChat" }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string };

/** extension → webview */
export type ToWebview =
  | { type: "reset"; title: string }
  | { type: "user"; text: string }
  | { type: "answer" } // a new (empty) answer starts
  | { type: "blocks"; from: number; html: string[] }
  | { type: "notice"; level: "info" | "error"; text: string }
  | { type: "status"; text: string }
  | { type: "busy"; busy: boolean };

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function str(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length <= max;
}

/** A message from the webview, or undefined when it is not one we accept. */
export function parseFromWebview(msg: unknown): FromWebview | undefined {
  if (!isObj(msg) || typeof msg.type !== "string") {
    return undefined;
  }
  const keys = Object.keys(msg);
  const only = (...allowed: string[]): boolean => keys.every((k) => k === "type" || allowed.includes(k));
  switch (msg.type) {
    case "ready":
    case "stop":
    case "newChat":
      return only() ? { type: msg.type } : undefined;
    case "ask":
      return only("text") && str(msg.text, MAX_PROMPT_CHARS) && msg.text.trim() !== ""
        ? { type: "ask", text: msg.text }
        : undefined;
    case "copy":
    case "insert":
      return only("code") && str(msg.code, MAX_CODE_CHARS) ? { type: msg.type, code: msg.code } : undefined;
    default:
      return undefined;
  }
}

/** Check a message before posting it to the webview (the webview checks again on arrival). */
export function checkToWebview(msg: ToWebview): ToWebview {
  const ok = ((): boolean => {
    switch (msg.type) {
      case "reset":
        return typeof msg.title === "string";
      case "user":
      case "status":
        return typeof msg.text === "string";
      case "answer":
        return true;
      case "blocks":
        return Number.isInteger(msg.from) && msg.from >= 0 && Array.isArray(msg.html) && msg.html.every((h) => typeof h === "string");
      case "notice":
        return (msg.level === "info" || msg.level === "error") && typeof msg.text === "string";
      case "busy":
        return typeof msg.busy === "boolean";
      default:
        return false;
    }
  })();
  if (!ok) {
    throw new Error(`invalid message for the chat view: ${JSON.stringify(msg).slice(0, 200)}`);
  }
  return msg;
}
