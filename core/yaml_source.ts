/**
 * @module
 * Turns a recipe file into a plain JS value plus a way to find where any field path sits in the
 * file (line:col). Owns the YAML hardening: size limit, UTF-8, duplicate keys, tags, aliases.
 */
import {
  type Document,
  isMap,
  isNode,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import { type Issue, RecipeSyntaxError } from "./errors.ts";

/** Default size limit for a recipe file: 32 MiB. */
export const DEFAULT_MAX_RECIPE_BYTES = 32 * 1024 * 1024;

/** At most this many alias expansions when building the value ("billion laughs" guard). */
const MAX_ALIAS_COUNT = 1000;

/** The tags a recipe may use: YAML 1.2 core types only. */
const ALLOWED_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** A segment of a field path: a map key or a sequence index. */
export type PathSegment = string | number;

/** A parsed YAML file: its value and a locator for error positions. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** Line and column (1-based) of the node at `path`, or of its closest existing ancestor. */
  locate(path: readonly PathSegment[], at?: "key" | "value"): { line: number; col: number };
}

/** Reads a file as a recipe's bytes: refuses missing files, directories and oversized files. */
export async function readRecipeBytes(file: string, maxBytes: number): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "file not found" : String(err);
    throw _syntax(file, `cannot read recipe: ${why}`, "check the path (relative to the cwd)");
  }
  if (info.isDirectory) {
    throw _syntax(file, "cannot read recipe: it is a directory", "pass a .yaml file instead");
  }
  if (info.size > maxBytes) {
    throw _syntax(
      file,
      `recipe is ${info.size} bytes, over the limit of ${maxBytes} bytes`,
      "split the recipe, or raise the limit with --max-recipe-bytes",
    );
  }
  return await Deno.readFile(file);
}

/** Decodes UTF-8 strictly; the error names the byte offset of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const text = new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes);
  const offset = _firstInvalidUtf8(bytes, text);
  if (offset >= 0) {
    throw _syntax(
      file,
      `recipe is not valid UTF-8: invalid byte sequence at byte offset ${offset}`,
      "save the file as UTF-8",
    );
  }
  return text;
}

/** Parses YAML text into a value, rejecting duplicate keys, custom tags and alias bombs. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    schema: "core",
    strict: true,
  });
  const pos = (offset: number) => lineCounter.linePos(offset);
  const issues: Issue[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const { line, col } = pos(e.pos[0]);
    issues.push({ file, line, col, message: _yamlMessage(e.code, e.message) });
  }
  if (issues.length === 0) issues.push(..._tagIssues(doc, file, pos));
  if (issues.length > 0) throw new RecipeSyntaxError(issues);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    const bomb = /alias/i.test(msg);
    throw new RecipeSyntaxError([{
      file,
      line: 1,
      col: 1,
      message: bomb
        ? `too many alias expansions (over ${MAX_ALIAS_COUNT}); the document looks like a ` +
          `"billion laughs" attack: write the values out instead of nesting aliases`
        : `cannot build the recipe from YAML: ${msg}`,
    }]);
  }
  return {
    file,
    value,
    locate: (path, at = "value") => _locate(doc, path, at, pos),
  };
}

function _syntax(file: string, message: string, hint: string): RecipeSyntaxError {
  return new RecipeSyntaxError([{ file, message: `${message}; ${hint}` }]);
}

function _yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0];
  switch (code) {
    case "DUPLICATE_KEY":
      return `duplicate key: ${first}; each key may appear once per mapping`;
    case "TAB_AS_INDENT":
      return `tab used for indentation: ${first}; indent with spaces`;
    case "TAG_RESOLVE_FAILED":
      return `custom tags are not allowed: ${first}; remove the tag`;
    default:
      return `invalid YAML: ${first}`;
  }
}

function _tagIssues(
  doc: Document,
  file: string,
  pos: (o: number) => { line: number; col: number },
): Issue[] {
  const issues: Issue[] = [];
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag && !ALLOWED_TAGS.has(tag)) {
        const { line, col } = pos(node.range?.[0] ?? 0);
        const shown = tag.replace("tag:yaml.org,2002:", "!!");
        issues.push({
          file,
          line,
          col,
          message: `custom tags are not allowed: ${shown}; write a plain value instead`,
        });
      }
    },
  });
  return issues;
}

function _locate(
  doc: Document,
  path: readonly PathSegment[],
  at: "key" | "value",
  pos: (o: number) => { line: number; col: number },
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: number = (node as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isNode(p.key) ? p.key.toJSON() : p.key) === seg);
      if (!pair) break;
      const keyStart = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      const valueStart = isNode(pair.value) ? pair.value.range?.[0] : undefined;
      best = (at === "key" && seg === path[path.length - 1] ? keyStart : valueStart ?? keyStart) ??
        best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (!isNode(item)) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else {
      break;
    }
  }
  return pos(best);
}

/** Byte offset of the first invalid UTF-8 sequence, or -1. U+FFFD in the text may be genuine. */
function _firstInvalidUtf8(bytes: Uint8Array, text: string): number {
  const encoder = new TextEncoder();
  let from = 0;
  while (true) {
    const i = text.indexOf("\uFFFD", from);
    if (i < 0) return -1;
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const offset = bom + encoder.encode(text.slice(0, i)).length;
    const genuine = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf &&
      bytes[offset + 2] === 0xbd;
    if (!genuine) return offset;
    from = i + 1;
  }
}
