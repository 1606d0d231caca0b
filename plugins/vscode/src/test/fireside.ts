// Start a real `fireside serve` for tests: the repo's .venv, a private FIRESIDE_HOME, a free
// loopback port (--port 0; the port is read from its first line), the embedded model.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

export interface Fireside {
  url: string;
  port: number;
  token: string;
  home: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** The repository root (plugins/vscode/out/test → four levels up). */
export const REPO = path.resolve(__dirname, "..", "..", "..", "..");
export const FIRESIDE_BIN = process.env.FIRESIDE_BIN || path.join(REPO, ".venv", "bin", "fireside");

/** Why the real-server tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  return fs.existsSync(FIRESIDE_BIN) ? undefined : `no ${FIRESIDE_BIN} (run make install)`;
}

export function firesideEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("FIRESIDE_")) {
      env[k] = v;
    }
  }
  return {
    ...env,
    FIRESIDE_HOME: home,
    FIRESIDE_MAX_TOKENS: "24",
    FIRESIDE_TOOLS__ENABLED: "false", // plain answers: a tiny model's tool JSON would be cut at 24 tokens
    FIRESIDE_TEMPERATURE: "0",
    FIRESIDE_SEED: "1",
    HF_HUB_OFFLINE: "1",
    OMP_WAIT_POLICY: "passive",
  };
}

export async function startFireside(timeoutMs = 90_000): Promise<Fireside> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "fireside-vscode-"));
  const env = firesideEnv(home);
  const token = execFileSync(FIRESIDE_BIN, ["token"], { env, encoding: "utf8" }).trim();
  const proc = spawn(FIRESIDE_BIN, ["serve", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fireside serve did not start in time:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fireside serve exited (${code}):\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  // the address is printed as the server starts: wait until it answers
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = http.get(`${url}/api/v1/health`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
    if (up) {
      break;
    }
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill("SIGKILL");
      throw new Error(`fireside serve did not answer on ${url}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill("SIGINT");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(home, { recursive: true, force: true });
  };
  return { url, port, token, home, env, proc, stop };
}
