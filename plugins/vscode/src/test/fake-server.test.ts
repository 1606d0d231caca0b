// Error cases against a small local fake server (node http on a loopback port):
// 401, 421, 503, a dropped connection, nothing listening, Stop closing the stream, and
// search answers of the wrong shape.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";

import { FiresideClient } from "../client/api";
import { FiresideApiError } from "../client/errors";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function withServer(handler: Handler, fn: (url: string, server: http.Server) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`, server);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function isKind(kind: string, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof FiresideApiError, `not a FiresideApiError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (pattern) {
      assert.match(err.message, pattern);
    }
    return true;
  };
}

function sse(res: http.ServerResponse, event: Record<string, unknown>): void {
  res.write(`data: ${JSON.stringify(event)}\n\n`);
}

test("401: wrong token → unauthorized, and the bearer token was sent", async () => {
  let auth: string | undefined;
  await withServer(
    (req, res) => {
      auth = req.headers.authorization;
      res.writeHead(401, { "Content-Type": "application/json" }).end('{"error":{"message":"invalid token"}}');
    },
    async (url) => {
      await assert.rejects(new FiresideClient(url, "wrong").sessions(), isKind("unauthorized", /fireside token/));
      assert.equal(auth, "Bearer wrong");
      await assert.rejects(new FiresideClient(url, "wrong").ask(undefined, "hi"), isKind("unauthorized"));
    },
  );
});

test("421: Host refused → misdirected with the address to use", async () => {
  await withServer(
    (_req, res) => res.writeHead(421, { "Content-Type": "application/json" }).end('{"detail":"bad host"}'),
    async (url) => {
      await assert.rejects(new FiresideClient(url.replace("127.0.0.1", "localhost"), "t").search("x"), isKind("misdirected", /421/));
    },
  );
});

test("503: queue full → busy with Retry-After", async () => {
  await withServer(
    (_req, res) =>
      res.writeHead(503, { "Content-Type": "application/json", "Retry-After": "2" }).end('{"error":{"message":"the model is busy"}}'),
    async (url) => {
      await assert.rejects(new FiresideClient(url, "t").ask("s1", "hi"), (err: unknown) => {
        isKind("busy", /try again in 2 s/)(err);
        assert.equal((err as FiresideApiError).retryAfter, 2);
        return true;
      });
    },
  );
});

test("dropped connection mid-answer (server restarted) → dropped, partial text kept", async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      sse(res, { type: "token", text: "Hello " });
      sse(res, { type: "token", text: "wor" });
      setTimeout(() => res.socket?.destroy(), 50);
    },
    async (url) => {
      const seen: string[] = [];
      await assert.rejects(
        new FiresideClient(url, "t").ask("s1", "hi", { onEvent: (e) => e.type === "token" && seen.push(e.text) }),
        (err: unknown) => {
          isKind("dropped", /restarted/)(err);
          assert.equal((err as { partial?: string }).partial, "Hello wor");
          return true;
        },
      );
      assert.deepEqual(seen, ["Hello ", "wor"]);
    },
  );
});

test("a stream that ends without done also counts as dropped", async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      sse(res, { type: "token", text: "x" });
      res.end();
    },
    async (url) => {
      await assert.rejects(new FiresideClient(url, "t").ask("s1", "hi"), isKind("dropped"));
    },
  );
});

test("nothing listening → not running, says to start fireside serve", async () => {
  let port = 0;
  await withServer((_q, r) => r.end(), async (url) => {
    port = Number(new URL(url).port);
  });
  await assert.rejects(new FiresideClient(`http://127.0.0.1:${port}`, "t").health(), isKind("not-running", /fireside serve/));
  await assert.rejects(new FiresideClient(`http://127.0.0.1:${port}`, "t").ask(undefined, "hi"), isKind("not-running"));
});

