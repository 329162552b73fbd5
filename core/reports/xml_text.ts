/**
 * @module
 * Text safe for XML 1.0: ANSI colour sequences dropped, characters XML forbids (C0 controls
 * other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF) shown as `\xNN`/`\uXXXX`, then the
 * markup characters escaped (by the `entities` library). Used by the JUnit renderer; does not
 * build elements.
 */
import { escapeUTF8 } from "entities";

/** ANSI CSI sequences (colours, cursor moves) and lone OSC/other ESC pairs. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;
/** What XML 1.0 forbids: C0 controls except \t \n \r, lone surrogates, U+FFFE, U+FFFF. */
const FORBIDDEN =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every character XML 1.0 cannot carry replaced by a visible escape. */
export function xmlSafe(text: string): string {
  return text.replace(ANSI, "").replace(FORBIDDEN, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Element content: safe and escaped; CR kept as a character reference (parsers drop it). */
export function xmlText(text: string): string {
  return escapeUTF8(xmlSafe(text)).replace(/\r/g, "&#13;");
}

/** An attribute value: safe and escaped, with tab/newline/CR kept as character references. */
export function xmlAttr(text: string): string {
  return escapeUTF8(xmlSafe(text)).replace(
    /[\t\n\r]/g,
    (c) => `&#${c.charCodeAt(0)};`,
  );
}
