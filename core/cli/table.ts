/**
 * @module
 * Plain-text tables for stderr (`orch list`, `orch runs`): columns padded to their widest cell.
 */

/** The rows as lines, each column padded to its widest cell, two spaces apart, right-trimmed. */
export function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  // a loop, not Math.max(...cells): spreading ~125k arguments overflows the stack
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) widths[c] = Math.max(widths[c] ?? 0, row[c].length);
  }
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}
