/**
 * @module
 * The fast way to read a large recipe: js-yaml's event parser (about 10x faster than npm:yaml's
 * document model) for the plain YAML generated recipes are made of, or `undefined` for the rest.
 *
 * It decides nothing about errors. Whenever a text uses a feature where the careful reader in
 * `yaml_source.ts` could answer differently (tags, anchors, aliases, non-scalar or null keys,
 * duplicate keys, directives, several documents, `__proto__`, numbers too big for a double, and
 * the text patterns in CAREFUL_TEXT) or js-yaml refuses it, this returns `undefined` and the
 * careful reader decides, with its own messages and positions. On what YAML serializers write,
 * a value returned here equals the careful reader's (tests/fuzz/yaml_fast_fuzz_test.ts). js-yaml
 * does accept some malformed text npm:yaml refuses (e.g. `- {a: 1}  b: c`), which is why only
 * large files come here and why a recipe with any problem is re-read carefully (recipe.ts).
 */
import {
  constructFromEvents,
  CORE_SCHEMA,
  type Event,
  EVENT_ID,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
} from "js-yaml";

/** Plain scalars the core schema reads as null: not allowed as mapping keys. */
const NULL_PLAIN = new Set(["", "~", "null", "Null", "NULL"]);

/** A plain scalar npm:yaml reads as a float: js-yaml keeps it as text when it overflows. */
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/**
 * Text the two readers were seen to read differently (found by the fuzz test): `---` after
 * indentation and `...` lines (plain text or an end marker to npm:yaml, markers to js-yaml), a
 * tab in a line's indentation (npm:yaml refuses it), and block scalars with an explicit
 * indentation indicator.
 */
const CAREFUL_TEXT = /^[ \t]+---|^[ \t]*\.\.\.|^ *\t|[|>][-+]?[0-9]/m;

/** One open collection while scanning: a mapping expects a key or a value next. */
interface Frame {
  map: boolean;
  expectKey: boolean;
}

/**
 * The value of `text` read through js-yaml's events, or `undefined` when the text needs the
 * careful reader (see the module comment).
 */
export function fastYamlValue(text: string): { value: unknown } | undefined {
  if (text.includes("__proto__") || CAREFUL_TEXT.test(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 100 });
  } catch {
    return undefined;
  }
  if (!plainEvents(text, events)) return undefined;
  try {
    const docs = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: 0 });
    return docs.length === 1 ? { value: docs[0] ?? null } : undefined;
  } catch {
    return undefined; // e.g. a duplicate key: the careful reader names both places
  }
}

/** True when the events use nothing but untagged, unanchored scalars and collections. */
function plainEvents(text: string, events: Event[]): boolean {
  const stack: Frame[] = [];
  let docs = 0;
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (++docs > 1 || e.directives.length > 0 || e.explicitEnd) return false;
        stack.push({ map: false, expectKey: false });
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        if (e.tagStart !== -1 || e.anchorStart !== -1) return false;
        const parent = stack[stack.length - 1];
        if (parent?.map) {
          if (parent.expectKey) return false; // a collection as a key
          parent.expectKey = true;
        }
        stack.push({ map: e.type === EVENT_ID.MAPPING, expectKey: true });
        break;
      }
      case EVENT_ID.SCALAR: {
        if (e.tagStart !== -1 || e.anchorStart !== -1) return false;
        const parent = stack[stack.length - 1];
        if (e.style === SCALAR_STYLE.PLAIN && !plainScalarAgrees(text, e, parent)) return false;
        if (parent?.map) parent.expectKey = !parent.expectKey;
        break;
      }
      case EVENT_ID.POP:
        stack.pop();
        break;
      default: // an alias
        return false;
    }
  }
  return docs === 1;
}

/** False for a plain scalar the two readers could take differently. */
function plainScalarAgrees(text: string, e: ScalarEvent, parent: Frame | undefined): boolean {
  const first = text.charCodeAt(e.valueStart);
  const isKey = parent?.map === true && parent.expectKey;
  if (
    isKey && (e.valueEnd <= e.valueStart || first === 0x7e /* ~ */ || first === 0x6e ||
      first === 0x4e /* n N */)
  ) {
    return !NULL_PLAIN.has(text.slice(e.valueStart, e.valueEnd));
  }
  // digits, '+', '-', '.': a number that may not fit a double
  if ((first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e) {
    const source = text.slice(e.valueStart, e.valueEnd);
    if (CORE_FLOAT.test(source) && !Number.isFinite(Number(source))) return false;
  }
  return true;
}
