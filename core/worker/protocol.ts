/**
 * @module
 * The messages between the runner and a step Worker, as one typed union each way. Nothing else
 * crosses the Worker boundary. A pooled Worker runs many attempts one after another; `id` ties
 * each log line and result to its attempt.
 */
import type { ContextDelta, JsonValue } from "../context.ts";
import type { Envelope } from "../envelope.ts";
import type { ParamIssue } from "../params.ts";

/** Runner → Worker: run one attempt of one step. */
export interface RunRequest {
  kind: "run";
  /** Attempt id, unique per Worker; echoed by the Worker's replies. */
  id: number;
  /** One of the modules the Worker's entry imported statically. */
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
  | {
    ok: true;
    exportName: string;
    description?: string;
    paramsSchema?: unknown;
    /** The class's `static parallel`. */
    parallel?: boolean;
  }
  | { ok: false; problem: "import" | "not-scriptlet"; message: string }
  | { ok: false; problem: "export"; message: string; scriptletExports: string[] }
  | { ok: false; problem: "params"; issues: ParamIssue[] };

/** Worker → runner messages. `id` is the attempt's (0 while inspecting). */
export type FromWorker =
  /** The Worker took the request (proves a reused Worker is alive and idle). */
  | { kind: "started"; id: number }
  | { kind: "log"; id: number; stream: "stdout" | "stderr"; line: string }
  | { kind: "result"; id: number; envelope: Envelope; delta: ContextDelta }
  | { kind: "inspected"; items: InspectItem[] }
  /** An uncaught error or unhandled rejection: the Worker must not be reused. */
  | { kind: "crashed"; cause: "uncaught error" | "unhandled promise rejection"; message: string };
