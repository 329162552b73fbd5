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
  /** Brings the Worker's context replica up to date before the attempt (see ContextSync). */
  ctx: ContextSync;
  /**
   * Shared with the runner (one Int32 per Worker): the Worker stores the attempt id in it when
   * it takes the request, which proves a reused Worker alive and idle without a message.
   */
  taken: Int32Array;
  step: string;
  baseDir: string;
}

/**
 * How a pooled Worker's context replica catches up: the whole data (a new Worker, or one too far
 * behind), or only the writes since the version it last saw. `version` is the context's version
 * after applying it; a step never receives the whole context when a delta will do.
 */
export type ContextSync =
  | { kind: "full"; version: number; data: Record<string, JsonValue> }
  | { kind: "changes"; version: number; writes: [string, JsonValue][] };

/** Runner → Worker: import modules and check exports and params, running nothing. */
export interface InspectRequest {
  kind: "inspect";
  /**
   * `exportName` absent: use the module's only scriptlet export (for `orch step`). `schema:
   * false`: leave `paramsSchema` out (a run never shows it; converting costs a few ms).
   */
  items: { moduleUrl: string; exportName?: string; params: unknown; schema?: false }[];
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
  | { kind: "log"; id: number; stream: "stdout" | "stderr"; line: string }
  | { kind: "result"; id: number; envelope: Envelope; delta: ContextDelta }
  | { kind: "inspected"; items: InspectItem[] }
  /** An uncaught error or unhandled rejection: the Worker must not be reused. */
  | { kind: "crashed"; cause: "uncaught error" | "unhandled promise rejection"; message: string };
