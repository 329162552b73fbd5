/**
 * @module
 * The last lines each running step printed (stderr, and log lines on stdout), bounded to
 * TAIL_LINES lines and TAIL_BYTES bytes per stream, kept by the journal for the step's final
 * record so reports can show them. Does not print or store anything itself.
 */

/** Most lines kept per step and stream. */
export const TAIL_LINES = 40;
/** Most UTF-16 code units kept per step and stream (about 8 KB of text). */
export const TAIL_BYTES = 8192;

interface _Tail {
  lines: string[];
  size: number;
}

/** Per-step ring buffers of output lines. */
export class OutputTails {
  #tails = new Map<string, { stderr: _Tail; stdout: _Tail }>();

  /** Adds one output line of `step`. */
  add(step: string, stream: "stdout" | "stderr", line: string): void {
    let tails = this.#tails.get(step);
    if (!tails) {
      this.#tails.set(step, tails = { stderr: _empty(), stdout: _empty() });
    }
    const tail = tails[stream];
    const kept = line.length > TAIL_BYTES ? `...${line.slice(-(TAIL_BYTES - 3))}` : line;
    tail.lines.push(kept);
    tail.size += kept.length;
    while (tail.lines.length > TAIL_LINES || tail.size > TAIL_BYTES) {
      tail.size -= tail.lines.shift()!.length;
    }
  }

  /** The tails of `step` as record fields (absent when empty), forgetting them. */
  take(step: string): { stderr_tail?: string[]; stdout_tail?: string[] } {
    const tails = this.#tails.get(step);
    this.#tails.delete(step);
    if (!tails) return {};
    return {
      ...(tails.stderr.lines.length ? { stderr_tail: tails.stderr.lines } : {}),
      ...(tails.stdout.lines.length ? { stdout_tail: tails.stdout.lines } : {}),
    };
  }
}

function _empty(): _Tail {
  return { lines: [], size: 0 };
}
