/**
 * @module
 * Step permissions in Deno's vocabulary: the `permissions:` schema, and `checkGrants`, which
 * turns the operator ceiling, the recipe's block and each step's block into the exact permission
 * set each step's Worker starts with. Computes grants; starts no Worker.
 *
 * The rules:
 * - A `permissions:` block is a complete statement, like Deno's `--allow-*` flags: a kind it
 *   omits is `false`. Each kind is `true` (all), `false` (none) or a list: paths for `read`,
 *   `write` and `ffi` (relative ones resolve against the plan's base directory), `host` or
 *   `host:port` for `net`, exact names for `env`, `run` and `sys`. An empty list is `false`.
 * - Grants only narrow. Each level is a ceiling for the next: what this process was started with
 *   (asked with `Deno.permissions.querySync`) ⊇ the operator ceiling (`--max-permissions`; none
 *   when absent) ⊇ the recipe's block (none when absent) ⊇ the step's block. A recipe or step
 *   block asking for anything above one of its ceilings is refused at validation, naming the
 *   entry and the first ceiling (innermost first) that refuses it.
 * - A step with its own block is granted exactly that block.
 * - A step without a block gets `defaultGrant` narrowed (never refused) to every ceiling: read
 *   access to the base directory and nothing else. No write: a step runs before any run
 *   directory exists, so there is no place it could safely write by default; a step that writes
 *   says where. No net, env, run, ffi or sys: reaching the network or the host is a decision a
 *   recipe makes visibly. Narrowing a list keeps what lies inside both lists, so the recipe
 *   ceiling `read: [data]` turns the default into `read: ["<baseDir>/data"]`.
 * - Subsets: a path is within a ceiling path when equal to it or below it, both resolved and
 *   normalised first (`data/../../etc` is `/etc`; symlinks are not followed, as in Deno's own
 *   checks). The host ceiling `example.com` allows `example.com` and `example.com:443`;
 *   `example.com:443` allows only itself. Names match exactly.
 * - Every grant sets each kind explicitly (no "inherit") and `import: false`.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { type Issue, issueAt, UsageError } from "./errors.ts";
// Type-only: recipe.ts imports this module's schema at load time.
import type { Recipe } from "./recipe.ts";
import { memo } from "./memo.ts";

/** One permission kind. */
export type PermissionKind = "read" | "write" | "net" | "env" | "run" | "ffi" | "sys";

/** The permission kinds orch grants, in a fixed order. */
export const PERMISSION_KINDS: readonly PermissionKind[] = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
];

/** A `permissions:` block as written: each kind true (all), false (none) or a list. */
export type PermissionSpec = { [K in PermissionKind]?: boolean | string[] };

type _PermissionSchema = z.ZodUnion<readonly [z.ZodBoolean, z.ZodArray<z.ZodString>]>;
const Permission: _PermissionSchema = z.union([z.boolean(), z.array(z.string())], {
  error: "expected true, false or a list of strings",
});

/** zod schema of a `permissions:` block (recipe level or step level). */
export const PermissionsSchema: z.ZodObject<
  { [K in PermissionKind]: z.ZodOptional<_PermissionSchema> },
  z.core.$strict
> = z.strictObject({
  read: Permission.optional(),
  write: Permission.optional(),
  net: Permission.optional(),
  env: Permission.optional(),
  run: Permission.optional(),
  ffi: Permission.optional(),
  sys: Permission.optional(),
});

/** The grant of a step that declares nothing, before narrowing: read the base directory. */
export const defaultGrant = (baseDir: string): PermissionSpec => ({ read: [baseDir] });

const PATH_KINDS: ReadonlySet<PermissionKind> = new Set(["read", "write", "ffi"]);
/** `Deno.SysPermissionDescriptor["kind"]` in Deno 2.9. */
const SYS_KINDS = ("loadavg hostname systemMemoryInfo networkInterfaces osRelease osUptime uid " +
  "gid username cpus homedir statfs getPriority setPriority ca umask").split(" ");
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[^\s/:@[\]]+)(?::(\d{1,5}))?$/;

/** Asks whether this process holds a permission; `Deno.permissions.querySync` by default. */
export type PermissionQuery = (desc: Deno.PermissionDescriptor) => Deno.PermissionStatus;

/** Options of `computeGrant` and `checkGrants`. */
export interface GrantOptions {
  /** Directory relative paths resolve against (the plan's base directory). */
  baseDir: string;
  /** The operator ceiling; relative paths resolve against `baseDir`. @default no limit */
  maxPermissions?: PermissionSpec;
  /** What this process holds. @default Deno.permissions.querySync */
  query?: PermissionQuery;
}

/** One entry of a block that cannot be granted; `index` is absent for `true` and for kinds. */
export interface GrantProblem {
  /** The kind the entry is listed under. */
  kind: PermissionKind;
  /** The entry's position in its list. */
  index?: number;
  /** What is refused, by which ceiling, and the fix (without who asked). */
  message: string;
}

