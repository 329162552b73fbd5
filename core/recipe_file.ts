/**
 * @module
 * Reads a recipe file's bytes and decodes them: refuses missing files, directories, files over
 * the size limit (checked while reading) and invalid UTF-8 (naming the byte offset). Knows
 * nothing about YAML.
 */
import { RecipeSyntaxError } from "./errors.ts";

/** Default size limit for a recipe file: 32 MiB. */
export const DEFAULT_MAX_RECIPE_BYTES = 32 * 1024 * 1024;

/**
 * Reads a file as a recipe's bytes: refuses missing files, directories and oversized files. Sync
 * calls (a run reads the recipe twice, before anything else could run): async ones cost ~10x.
 */
// deno-lint-ignore require-await
export async function readRecipeBytes(file: string, maxBytes: number): Promise<Uint8Array> {
  const tooBig = (size: string) =>
    _syntax(
      file,
      `recipe is ${size} bytes, over the limit of ${maxBytes} bytes`,
      "split the recipe, or raise the limit with --max-recipe-bytes",
    );
  let handle: Deno.FsFile;
  try {
    const info = Deno.statSync(file);
    if (info.isDirectory) {
      throw _syntax(file, "cannot read recipe: it is a directory", "pass a .yaml file instead");
    }
    if (info.size > maxBytes) throw tooBig(String(info.size));
    handle = Deno.openSync(file, { read: true });
  } catch (err) {
    throw err instanceof RecipeSyntaxError ? err : _readError(file, err);
  }
  // Read at most maxBytes + 1 bytes: the size from stat can be wrong (growing files, devices).
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const buf = new Uint8Array(Math.min(1 << 20, maxBytes + 1 - total));
      const n = handle.readSync(buf);
      if (n === null) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooBig(`more than ${maxBytes}`);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } catch (err) {
    throw err instanceof RecipeSyntaxError ? err : _readError(file, err);
  } finally {
    handle.close();
  }
}

/** Decodes UTF-8 strictly; the error names the byte offset of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    // ignoreBOM: false strips a leading BOM.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = _firstInvalidUtf8(bytes);
    const { line, col } = _bytePos(bytes, offset);
    const byte = bytes[offset].toString(16).toUpperCase().padStart(2, "0");
    throw new RecipeSyntaxError([{
      file,
      line,
      col,
      message: `recipe is not valid UTF-8: invalid byte sequence (starting 0x${byte}) at byte ` +
        `offset ${offset}; save the file as UTF-8`,
    }]);
  }
}

function _syntax(file: string, message: string, hint: string): RecipeSyntaxError {
  return new RecipeSyntaxError([{ file, message: `${message}; ${hint}` }]);
}

function _readError(file: string, err: unknown): RecipeSyntaxError {
  if (err instanceof Deno.errors.NotFound) {
    return _syntax(
      file,
      "cannot read recipe: file not found",
      "check the path (relative to the cwd)",
    );
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return _syntax(file, "cannot read recipe: permission denied", "check the file's permissions");
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return _syntax(file, "cannot read recipe: it is a directory", "pass a .yaml file instead");
  }
  return _syntax(file, `cannot read recipe: ${(err as Error)?.message ?? err}`, "check the path");
}

/** Byte offset of the first invalid UTF-8 sequence (RFC 3629), or -1. */
function _firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf
      ? 1
      : c >= 0xe0 && c <= 0xef
      ? 2
      : c >= 0xf0 && c <= 0xf4
      ? 3
      : 0;
    if (need === 0 || i + need >= b.length) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/** Line and column (1-based, in UTF-16 units like the YAML positions) of a valid-prefix byte. */
function _bytePos(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = new TextDecoder("utf-8", { ignoreBOM: false }).decode(
    bytes.subarray(lineStart, offset),
  );
  return { line, col: prefix.length + 1 };
}
