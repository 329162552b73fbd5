/**
 * @module
 * Turns a recipe file into a plain JS value plus a way to find where any field path sits in the
 * file (line:col). Owns the YAML hardening: control characters, duplicate and
 * non-scalar keys, tags, aliases and prototype-safe objects. Knows nothing about the schema.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from "yaml";
import { type Issue, RecipeSyntaxError } from "./errors.ts";

/**
 * At most this many nodes may be produced by expanding aliases ("billion laughs" guard). Each
 * use of an alias costs the size of the value it points at.
 */
const MAX_ALIAS_NODES = 1_000_000;

/** The tags a recipe may use: YAML 1.2 core types only. */
const ALLOWED_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Characters YAML 1.2 does not allow in a stream (outside c-printable). */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]/;

/** A segment of a field path: a map key or a sequence index. */
export type PathSegment = string | number;

/** A parsed YAML file: its value and a locator for error positions. */
export interface YamlSource {
  /** Path of the file. */
  file: string;
  /** The parsed document as a plain JS value. */
  value: unknown;
  /** Line and column (1-based) of the node at `path`, or of its closest existing ancestor. */
  locate(path: readonly PathSegment[], at?: "key" | "value"): { line: number; col: number };
}

type Pos = (offset: number) => { line: number; col: number };

/**
 * Files at least this long (in UTF-16 units) go to the fast reader (`core/yaml_fast.ts`; the
 * caller loads it only then). Hand-written recipes are far shorter and always get the careful
 * reader: js-yaml accepts some malformed YAML that npm:yaml refuses; generated recipes, where
 * reading time matters (a 100k-step file reads in 0.8 s instead of 10 s), come from serializers
 * that do not write it.
 */
export const FAST_READER_MIN_CHARS = 64 * 1024;

/** A reader that returns a value for the texts it is sure of, `undefined` for the rest. */
export type FastReader = (text: string) => { value: unknown } | undefined;

/**
 * Parses YAML text into a value, rejecting duplicate keys, custom tags and alias bombs. With a
 * `fastReader` that takes the text, positions come from the careful reader, built on first use
 * (only errors and warnings ask for them), which also throws its RecipeSyntaxError there if it
 * refuses the text. `fast` tells the caller which reader answered.
 */
export function parseYaml(
  text: string,
  file: string,
  options: { fastReader?: FastReader } = {},
): YamlSource & { fast: boolean } {
  const fast = options.fastReader && !NON_PRINTABLE.test(text)
    ? options.fastReader(text)
    : undefined;
  if (!fast) return { ...parseYamlCarefully(text, file), fast: false };
  let careful: YamlSource | undefined;
  return {
    file,
    value: fast.value,
    fast: true,
    locate(path, at) {
      careful ??= parseYamlCarefully(text, file);
      return careful.locate(path, at);
    },
  };
}

/**
 * Parses with npm:yaml's document model: every check, every message, every position. Slower
 * than {@link parseYaml} on plain YAML, with the same value.
 */