/** A computed grant and what was refused on the way. */
export interface GrantResult {
  /** Every kind set explicitly, plus `import: false`. */
  grant: Deno.PermissionOptionsObject;
  /** Entries above a ceiling, or malformed; empty when the block is granted as asked. */
  problems: GrantProblem[];
}

/**
 * Computes one grant. With `ask`, checks it against the ceilings (`recipe`, then the operator's,
 * then this process's) and grants it as asked; without, narrows `defaultGrant` to them.
 */
export function computeGrant(
  ask: PermissionSpec | undefined,
  options: GrantOptions & { recipe?: PermissionSpec },
): GrantResult {
  const { baseDir } = options;
  const ceilings: _Ceiling[] = [
    ...(options.recipe ? [_specCeiling("the recipe ceiling", options.recipe, baseDir)] : []),
    ...(options.maxPermissions
      ? [_specCeiling("the operator ceiling --max-permissions", options.maxPermissions, baseDir)]
      : []),
    _processCeiling(options.query ?? ((d) => Deno.permissions.querySync(d))),
  ];
  const problems: GrantProblem[] = [];
  const grant: Deno.PermissionOptionsObject = { import: false };
  for (const kind of PERMISSION_KINDS) {
    if (ask === undefined) {
      const value = ceilings.reduce(
        (v, c) => c.narrow(kind, v),
        _normalise(kind, defaultGrant(baseDir)[kind], baseDir),
      );
      _set(grant, kind, value);
      continue;
    }
    const value = _normalise(kind, ask[kind], baseDir);
    problems.push(..._refusals(kind, ask[kind], value, ceilings));
    _set(grant, kind, value);
  }
  return { grant, problems };
}

/**
 * Computes every step's grant (`grants[i]` for `recipe.steps[i]`) and the issues of the recipe's
 * and steps' blocks, with file:line:col and field paths.
 */
