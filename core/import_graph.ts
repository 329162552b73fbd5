/**
 * @module
 * Checks a step module's import graph before the module is ever loaded. Deno loads a module's
 * static imports, re-exports and `import()` calls with a literal specifier ahead of time, without
 * the step Worker's read grant; so each of them must lie where a `module:` may: inside an allowed
 * module root (loader.ts) or in orch's own `core/`. Owns the lexing (es-module-lexer) and the
 * rule; does not decide the roots (loader.ts) nor load anything.
 *
 * The rule, for every import record of every module reached (cycles end; each file is lexed once
 * per checker):
 * - Type-only imports (`import type`, `export type ... from`) are skipped: Deno erases them.
 * - `import()` whose argument is an expression is left to the Worker: Deno checks the step's
 *   read grant at run time for the module and everything it imports.
 * - `import()` of a template literal with `${}` is refused: Deno loads every file the pattern
 *   could match ahead of time (the `${}` parts match anything, `/` included), unchecked.
 * - `./`, `../`, `/` and `file:` specifiers must resolve (symlinks followed) to an existing file
 *   inside an allowed root, whose own imports are then followed; or inside orch's `core/`, which
 *   is trusted and not followed. A file imported `with { type }` (json, text, bytes) is a leaf.
 * - `node:` builtins are allowed (the Worker's grant still applies to what they do).
 * - A bare specifier must be in orch's import map (deno.json "imports", orch's own pinned
 *   dependencies): it is resolved with `import.meta.resolve`, as the Worker would.
 * - Anything else is refused: `npm:` (not vendored, would need the network), `jsr:`, `http:`,
 *   `https:`, `data:`, `blob:` and other schemes.
 * - A module that cannot be read or lexed (a syntax error, or syntax the lexer does not know,
 *   such as JSX), or whose extension is not JavaScript or TypeScript, is refused. A file that
 *   does not exist is skipped: loading the module fails anyway.
 */
import { init, parse } from "es-module-lexer";
import { fileURLToPath as fromFileUrl } from "node:url";
import { memo } from "./memo.ts";
import { isInside, realFileSync } from "./paths.ts";

/** Why a module's import graph is refused: which file imports what, where, and why not. */
export interface ImportProblem {
  /** Real path of the importing file. */
  file: string;
  line: number;
  col: number;
  /** The specifier as written; absent when the file itself cannot be checked. */
  specifier?: string;
  /** Why it cannot load, e.g. `resolves to /x/y.ts, outside the allowed module roots`. */
  why: string;
}

/** Checks the import graph of the module at a file URL: the first problem, or undefined. */
export type ImportChecker = (moduleUrl: string) => Promise<ImportProblem | undefined>;

const CODE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const GLOB = "is a template literal with ${}: Deno loads every file it could match ahead of " +
  "time, without the step's grant; compute the specifier into a variable (checked at run time) " +
  "or write it out as a plain string";

/** One import of a module, classified: allowed, refused, or a file to check. */
interface Edge {
  specifier: string;
  offset: number;
  /** URL of the file it loads (resolved as written, not following links). */
  url?: string;
  /** Imported with a type attribute: a leaf, not lexed. */
  leaf?: boolean;
  refused?: string;
}

/**
 * Returns a checker for modules in `roots` (real paths); files in `trusted` (orch's `core/`) may
 * be imported and are not followed. It remembers each file's imports and each module's verdict,
 * so many steps sharing modules cost one lexing of each file. Make one per plan: files changed
 * after it read them are not read again.
 */
