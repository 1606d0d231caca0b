// The stream events of `POST /api/v1/sessions/{id}/messages` (mirrors assistant/events.py;
// tests/plugins/test_event_contract.py fails when a field differs). No `vscode` import.

export interface StatusEvent { type: "status"; text: string }
export interface TokenEvent { type: "token"; text: string }
export interface SourceRef { path: string; start_line: number; end_line: number; score?: number; symbol?: string | null }
export interface ContextEvent {
  type: "context";
  messages: number;
  prompt_tokens: number;
  context_size: number;
  dropped_messages?: number;
  model?: string;
  provider?: string;
  sources?: SourceRef[];
  left_out?: number;
  tools_off?: string | null;
}
export interface ToolCallEvent { type: "tool_call"; call_id: string; name: string; arguments: Record<string, unknown>; step?: number }
export interface ToolResultEvent {
  type: "tool_result"; call_id: string; name: string; ok: boolean; content: string; truncated?: boolean;
  duration_ms?: number; step?: number;
}
export interface MessageDoneEvent {
  type: "message_done";
  message_id: number;
  session_id: string;
  model: string;
  content: string;
  status: "complete" | "cancelled" | "error";
  finish_reason: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number };
  timings?: { ttft_ms: number | null; tokens_per_s: number | null; total_ms: number };
  provider?: string;
  cost_usd?: number | null;
}
export interface ErrorEvent { type: "error"; message: string }
export interface DoneEvent { type: "done"; session_id: string }

export type FiresideEvent =
  | StatusEvent
  | TokenEvent
  | ContextEvent
  | ToolCallEvent
  | ToolResultEvent
  | MessageDoneEvent
  | ErrorEvent
  | DoneEvent;

const REQUIRED: Record<FiresideEvent["type"], Record<string, string>> = {
  status: { text: "string" },
  token: { text: "string" },
  context: {},
  tool_call: { name: "string" },
  tool_result: { name: "string", content: "string" },
  message_done: { session_id: "string", content: "string" },
  error: { message: "string" },
  done: {},
};

/** One SSE `data:` payload → an event, or undefined for anything we do not know (ignored). */
export function parseEvent(data: string, sseEvent = "message"): FiresideEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const type = typeof obj.type === "string" ? obj.type : sseEvent;
  if (!(type in REQUIRED)) {
    return undefined;
  }
  for (const [key, kind] of Object.entries(REQUIRED[type as FiresideEvent["type"]])) {
    if (typeof obj[key] !== kind) {
      return undefined;
    }
  }
  return { ...obj, type } as FiresideEvent;
}
