/**
 * @module
 * Reads a numbers file the way the original framework's steps did: one number per line, blank
 * lines and `#` comments skipped, each line parsed like Python's `float()` (finite values only).
 * Shared by the built-in number steps; not a step itself.
 */

const FLOAT =
  /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/** Parses one line like Python's float(); returns undefined for anything else (nan, inf too). */
export function parseFloatStrict(text: string): number | undefined {
  const s = text.trim();
  if (!FLOAT.test(s)) return undefined;
  const n = Number(s.replaceAll("_", ""));
  return Number.isFinite(n) ? n : undefined;
}

/** Reads the numbers in `path`; throws an Error naming the first bad line. */
export async function readNumbers(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`file not found: ${path}`);
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const numbers: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const n = parseFloatStrict(line);
    if (n === undefined) {
      throw new Error(
        `${path}:${i + 1}: not a finite number: ${JSON.stringify(line.slice(0, 40))}`,
      );
    }
    numbers.push(n);
  }
  if (numbers.length === 0) throw new Error(`${path} contains no numbers`);
  return numbers;
}