export function parseYamlCarefully(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const pos: Pos = (offset) => lineCounter.linePos(offset);
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    const lineStart = text.lastIndexOf("\n", bad.index - 1) + 1;
    const line = text.slice(0, lineStart).split("\n").length;
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new RecipeSyntaxError([{
      file,
      line,
      col: bad.index - lineStart + 1,
      message: `control character U+${code} is not allowed in YAML; remove it (is this a ` +
        `binary file?)`,
    }]);
  }
  let doc: Document;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: false, // checked below in linear time, and after key conversion
      schema: "core",
      strict: true,
    });
  } catch (err) {
    throw new RecipeSyntaxError([{ file, line: 1, col: 1, message: _thrownMessage(err) }]);
  }
  const issues: Issue[] = [...doc.errors, ...doc.warnings].map((e) => {
    const unclosed = e.code === "MISSING_CHAR" && /closing .?quote/.test(e.message);
    return {
      file,
      ...pos(unclosed ? _quoteStart(doc, e.pos[0]) : e.pos[0]),
      message: unclosed
        ? `unclosed quote: the string starting here has no closing quote; close it`
        : _yamlMessage(e.code, e.message),
    };
  });
  if (issues.length > 0) throw new RecipeSyntaxError(issues);

  const walk: _Walk = {
    file,
    text,
    pos,
    issues,
    anchors: new Map(),
    values: new Map(),
    aliased: 0,
  };
  let value: unknown;
  try {
    value = _toValue(doc.contents, walk);
  } catch (err) {
    if (err instanceof _AliasBomb) throw new RecipeSyntaxError([err.issue]);
    throw new RecipeSyntaxError([{ file, line: 1, col: 1, message: _thrownMessage(err) }]);
  }
  if (issues.length > 0) throw new RecipeSyntaxError(issues);
  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  return { file, value, locate: (path, at = "value") => _locate(doc, path, at, pos, keyIndex) };
}

function _thrownMessage(err: unknown): string {
  const msg = String((err as Error)?.message ?? err);
  return /call stack/i.test(msg)
    ? "the YAML is nested too deeply to read; flatten the structure"
    : `cannot read the YAML: ${msg}`;
}

function _yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0];
  switch (code) {
    case "MULTIPLE_DOCS":
      return "a recipe is one YAML document, this file has several; remove the --- separator";
    case "TAB_AS_INDENT":
      return `tab used for indentation: ${first}; indent with spaces`;
    case "BAD_INDENT":
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
      return `invalid YAML: ${first}; check the indentation here and on the next lines (keys ` +
        `of one mapping start at the same column; quote a value holding ": ")`;
    case "TAG_RESOLVE_FAILED": {
      const tag = first.replace(/^Unresolved tag: /, "");
      return ALLOWED_TAGS.has(tag)
        ? `the value cannot be read as ${_shortTag(tag)}; fix the value or remove the tag`
        : `custom tags are not allowed: ${_shortTag(tag)}; write a plain value instead`;
    }
    default:
      return /call stack/i.test(first)
        ? "the YAML is nested too deeply to read; flatten the structure"
        : `invalid YAML: ${first}`;
  }
}

/** Where the quoted scalar that runs to `end` opened (YAML reports the end of the file). */
function _quoteStart(doc: Document, end: number): number {
  let start = end;
  visit(doc, {
    Scalar(_key, node) {
      const [from, , to] = node.range ?? [end, end, end];
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && from < end && to >= end && (start === end || from > start)) start = from;
    },
  });
  return start;
}

