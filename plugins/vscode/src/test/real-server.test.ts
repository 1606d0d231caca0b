// The client against a real `fireside serve` (the embedded SmolLM2 model, a private home,
// a free loopback port).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { FiresideClient, modelName } from "../client/api";
import { FiresideApiError, errorFromStatus } from "../client/errors";
import { bestHit, resolveHit } from "../client/locations";
import { readTokenFile } from "../client/token";
import { Fireside, skipReason, startFireside } from "./fireside";

const skip = skipReason();

describe("against a real fireside serve", { skip, timeout: 600_000 }, () => {
  let fs_: Fireside;
  let client: FiresideClient;

  before(async () => {
    fs_ = await startFireside();
    client = new FiresideClient(fs_.url, fs_.token, 120_000);
  });
  after(async () => {
    await fs_?.stop();
  });

  test("health names the model; the token file is where the client looks", async () => {
    const health = await client.health();
    assert.equal(health.status, "ok");
    assert.match(modelName(health), /SmolLM2/i);
    assert.equal(readTokenFile(path.join(fs_.home, "data", "api-token")), fs_.token);
  });

  test("a wrong token is refused with a clear message", async () => {
    const bad = new FiresideClient(fs_.url, "not-the-token");
    await assert.rejects(bad.sessions(), (err: FiresideApiError) => err.kind === "unauthorized" && /fireside token/.test(err.message));
    await assert.rejects(bad.ask(undefined, "hi"), (err: FiresideApiError) => err.kind === "unauthorized");
  });

  test("a foreign Host header gets 421, mapped to what to do", async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: fs_.port, path: "/api/v1/sessions", headers: { Host: "attacker.example", Authorization: `Bearer ${fs_.token}` } },
        (r) => {
          let body = "";
          r.on("data", (c) => (body += c));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(res.status, 421);
    assert.equal(errorFromStatus(res.status, res.body, fs_.url).kind, "misdirected");
  });

  test("ask streams tokens into a new session; asking again continues it", async () => {
    const types: string[] = [];
    let streamed = "";
    const first = await client.ask(undefined, "Say hello in one short sentence.", {
      onEvent: (e) => {
        types.push(e.type);
        if (e.type === "token") {
          streamed += e.text;
        }
      },
    });
    assert.ok(first.sessionId, "a session id");
    assert.equal(first.error, undefined);
    assert.ok(first.text.length > 0, `some answer text: ${JSON.stringify(first)}`);
    assert.equal(first.text, streamed);
    assert.equal(first.done?.content, first.text);
    assert.equal(types[types.length - 1], "done");
    assert.ok(types.includes("token") && types.includes("message_done"));

    const second = await client.ask(first.sessionId, "And once more, shorter.");
    assert.equal(second.sessionId, first.sessionId);
    const detail = await client.session(first.sessionId!);
    assert.deepEqual(detail.messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
    assert.equal(detail.messages[0].content, "Say hello in one short sentence.");
    const listed = await client.sessions();
    assert.ok(listed.some((s) => s.id === first.sessionId));
  });

  test("Stop aborts mid-answer: partial text kept, the server frees the model", async () => {
    const abort = new AbortController();
    let tokens = 0;
    const stopped = await client.ask(undefined, "Count from one to fifty in words.", {
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === "token" && ++tokens === 2) {
          abort.abort();
        }
      },
    });
    assert.equal(stopped.cancelled, true);
    assert.ok(stopped.text.length > 0);
    // the next request is answered: the cancelled generation did not keep the model
    const next = await client.ask(undefined, "Say yes.");
    assert.ok(next.done, "the next question got an answer");
  });

  test("index a folder, search it (chunks and files), map hits to files; an unindexed folder is a clear 404", async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "fireside-proj-"));
    try {
      fs.mkdirSync(path.join(project, "pkg"));
      fs.writeFileSync(
        path.join(project, "pkg", "geometry.py"),
        "import math\n\n\ndef circle_area(radius):\n    \"\"\"Area of a circle.\"\"\"\n    return math.pi * radius ** 2\n",
      );
      fs.writeFileSync(
        path.join(project, "pkg", "report.py"),
        "from pkg.geometry import circle_area\n\n\ndef report(r):\n    return 'area: %.2f' % circle_area(r)\n",
      );
      await assert.rejects(client.search("circle_area", 5, project), (err: FiresideApiError) => err.kind === "not-found" && /not indexed/.test(err.message));
      await assert.rejects(client.searchFiles("circle_area", 5, project), (err: FiresideApiError) => err.kind === "not-found" && /not indexed/.test(err.message));
      const job = await client.startIndex(project);
      assert.equal(typeof job.job_id, "string");
      const final = await client.followIndex(job.job_id as string);
      assert.equal(final.state, "done", JSON.stringify(final));
      const result = await client.search("circle_area", 5, project);
      assert.ok(result.hits.length > 0, "a hit");
      const hit = result.hits.find((h) => h.path === "pkg/geometry.py");
      assert.ok(hit, JSON.stringify(result.hits));
      const resolved = resolveHit(hit, [project], fs.existsSync);
      assert.ok(resolved.ok);
      assert.equal(resolved.location.file, path.join(project, "pkg", "geometry.py"));
      assert.ok(resolved.location.line <= 3 && resolved.location.endLine >= 3, JSON.stringify(resolved.location));

      const byFile = await client.searchFiles("circle_area", 5, project);
      const paths = byFile.files.map((f) => f.path);
      assert.equal(new Set(paths).size, paths.length, `one entry per file: ${JSON.stringify(paths)}`);
      assert.ok(paths.includes("pkg/geometry.py") && paths.includes("pkg/report.py"), JSON.stringify(paths));
      const scores = byFile.files.map((f) => f.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "best first");
      const geometry = byFile.files.find((f) => f.path === "pkg/geometry.py")!;
      assert.ok(geometry.chunks.length > 0, JSON.stringify(geometry));
      const best = resolveHit(bestHit(geometry), [project], fs.existsSync);
      assert.ok(best.ok);
      assert.equal(best.location.file, path.join(project, "pkg", "geometry.py"));
      assert.ok(best.location.line <= 3 && best.location.endLine >= 3, JSON.stringify(best.location));
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  test("Fireside restarted mid-stream: the answer fails as dropped, not silently", async () => {
    // a server of our own that we kill while it streams
    const other = await startFireside();
    try {
      const c = new FiresideClient(other.url, other.token, 120_000);
      let killed = false;
      await assert.rejects(
        c.ask(undefined, "Count from one to fifty in words.", {
          onEvent: (e) => {
            if (e.type === "token" && !killed) {
              killed = true;
              other.proc.kill("SIGKILL");
            }
          },
        }),
        (err: FiresideApiError) => {
          assert.equal(err.kind, "dropped", err.message);
          assert.match(err.message, /restarted/);
          return true;
        },
      );
      if (other.proc.exitCode === null && other.proc.signalCode === null) {
        await new Promise((resolve) => other.proc.once("exit", resolve));
      }
      await assert.rejects(c.health(), (err: FiresideApiError) => {
        assert.equal(err.kind, "not-running", err.message);
        assert.match(err.message, /fireside serve/);
        return true;
      });
    } finally {
      await other.stop();
    }
  });
});
