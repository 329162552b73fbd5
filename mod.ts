/**
 * @module
 * orch's library API: run and validate recipes, and the types a step author needs.
 *
 * ```ts
 * import { runRecipe } from "./mod.ts";
 * const ctx = await runRecipe("recipes/example_numbers.yaml");
 * console.log(ctx.get("numbers.stats_v1"));
 * ```
 */
export { findRecipe, run, runRecipe, validateRecipeFile } from "./core/api.ts";
export type { RecipeOptions, RunOptions } from "./core/api.ts";
export { Context, StepContext } from "./core/context.ts";
export type {
  ContextBase,
  ContextDelta,
  ContextJson,
  ContextReader,
  ContextView,
  ContextWrite,
  HistoryEntry,
  JsonValue,
  SetOptions,
} from "./core/context.ts";
export { BaseScriptlet, isScriptletClass, standalone } from "./core/scriptlet.ts";
export type { ScriptletClass, StepInfo } from "./core/scriptlet.ts";
export type { Envelope, ErrorEnvelope, OkEnvelope } from "./core/envelope.ts";
export {
  ContextError,
  ExitCode,
  InterruptedError,
  OrchError,
  RecipeSyntaxError,
  RecipeValidationError,
  StepFailedError,
  StepLoadError,
  UsageError,
} from "./core/errors.ts";
export type { Issue, Where } from "./core/errors.ts";
export { loadRecipe, recipeJsonSchema } from "./core/recipe.ts";
export type {
  DenoStep,
  LoadRecipeOptions,
  PythonStep,
  Recipe,
  RetryPolicy,
  ShellStep,
  Step,
  StepCommon,
  StepInputs,
} from "./core/recipe.ts";
export type {
  Journal,
  JournalHeader,
  JournalOptions,
  JournalRecord,
  StepFinal,
} from "./core/journal.ts";
export { MERGE_STRATEGIES, type MergeStrategy } from "./core/context_merge.ts";
export { openCache } from "./core/cache.ts";
export type { CacheEntry, CacheOptions, StepCache } from "./core/cache.ts";
export type { Fingerprint } from "./core/fingerprint.ts";
export type { PermissionKind, PermissionSpec } from "./core/permissions.ts";
export type { Plan, PlannedStep } from "./core/plan.ts";
export type { Isolation } from "./core/isolation.ts";
export type { ExecuteOptions, RunResult, StepResult } from "./core/runner.ts";
export type { Selection } from "./core/scheduler.ts";
export type { AttemptRecord, EventSink, RunEvent, StepStatus } from "./core/events.ts";
export type { RunMeta, RunMetaStep } from "./core/run_meta.ts";
export { getLogger, trackResources } from "./core/log.ts";
export type { Level, LineSink, Logger } from "./core/log.ts";
export type {
  AttemptTarget,
  Executor,
  StepAttempt,
  StepLog,
  StepOutcome,
} from "./core/executors/executor.ts";
export type { ResolvedModule } from "./core/loader.ts";
export type { PathSegment, YamlSource } from "./core/yaml_source.ts";