test("Stop closes the connection (the server sees the disconnect) and keeps the partial answer", async () => {
  let disconnected: () => void = () => undefined;
  const serverSawClose = new Promise<void>((resolve) => (disconnected = resolve));
  await withServer(
    (req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      sse(res, { type: "status", text: "thinking" });
      const timer = setInterval(() => sse(res, { type: "token", text: "tok " }), 20);
      res.on("close", () => {
        clearInterval(timer);
        disconnected();
      });
      req.resume();
    },
    async (url) => {
      const abort = new AbortController();
      let tokens = 0;
      const result = await new FiresideClient(url, "t").ask("s1", "hi", {
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "token" && ++tokens === 3) {
            abort.abort();
          }
        },
      });
      assert.equal(result.cancelled, true);
      assert.equal(result.text, "tok tok tok ");
      await serverSawClose;
    },
  );
});

test("a complete stream: events in order, session id from done", async () => {
  let body = "";
  await withServer(
    (req, res) => {
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8" });
        sse(res, { type: "context", messages: 1, prompt_tokens: 10, context_size: 2048, model: "m" });
        sse(res, { type: "token", text: "Hi" });
        sse(res, { type: "message_done", message_id: 2, session_id: "abc", model: "m", content: "Hi", status: "complete", finish_reason: "stop" });
        sse(res, { type: "done", session_id: "abc" });
        res.end();
      });
    },
    async (url) => {
      const types: string[] = [];
      const result = await new FiresideClient(url, "t").ask(undefined, "hello", { onEvent: (e) => types.push(e.type) });
      assert.deepEqual(types, ["context", "token", "message_done", "done"]);
      assert.equal(result.sessionId, "abc");
      assert.equal(result.text, "Hi");
      assert.equal(JSON.parse(body).content, "hello");
    },
  );
});

function jsonServer(reply: unknown, bodies: string[]): Handler {
  return (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(reply));
    });
  };
}

test("searchFiles: sends files: true; keeps the server's order; drops malformed files and chunks", async () => {
  const bodies: string[] = [];
  const hit = (path: string, line: number) => ({ path, start_line: line, end_line: line + 2, score: 0.5, snippet: "x" });
  const reply = [
    { path: "b.py", score: 0.9, chunks: [hit("b.py", 7), hit("other.py", 1), { path: "b.py" }, hit("b.py", 1)] },
    { path: "a.py", score: 0.4, chunks: [] },
    { path: "c.py", score: 0.3 },
    { score: 0.2, chunks: [] },
    { path: "d.py", score: "high", chunks: [] },
    null,
  ];
  await withServer(jsonServer(reply, bodies), async (url) => {
    const result = await new FiresideClient(url, "t").searchFiles("area", 5, "/proj");
    assert.deepEqual(JSON.parse(bodies[0]), { query: "area", k: 5, files: true, path: "/proj" });
    assert.deepEqual(result.files.map((f) => f.path), ["b.py", "a.py", "c.py"]);
    assert.deepEqual(result.files[0].chunks.map((c) => c.start_line), [7, 1]);
    assert.deepEqual(result.files[2].chunks, []);
    assert.equal(result.root, undefined);
  });
});

test("searchFiles: an answer that is not a list of files → bad-response", async () => {
  for (const reply of [{ hits: [] }, { files: "no" }, "text", 3]) {
    await withServer(jsonServer(reply, []), async (url) => {
      await assert.rejects(new FiresideClient(url, "t").searchFiles("q"), isKind("bad-response", /file search/));
    });
  }
  await withServer(
    (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end("not json"),
    async (url) => {
      await assert.rejects(new FiresideClient(url, "t").searchFiles("q"), isKind("bad-response", /not JSON/));
    },
  );
  await withServer(
    (_req, res) => res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":{"message":"/p is not indexed yet"}}'),
    async (url) => {
      await assert.rejects(new FiresideClient(url, "t").searchFiles("q", 5, "/p"), isKind("not-found", /not indexed/));
    },
  );
});