/** Offset of the tag written before the node starting at `start` (node ranges exclude it). */
function _tagStart(text: string, start: number): number {
  const before = text.slice(Math.max(0, start - 1024), start);
  const m = /(?:^|[\s,[{])(![^\s,[\]{}]*)(?:\s+&[^\s,[\]{}]+)?\s*$/.exec(before);
  return m ? start - before.length + m.index + m[0].indexOf(m[1]) : start;
}

function _shortTag(tag: string): string {
  return tag.replace("tag:yaml.org,2002:", "!!");
}

interface _Walk {
  file: string;
  text: string;
  pos: Pos;
  issues: Issue[];
  /** Anchor name → the latest node carrying it, once that node is complete. */
  anchors: Map<string, Node>;
  /** Anchored node → its value and how many nodes it expands to. */
  values: Map<Node, { value: unknown; size: number }>;
  /** Nodes produced so far by expanding aliases. */
  aliased: number;
}

class _AliasBomb extends Error {
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}

/**
 * Builds the JS value of a node in one pass, collecting tag and key issues: maps become
 * prototype-safe plain objects, an alias shares its anchor's value and pays the anchor's size out
 * of the alias budget. `counter.n` counts the nodes built, aliases at their expanded size.
 */
function _toValue(node: unknown, w: _Walk, counter = { n: 0 }): unknown {
  counter.n++;
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = w.anchors.get(node.source);
    if (!target) {
      w.issues.push({
        file: w.file,
        ...w.pos(node.range?.[0] ?? 0),
        message: `alias *${node.source} has no anchor &${node.source} before it (or is inside ` +
          `it); define the value first`,
      });
      return null;
    }
    const { value, size } = w.values.get(target)!;
    w.aliased += size;
    counter.n += size - 1;
    if (w.aliased > MAX_ALIAS_NODES) {
      throw new _AliasBomb({
        file: w.file,
        ...w.pos(node.range?.[0] ?? 0),
        message: `too many alias expansions (aliases expand to over ${MAX_ALIAS_NODES} ` +
          `values); nested aliases look like a "billion laughs" attack: write the values out`,
      });
    }
    return value;
  }
  const n = node as Node;
  if (n.tag && !ALLOWED_TAGS.has(n.tag)) {
    w.issues.push({
      file: w.file,
      ...w.pos(_tagStart(w.text, n.range?.[0] ?? 0)),
      message: `custom tags are not allowed: ${_shortTag(n.tag)}; write a plain value instead`,
    });
  }
  const before = counter.n;
  let value: unknown;
  if (isMap(n)) value = _mapValue(n, w, counter);
  else if (isSeq(n)) value = n.items.map((item) => _toValue(item, w, counter));
  else if (isScalar(n)) value = n.value;
  else value = null;
  if (n.anchor) {
    w.anchors.set(n.anchor, n);
    w.values.set(n, { value, size: counter.n - before + 1 });
  }
  return value;
}

function _mapValue(map: YAMLMap, w: _Walk, counter: { n: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    const at = w.pos(keyNode?.range?.[0] ?? (pair.value as Node | null)?.range?.[0] ?? 0);
    const key = _keyString(pair.key);
    if (key === undefined) {
      const what = isAlias(keyNode)
        ? "an alias"
        : isMap(keyNode)
        ? "a mapping"
        : isSeq(keyNode)
        ? "a list"
        : "empty";
      w.issues.push({
        file: w.file,
        ...at,
        message: `a mapping key is ${what}; keys must be plain strings or numbers`,
      });
      _toValue(pair.value, w, counter);
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      const { line, col } = w.pos(first);
      w.issues.push({
        file: w.file,
        ...at,
        message: `duplicate key "${key}" (first at line ${line}, col ${col}); each key may ` +
          `appear once per mapping`,
      });
    } else seen.set(key, keyNode?.range?.[0] ?? 0);
    // defineProperty, not assignment: a "__proto__" key stays an own property.
    Object.defineProperty(out, key, {
      value: _toValue(pair.value, w, counter),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The JS property name a YAML key becomes, or undefined when it is not a usable scalar. */
function _keyString(key: unknown): string | undefined {
  if (!isScalar(key) || key.value === null || key.value === undefined) return undefined;
  const v = key.value;
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? String(v)
    : undefined;
}

function _locate(
  doc: Document,
  path: readonly PathSegment[],
  at: "key" | "value",
  pos: Pos,
  keyIndex: WeakMap<YAMLMap, Map<string, Pair>>,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: number = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      let index = keyIndex.get(node);
      if (!index) {
        index = new Map();
        for (const p of node.items) {
          const k = _keyString(p.key);
          if (k !== undefined && !index.has(k)) index.set(k, p);
        }
        keyIndex.set(node, index);
      }
      const pair = index.get(String(seg));
      if (!pair) break;
      const keyStart = (pair.key as Node | null)?.range?.[0];
      const valueStart = (pair.value as Node | null)?.range?.[0];
      const last = i === path.length - 1;
      best = (at === "key" && last ? keyStart : valueStart ?? keyStart) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else {
      break;
    }
  }
  return pos(best);
}
