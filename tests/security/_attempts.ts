/**
 * @module
 * The sandbox escape attempts of tests/security/escape_test.ts: what each step tries (the args of
 * tests/fixtures/security/steps/attempt.ts, or a module of its own) and the reason that must stop
 * it: at run time (a permission failure of the step), or at planning (`plan`: a validation error
 * naming the step; the run never starts). An attempt without `denied` is a known limit (README
 * "Safety and limits").
 */
import { basename } from "node:path";
import { REPO } from "../_helpers.ts";

/** Where the attempts' fixtures live. */
export const OUTSIDE = `${REPO}/tests/fixtures/security/outside`;

/** One attempt: the step's args (or its own module), and what must stop it. */
export interface Attempt {
  name: string;
  what: string;
  attempt?: string;
  target?: string;
  /** The fixture module and class, when not the parametrised Attempt step. */
  module?: [string, string];
  /** The reason must match this; absent: a known limit, the attempt gets through. */
  denied?: RegExp;
  /** Refused when the recipe is planned (exit 2), in a run of its own, rather than at run time. */
  plan?: boolean;
  /** A symlink to /etc/passwd the attempt's own working dir holds (a `plan` attempt). */
  link?: string;
}

const access = (kind: string, target: string) =>
  new RegExp(
    `^${kind} access to "${RegExp.escape(target)}" denied; grant it in the step's permissions`,
  );
const anyTarget = (kind: string) => new RegExp(`^${kind} access to "[^"]+" denied; grant it`);
const PASSWD = access("read", "/etc/passwd");
const deep = `data/${"../".repeat(12)}etc/passwd`;

