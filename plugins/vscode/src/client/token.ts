// Where Fireside keeps its API token, and reading it. No `vscode` import.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { FiresideApiError } from "./errors";

export const TOKEN_FILE_NAME = "api-token";

/**
 * Fireside's data folder, as `assistant/paths.py` computes it: `$FIRESIDE_HOME/data` when set,
 * else the platform's user data folder (platformdirs) for "fireside".
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const fireHome = env.FIRESIDE_HOME?.trim();
  if (fireHome) {
    const expanded = fireHome.startsWith("~") ? path.join(home, fireHome.slice(1)) : fireHome;
    return path.join(expanded, "data");
  }
  if (platform === "darwin") {
    return path.join(home, "Library", "Application Support", "fireside");
  }
  if (platform === "win32") {
    const local = env.LOCALAPPDATA || path.join(home, "AppData", "Local");
    return path.join(local, "fireside", "fireside");
  }
  const xdg = env.XDG_DATA_HOME?.trim();
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, ".local", "share"), "fireside");
}

export function defaultTokenFile(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home?: string): string {
  return path.join(defaultDataDir(env, platform, home ?? os.homedir()), TOKEN_FILE_NAME);
}

/** Read the token file; a missing or empty file is a config error saying what to run. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") {
      throw new FiresideApiError(
        "config",
        `No Fireside token file at ${file}: run \`fireside token\` once to create it (or set the token file setting).`,
      );
    }
    if (code === "EACCES") {
      throw new FiresideApiError("config", `Cannot read the token file ${file} (permission denied).`);
    }
    throw new FiresideApiError("config", `Cannot read the token file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (!token) {
    throw new FiresideApiError("config", `The token file ${file} is empty: run \`fireside token --rotate\`.`);
  }
  return token;
}