export function checkGrants(
  recipe: Recipe,
  options: GrantOptions,
): { grants: Deno.PermissionOptionsObject[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const report = (at: (string | number)[], who: string, step?: string) => (p: GrantProblem) => {
    const path = [...at, "permissions", p.kind, ...(p.index === undefined ? [] : [p.index])];
    issues.push(issueAt(recipe, path, `${who} ${p.message}`, step));
  };
  // What this process holds does not change while a recipe is checked: ask once per descriptor
  // (an op call each; 100k steps made 600k of them).
  const ask = options.query ?? ((d) => Deno.permissions.querySync(d));
  const held = new Map<string, Deno.PermissionStatus>();
  const query: PermissionQuery = (d) => memo(held, JSON.stringify(d), () => ask(d));
  if (recipe.permissions) {
    computeGrant(recipe.permissions, { ...options, query }).problems.forEach(
      report([], "the recipe"),
    );
  }
  // Steps with the same block get the same grant (generated recipes repeat one block).
  const computed = new Map<string, GrantResult>();
  const grants = recipe.steps.map((step) => {
    const { grant, problems } = memo(
      computed,
      JSON.stringify(step.permissions ?? null),
      () => computeGrant(step.permissions, { ...options, query, recipe: recipe.permissions }),
    );
    problems.forEach(report(["steps", step.index], `step "${step.name}"`, step.name));
    return grant;
  });
  return { grants, issues };
}

/** Parses `--max-permissions JSON`; relative paths resolve against `cwd`. Throws UsageError. */
export function parseMaxPermissions(text: string, cwd: string): PermissionSpec {
  const example = `--max-permissions '{"read":true,"write":["/tmp"]}'`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--max-permissions is not valid JSON: ${(err as Error).message}`, example);
  }
  const parsed = PermissionsSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) =>
      i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message
    );
    throw new UsageError(
      `--max-permissions is not a permissions block: ${why.join("; ")}`,
      `use the kinds ${PERMISSION_KINDS.join(", ")}, each true, false or a list: ${example}`,
    );
  }
  const spec: PermissionSpec = { ...parsed.data };
  for (const kind of PERMISSION_KINDS) {
    const v = spec[kind];
    if (!Array.isArray(v)) continue;
    const bad = v.map((item) => _malformed(kind, item)).find(Boolean);
    if (bad) throw new UsageError(`--max-permissions ${bad}`, example);
    if (PATH_KINDS.has(kind)) spec[kind] = v.map((p) => resolve(cwd, p));
  }
  return spec;
}

/** One level of the chain: whether it allows an entry, and how it narrows a default. */
interface _Ceiling {
  allows(kind: PermissionKind, item: string | true): boolean;
  narrow(kind: PermissionKind, value: boolean | string[]): boolean | string[];
  /** Why an entry is refused and how to fix it, e.g. `is above the recipe ceiling (...)`. */
  refusal(kind: PermissionKind, item: string | true, access: string): string;
}

function _specCeiling(name: string, spec: PermissionSpec, baseDir: string): _Ceiling {
  const own = (kind: PermissionKind) => _normalise(kind, spec[kind], baseDir);
  const allows = (kind: PermissionKind, item: string | true) => {
    const c = own(kind);
    return c === true ||
      (item !== true && Array.isArray(c) && c.some((x) => _within(kind, item, x)));
  };
  const widen = (kind: PermissionKind) =>
    name.includes("recipe")
      ? `widen the recipe's permissions.${kind}`
      : "run with a wider --max-permissions";
  return {
    allows,
    narrow(kind, value) {
      const c = own(kind);
      if (value === false || c === true) return value;
      if (value === true || c === false) return c;
      const inside = value.filter((v) => c.some((x) => _within(kind, v, x)));
      const deeper = c.filter((x) => value.some((v) => _within(kind, x, v)));
      return [...new Set([...inside, ...deeper])];
    },
    refusal: (kind, _item, access) =>
      `asks for ${access}, above ${name} (${kind}: ${JSON.stringify(own(kind))}); remove it or ${
        widen(kind)
      }`,
  };
}

function _processCeiling(query: PermissionQuery): _Ceiling {
  const allows = (kind: PermissionKind, item: string | true) => {
    try {
      return query(_descriptor(kind, item)).state === "granted";
    } catch { // a descriptor Deno cannot read is not a permission this process holds
      return false;
    }
  };
  return {
    allows,
    narrow: (kind, value) =>
      value === true
        ? allows(kind, true)
        : value === false
        ? false
        : value.filter((v) => allows(kind, v)),
    refusal: (kind, item, access) =>
      `asks for ${access}, which this orch process was not started with; ` +
      `remove it or start orch with --allow-${kind}${item === true ? "" : `=${item}`}`,
  };
}

function _refusals(
  kind: PermissionKind,
  raw: boolean | string[] | undefined,
  value: boolean | string[],
  ceilings: _Ceiling[],
): GrantProblem[] {
  if (value === false) return [];
  if (value === true) {
    const by = ceilings.find((c) => !c.allows(kind, true));
    const access = `unrestricted ${kind} access`;
    return by ? [{ kind, message: by.refusal(kind, true, access) }] : [];
  }
  return value.flatMap((item, index) => {
    const bad = _malformed(kind, item);
    if (bad) return [{ kind, index, message: bad }];
    const by = ceilings.find((c) => !c.allows(kind, item));
    const written = Array.isArray(raw) ? raw[index] : item;
    // show what was written, and what it resolved to when that differs
    const access = `${kind} access to "${written}"${written === item ? "" : ` (${item})`}`;
    return by ? [{ kind, index, message: by.refusal(kind, item, access) }] : [];
  });
}

/** Why an entry is not a valid `kind` entry, or undefined when it is. */
function _malformed(kind: PermissionKind, item: string): string | undefined {
  if (item === "") return `lists an empty ${kind} entry; remove it`;
  if (kind === "net" && !_host(item)) {
    return `lists "${item}" under net, which is not a host or host:port (IPv6 in brackets, ` +
      `no scheme or path); write it like "example.com" or "example.com:443"`;
  }
  if (kind === "sys" && !SYS_KINDS.includes(item)) {
    return `lists unknown sys kind "${item}"; use one of ${SYS_KINDS.join(", ")}`;
  }
  return undefined;
}

/** A kind's value with paths resolved and normalised; omitted is false. */
function _normalise(
  kind: PermissionKind,
  value: boolean | string[] | undefined,
  baseDir: string,
): boolean | string[] {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return false;
  if (value === true || value === false) return value;
  if (PATH_KINDS.has(kind)) return value.map((p) => p === "" ? p : resolve(baseDir, p));
  return kind === "net" ? value.map((h) => h.toLowerCase()) : value;
}

/** Whether entry `item` lies within ceiling entry `ceiling` (both normalised). */
function _within(kind: PermissionKind, item: string, ceiling: string): boolean {
  if (PATH_KINDS.has(kind)) {
    const rel = relative(ceiling, item);
    return rel === "" || !(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel));
  }
  if (kind === "net") {
    const [i, c] = [_host(item), _host(ceiling)];
    return !!i && !!c && i.host === c.host && (c.port === undefined || c.port === i.port);
  }
  return item === ceiling;
}

function _host(entry: string): { host: string; port?: number } | undefined {
  const m = HOST.exec(entry);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1].toLowerCase(), port };
}

function _descriptor(kind: PermissionKind, item: string | true): Deno.PermissionDescriptor {
  if (item === true) return { name: kind };
  switch (kind) {
    case "net":
      return { name: kind, host: item };
    case "env":
      return { name: kind, variable: item };
    case "run":
      return { name: kind, command: item };
    case "sys":
      return { name: kind, kind: item as Deno.SysPermissionDescriptor["kind"] };
    default:
      return { name: kind, path: item };
  }
}

function _set(grant: Deno.PermissionOptionsObject, kind: PermissionKind, v: boolean | string[]) {
  (grant as Record<string, unknown>)[kind] = Array.isArray(v) && v.length === 0 ? false : v;
}

/** `steps[2].permissions.write[0]`: these paths hold only plain names and indices. */