/** Every attempt, aimed at files in `work` (the run's cwd) and `other` (a sibling dir). */
export function attempts(work: string, other: string): Attempt[] {
  const dotdot = `../${basename(other)}/secret.txt`;
  return [
    {
      name: "read_passwd",
      what: "read /etc/passwd",
      attempt: "read",
      target: "/etc/passwd",
      denied: PASSWD,
    },
    {
      name: "read_sync",
      what: "read /etc/passwd (sync)",
      attempt: "read_sync",
      target: "/etc/passwd",
      denied: PASSWD,
    },
    {
      name: "node_fs",
      what: "node:fs readFileSync /etc/passwd",
      attempt: "node_fs",
      target: "/etc/passwd",
      denied: PASSWD,
    },
    {
      name: "fetch_file",
      what: "fetch file:///etc/passwd",
      attempt: "fetch_file",
      target: "/etc/passwd",
      denied: PASSWD,
    },
    {
      name: "proc_environ",
      what: "read /proc/self/environ",
      attempt: "read",
      target: "/proc/self/environ",
      denied: /^(read|env) access( to "[^"]+")? denied/,
    },
    {
      name: "stat_outside",
      what: "stat a file outside the working dir",
      attempt: "stat",
      target: `${other}/secret.txt`,
      denied: access("read", `${other}/secret.txt`),
    },
    {
      name: "list_root",
      what: "list /",
      attempt: "read_dir",
      target: "/",
      denied: access("read", "/"),
    },
    {
      name: "read_dotdot",
      what: "read a sibling dir's file through ..",
      attempt: "read",
      target: dotdot,
      denied: access("read", dotdot),
    },
    {
      name: "read_data_dotdot",
      what: "read /etc/passwd as data/../../..",
      attempt: "read",
      target: deep,
      denied: access("read", deep),
    },
    {
      name: "read_symlink",
      what: "read a symlink in the working dir pointing to /etc/passwd",
      attempt: "read",
      target: "data/passwd_link",
      plan: true,
      link: "data/passwd_link",
      denied: new RegExp(
        `^step "read_symlink" is granted read access to "[^"]+", which holds the symlink ` +
          `"[^"]*/data/passwd_link" pointing to /etc/passwd, outside every path the step may read`,
      ),
    },
    {
      name: "make_symlink",
      what: "create a symlink to /etc/passwd",
      attempt: "symlink",
      target: `${work}/made_link`,
      denied:
        /^permission denied: Deno\.symlink\(\) requires unscoped --allow-read and --allow-write/,
    },
    {
      name: "write_outside",
      what: "write a file outside the working dir",
      attempt: "write",
      target: `${other}/written.txt`,
      denied: access("write", `${other}/written.txt`),
    },
    {
      name: "write_inside",
      what: "write a file in the working dir (no write grant)",
      attempt: "write",
      target: `${work}/written.txt`,
      denied: access("write", `${work}/written.txt`),
    },
    {
      name: "mkdir",
      what: "create a directory",
      attempt: "mkdir",
      target: `${work}/made_dir`,
      denied: access("write", `${work}/made_dir`),
    },
    {
      name: "remove",
      what: "delete a readable file",
      attempt: "remove",
      target: `${work}/data/kept.txt`,
      denied: access("write", `${work}/data/kept.txt`),
    },
    {
      name: "fetch_http",
      what: "fetch http://127.0.0.1:8080/",
      attempt: "fetch",
      target: "http://127.0.0.1:8080/",
      denied: access("net", "127.0.0.1:8080"),
    },
    {
      name: "connect",
      what: "open a TCP connection",
      attempt: "connect",
      target: "127.0.0.1",
      denied: access("net", "127.0.0.1:80"),
    },
    {
      name: "listen",
      what: "listen on a port",
      attempt: "listen",
      target: "0.0.0.0",
      denied: anyTarget("net"),
    },
    {
      name: "spawn",
      what: "spawn touch",
      attempt: "run",
      target: "touch",
      denied: access("run", "touch"),
    },
    {
      name: "env_get",
      what: "read $HOME",
      attempt: "env_get",
      target: "HOME",
      denied: access("env", "HOME"),
    },
    {
      name: "env_all",
      what: "read the whole environment",
      attempt: "env_all",
      target: "",
      denied: /^env access denied; grant it/,
    },
    {
      name: "env_set",
      what: "set an env var",
      attempt: "env_set",
      target: "ORCH_ESCAPED",
      denied: access("env", "ORCH_ESCAPED"),
    },
    {
      name: "sys",
      what: "read the hostname",
      attempt: "sys",
      target: "",
      denied: access("sys", "hostname"),
    },
    {
      name: "dlopen",
      what: "Deno.dlopen libc",
      attempt: "dlopen",
      target: "libc.so.6",
      denied: anyTarget("ffi"),
    },
    {
      name: "import_remote",
      what: "import() a remote URL",
      attempt: "import",
      target: "https://example.com/x.ts",
      denied: /^import access to "example\.com(:443)?" denied; steps cannot import remote modules$/,
    },
    {
      name: "import_outside",
      what: "import() a file outside the allowlist and the read grant",
      attempt: "import",
      target: `file://${OUTSIDE}/code.ts`,
      denied: access("read", `${OUTSIDE}/code.ts`),
    },
    {
      name: "import_cwd",
      what: "import() code in the working dir that reads /etc/passwd",
      attempt: "import",
      target: `file://${work}/imports_passwd.ts`,
      denied: PASSWD,
    },
    {
      name: "worker_wider",
      what: "new Worker with every permission",
      attempt: "worker",
      target: "all",
      denied: /^permission denied: a step cannot start a Worker with more permissions than its own/,
    },
    {
      name: "worker_inherit",
      what: "new Worker inheriting, reading /etc/passwd",
      attempt: "worker",
      target: "inherit",
      denied: PASSWD,
    },
    {
      name: "permissions_request",
      what: "Deno.permissions.request read, then read /etc/passwd",
      attempt: "request",
      target: "/etc/passwd",
      denied: PASSWD,
    },
    {
      name: "embed_json",
      what: "embed a JSON file outside the grant by a static import",
      module: ["embeds_json.ts", "EmbedsJson"],
      plan: true,
      denied: outsideImport("embed_json", "embeds_json.ts:6:20", "../outside/secret.json"),
    },
    {
      name: "import_literal",
      what: "import() code outside the allowlist with a literal specifier",
      module: ["imports_literal.ts", "ImportsLiteral"],
      plan: true,
      denied: outsideImport("import_literal", "imports_literal.ts:13:37", "../outside/code.ts"),
    },
    {
      name: "import_template",
      what: "import() code outside the allowlist with a template literal",
      module: ["imports_template.ts", "ImportsTemplate"],
      plan: true,
      denied: new RegExp(
        `^cannot load step "import_template": module "[^"]+" imports "\\.\\./outside/\\*\\.ts" at ` +
          `[^ ]*/imports_template\\.ts:13:37, which is a template literal with \\$\\{\\}`,
      ),
    },
    {
      name: "import_computed_static",
      what: "import() a cwd module (computed) whose static import embeds a file outside",
      attempt: "import",
      target: `file://${work}/embeds_outside.ts`,
      denied: access("read", `${OUTSIDE}/secret.json`),
    },
  ];
}

/** The planning refusal of a step module importing `spec` (at `at`) from outside the roots. */
function outsideImport(step: string, at: string, spec: string): RegExp {
  const [specRe, atRe, outsideRe] = [spec, at, OUTSIDE].map((s) => RegExp.escape(s));
  return new RegExp(
    `^cannot load step "${step}": module "[^"]+" imports "${specRe}" at [^ ]*/${atRe}, ` +
      `which resolves to ${outsideRe}/[^ ]+, outside the allowed module roots`,
  );
}
