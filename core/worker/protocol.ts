/**
 * @module
 * The messages between the runner and a step Worker, as one typed union each way. Nothing else
 * crosses the Worker boundary.
 */
import type { ContextDelta, JsonValue } from "../context.ts";
import type { Envelope } from "../envelope.ts";
import type { ParamIssue } from "../params.ts";

/** Runner → Worker: run one attempt of one step. */
export interface RunRequest {
  kind: "run";
  moduleUrl: string;
  exportName: string;
  params: unknown;
  snapshot: Record<string, JsonValue>;
  step: string;
  baseDir: string;
}

/** Runner → Worker: import modules and check exports and params, running nothing. */
export interface InspectRequest {
  kind: "inspect";
  /** `exportName` absent: use the module's only scriptlet export (for `orch step`). */
  items: { moduleUrl: string; exportName?: string; params: unknown }[];
}

export type ToWorker = RunRequest | InspectRequest;

/** What inspection found for one item. */
export type InspectItem =
  | { ok: true; exportName: string; description?: string; paramsSchema?: unknown }
  | { ok: false; problem: "import" | "not-scriptlet"; message: string }
  | { ok: false; problem: "export"; message: string; scriptletExports: string[] }
  | { ok: false; problem: "params"; issues: ParamIssue[] };

/** Worker → runner messages. */
export type FromWorker =
  | { kind: "log"; stream: "stdout" | "stderr"; line: string }
  | { kind: "result"; envelope: Envelope; delta: ContextDelta }
  | { kind: "inspected"; items: InspectItem[] };