export function importChecker(roots: string[], trusted: string): ImportChecker {
  const edges = new Map<string, Promise<{ edges: Edge[]; source: string } | string>>();
  const reals = new Map<string, Promise<string | undefined>>();
  const verdicts = new Map<string, Promise<ImportProblem | undefined>>();
  const realOf = (url: string) =>
    memo(reals, url, () => Promise.resolve(realFileSync(fromFileUrl(url))));
  const inside = (p: string, dirs: string[]) => dirs.some((d) => isInside(p, d));
  const shownRoots = roots.join(", ");

  async function walk(start: string): Promise<ImportProblem | undefined> {
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length > 0) {
      const url = todo.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const file = (await realOf(url)) ?? fromFileUrl(url);
      const lexed = await memo(edges, url, () => _edges(url, file));
      if (typeof lexed === "string") {
        return { file, line: 1, col: 1, why: lexed };
      }
      for (const e of lexed.edges) {
        const at = () => ({ file, ..._lineCol(lexed.source, e.offset), specifier: e.specifier });
        if (e.refused) return { ...at(), why: e.refused };
        if (e.url === undefined) continue;
        const real = await realOf(e.url);
        if (real === undefined) continue; // missing: loading it fails (nothing to leak)
        if (inside(real, [trusted])) continue;
        if (!inside(real, roots)) {
          return {
            ...at(),
            why: `resolves to ${real}, outside the allowed module roots (${shownRoots})`,
          };
        }
        if (!e.leaf) todo.push(e.url);
      }
    }
    return undefined;
  }
  return (moduleUrl) => memo(verdicts, moduleUrl, () => walk(moduleUrl));
}

/** The imports of one module, classified; or why it cannot be checked. */
async function _edges(
  url: string,
  file: string,
): Promise<{ edges: Edge[]; source: string } | string> {
  if (!CODE.test(file)) {
    return "is not a JavaScript or TypeScript module (by its extension), so its imports cannot " +
      "be checked";
  }
  let source: string;
  try {
    source = Deno.readTextFileSync(file); // sync: a step module is small; an async op costs more
  } catch (err) {
    return `cannot be read to check its imports: ${(err as Error).message}`;
  }
  await init();
  try {
    return { edges: _toEdges(parse(source, file)[0], url), source };
  } catch (err) {
    return `cannot be lexed to check its imports (${(err as Error).message})`;
  }
}

/** Each import record that Deno loads ahead of time, classified. */
function _toEdges(imports: ReturnType<typeof parse>[0], url: string): Edge[] {
  const edges: Edge[] = [];
  for (const imp of imports) {
    if (imp.type === "import-meta") continue;
    const specifier = imp.specifier;
    if (specifier === undefined) continue; // a computed import(): checked at run time
    if (imp.type === "dynamic") {
      const glob = imp.glob && specifier.includes("*");
      edges.push(
        glob ? { specifier, offset: imp.start, refused: GLOB } : {
          ..._classify(specifier, url),
          offset: imp.start,
        },
      );
      continue;
    }
    if (imp.typeOnly) continue; // erased
    const typed = imp.attributes?.some(([k]) => k === "type") ?? false;
    edges.push({ ..._classify(specifier, url), offset: imp.start, leaf: typed });
  }
  return edges;
}

/** Where one specifier leads: a file URL to check, allowed (nothing), or refused. */
function _classify(specifier: string, from: string): Omit<Edge, "offset"> {
  if (/^(\.{0,2}\/)/.test(specifier) || specifier.startsWith("file:")) {
    const target = new URL(specifier, from);
    return target.protocol === "file:" && target.host === ""
      ? { specifier, url: target.href }
      : { specifier, refused: "does not name a local file" };
  }
  if (specifier.startsWith("node:")) return { specifier };
  if (SCHEME.test(specifier)) {
    const scheme = specifier.slice(0, specifier.indexOf(":") + 1);
    const why = scheme === "npm:"
      ? "is an npm: specifier; step modules may import only orch's own dependencies, by the " +
        "bare names in orch's deno.json imports"
      : `uses the ${scheme} scheme; step modules import only local files and orch's dependencies`;
    return { specifier, refused: why };
  }
  try {
    import.meta.resolve(specifier);
    return { specifier }; // in orch's import map: one of orch's pinned dependencies
  } catch {
    return {
      specifier,
      refused: "is a bare specifier that is not in orch's import map (deno.json imports)",
    };
  }
}

/** Line and column of the specifier at `offset`, pointing at its opening quote. */
function _lineCol(source: string, offset: number): { line: number; col: number } {
  if (offset > 0 && `"'\``.includes(source[offset - 1])) offset--;
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}
