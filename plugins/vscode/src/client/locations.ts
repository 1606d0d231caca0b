// Search hits → file locations in the editor. No `vscode` import.

import * as path from "node:path";

import type { FileHit, SearchHit } from "./api";

export interface HitLocation {
  file: string; // absolute path
  line: number; // 0-based (editor lines)
  endLine: number; // 0-based, inclusive
}

export type Resolved = { ok: true; location: HitLocation } | { ok: false; message: string };

/**
 * A hit's path is relative to the indexed root (forward slashes). Resolve it against the index
 * root when the server sent it, else against each workspace folder; refuse paths that escape
 * the root (`..`, absolute) and files that do not exist.
 */
export function resolveHit(
  hit: SearchHit,
  roots: string[],
  exists: (file: string) => boolean,
): Resolved {
  const rel = hit.path.replace(/\\/g, "/");
  if (!rel || path.posix.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.split("/").includes("..")) {
    return { ok: false, message: `The hit ${hit.path} is outside the indexed project.` };
  }
  for (const root of roots) {
    const file = path.join(root, ...rel.split("/"));
    if (exists(file)) {
      const line = Math.max(0, Math.floor(hit.start_line) - 1);
      const endLine = Math.max(line, Math.floor(hit.end_line) - 1);
      return { ok: true, location: { file, line, endLine } };
    }
  }
  return {
    ok: false,
    message: `${hit.path} is not in this workspace (the index covers another folder, or the file was deleted; re-index with "Fireside: Start indexing this workspace").`,
  };
}

/** The quick-pick line for a hit: label, description, detail. */
export function hitLabel(hit: SearchHit): { label: string; description: string; detail: string } {
  const where = `${hit.path}:${hit.start_line}`;
  const first = hit.snippet.split(/\r?\n/).find((l) => l.trim()) ?? "";
  return {
    label: hit.symbol ? `${hit.symbol}` : where,
    description: hit.symbol ? where : `lines ${hit.start_line}-${hit.end_line}`,
    detail: first.trim().slice(0, 200),
  };
}

/** A file's best chunk (the server sends them best first); none: the top of the file. */
export function bestHit(file: FileHit): SearchHit {
  const best = file.chunks[0];
  return best ? { ...best, path: file.path } : { path: file.path, start_line: 1, end_line: 1, score: file.score, snippet: "" };
}

/** A score as it is shown: four significant digits, no trailing zeros. */
export function formatScore(score: number): string {
  return Number.isFinite(score) ? String(Number(score.toPrecision(4))) : String(score);
}

/** The quick-pick line for a file: the path, its score, its best chunk's first line. */
export function fileLabel(file: FileHit): { label: string; description: string; detail: string } {
  const best = file.chunks[0];
  const first = best && typeof best.snippet === "string" ? (best.snippet.split(/\r?\n/).find((l) => l.trim()) ?? "") : "";
  return { label: file.path, description: formatScore(file.score), detail: first.trim().slice(0, 200) };
}

/** Is `file` inside `root`? (for "file outside the indexed project" messages) */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/**
 * The project folder Fireside indexes for `start`: the nearest folder above holding `.git`,
 * else `start` itself (as the indexer's find_root). Search hits are relative to it.
 */
export function findProjectRoot(start: string, exists: (file: string) => boolean): string {
  let dir = path.resolve(start);
  for (;;) {
    if (exists(path.join(dir, ".git"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return path.resolve(start);
    }
    dir = parent;
  }
}
