"""orch's Python bridge: runs scriptlets of the original Python framework, unchanged, for orch.

orch starts one bridge per run and working directory (`python3 -B -c <this file> <cwd>`) and
sends it one request at a time. Protocol: JSON lines. Requests arrive on the bridge's stdin;
messages leave on the stdout orch gave it, which only the bridge writes to:

  <- {"t": "ready", "pid": N, "python": "3.11.7"}
  -> {"id": 1, "step": "...", "module": "...", "function": "...", "params": {...},
      "snapshot": {...}, "python_path": ["..."]}
  <- {"t": "out", "s": "stdout" | "stderr", "l": "one line the scriptlet printed"}   (0..n)
  <- {"t": "done", "id": 1, "rc": 0, "writes": [{"key", "value", "who"}], "refused": null,
      "error": null | {"kind": "import" | "class" | "init" | "raised" | "rc", "message": "..."}}

The scriptlet's sys.stdout and sys.stderr are replaced by line writers that send "out" messages;
file descriptor 1 is pointed at stderr, so a child process printing cannot corrupt the protocol.
Judging the printed envelope, the return code and the writes is orch's job, not the bridge's.
When the user's tree lacks the framework's core modules (orchestrator.context and
orchestrator.scriptlets.python.core.*), small stand-ins are provided so their imports succeed.
"""

import datetime
import importlib
import importlib.abc
import importlib.util
import io
import json
import math
import os
import re
import sys
import threading
import traceback

_KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_MAX_DEPTH = 1000


def _unsafe(value, path, depth=0):
    """Why `value` is not JSON-safe (naming the path inside it), or None when it is."""
    if depth > _MAX_DEPTH:
        return f"{path} is nested more than {_MAX_DEPTH} levels deep"
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return f"{path} is {value!r}, a float with no JSON form; store null or a string instead"
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            why = _unsafe(item, f"{path}[{i}]", depth + 1)
            if why:
                return why
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return f"{path} has a key {k!r} of type {type(k).__name__}; JSON keys are strings"
            why = _unsafe(item, f"{path}.{k}", depth + 1)
            if why:
                return why
        return None
    return f"{path} is {_type_name(value)}, which is not JSON-safe; {_hint(value)}"


def _type_name(value):
    t = type(value)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return f"a {name}"


def _hint(value):
    if isinstance(value, (datetime.date, datetime.time)):
        return "store an ISO string instead (value.isoformat())"
    if isinstance(value, (set, frozenset)):
        return "store a sorted list instead"
    if isinstance(value, bytes):
        return "store text or base64 instead"
    return "convert it to primitives, lists and dicts first"


class BridgeContext:
    """The ctx a scriptlet gets: the attempt's snapshot plus its own writes, which orch commits."""

    def __init__(self, snapshot, who):
        self._base = snapshot
        self._own = {}
        self._writes = []
        self._history = []
        self._who = who
        self.refused = None

    def set(self, key, value, who=None):
        """Records a write; raises ValueError for a bad key, TypeError for a non-JSON-safe value."""
        if not isinstance(key, str) or not _KEY_RE.match(key):
            self._refuse(ValueError(
                f"context key {key!r} is invalid: keys are dotted strings with at least two "
                f"segments of [a-z0-9_], such as \"numbers.stats_v1\""))
        why = _unsafe(value, key)
        if why:
            self._refuse(TypeError(f"ctx.set(\"{key}\") refused: {why}"))
        if who is None:
            who = self._who
        if not isinstance(who, str):
            self._refuse(TypeError(f"ctx.set(\"{key}\"): who must be a string, got {_type_name(who)}"))
        copy = json.loads(json.dumps(value))
        self._own[key] = copy
        self._writes.append({"key": key, "value": copy, "who": who})
        at = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        self._history.append({"key": key, "who": who, "op": "set", "at": at})

    def _refuse(self, err):
        if self.refused is None:
            self.refused = str(err)
        raise err

    def get(self, key, default=None):
        """A copy of the value under `key` (this attempt's own write first), or `default`."""
        if key in self._own:
            return json.loads(json.dumps(self._own[key]))
        if key in self._base:
            return json.loads(json.dumps(self._base[key]))
        return default

    def to_dict(self):
        """A copy of every key: the snapshot with this attempt's writes over it."""
        return json.loads(json.dumps({**self._base, **self._own}))

    def keys(self):
        return list({**self._base, **self._own}.keys())

    def __contains__(self, key):
        return key in self._own or key in self._base

    def history(self):
        """The writes this attempt made, oldest first."""
        return [dict(h) for h in self._history]

    get_history = history


# --- stand-ins for the framework's core modules, used only when the user's tree lacks them ---

_FALLBACK = {
    "orchestrator": "",
    "orchestrator.scriptlets": "",
    "orchestrator.scriptlets.python": "",
    "orchestrator.scriptlets.python.core": "",
    "orchestrator.context": '''
"""Stand-in for the framework's Context, provided by orch's bridge."""
import datetime, json
from orch_bridge import _unsafe

class Context:
    def __init__(self):
        self._data = {}
        self._history = []

    def set(self, key, value, who="unknown"):
        why = _unsafe(value, key)
        if why:
            raise TypeError(f"ctx.set(\\"{key}\\") refused: {why}")
        self._data[key] = json.loads(json.dumps(value))
        at = datetime.datetime.now(datetime.timezone.utc).isoformat()
        self._history.append({"key": key, "who": who, "op": "set", "at": at})

    def get(self, key, default=None):
        return json.loads(json.dumps(self._data[key])) if key in self._data else default

    def to_dict(self):
        return json.loads(json.dumps(self._data))

    def history(self):
        return [dict(h) for h in self._history]

    get_history = history
''',
    "orchestrator.scriptlets.python.core.base": '''
"""Stand-in for the framework's BaseScriptlet, provided by orch's bridge."""
class BaseScriptlet:
    def validate(self, ctx, params):
        pass

    def run(self, ctx, params):
        raise NotImplementedError(f"{type(self).__name__}.run is not implemented")
''',
    "orchestrator.scriptlets.python.core.logging_util": '''
"""Stand-in for the framework's logger factory, provided by orch's bridge."""
import logging, sys

def get_logger(name):
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger
''',
    "orchestrator.scriptlets.python.core.resource": '''
"""Stand-in for the framework's @track_resources, provided by orch's bridge."""
import functools, sys, time

def track_resources(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            print(f"[resource] duration_sec={time.time() - start:.4f}", file=sys.stderr)
    return wrapper
''',
}


class _FallbackFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: answers only for framework modules no other finder found."""

    def find_spec(self, name, path=None, target=None):
        if name not in _FALLBACK:
            return None
        is_package = _FALLBACK[name] == ""
        spec = importlib.util.spec_from_loader(name, self, is_package=is_package)
        if is_package:
            spec.submodule_search_locations = []
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = f"<orch bridge stand-in for {module.__name__}>"
        exec(compile(_FALLBACK[module.__name__], module.__file__, "exec"), module.__dict__)


# --- output capture ---


class _Channel:
    """The protocol stream to orch; one message per line, safe across threads."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message):
        line = json.dumps(message, ensure_ascii=True, allow_nan=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class _LineWriter(io.TextIOBase):
    """sys.stdout/sys.stderr for scriptlets: sends each complete line to orch."""

    def __init__(self, channel, name, fd):
        self._channel = channel
        self._name = name
        self._fd = fd
        self._partial = ""
        self._lock = threading.Lock()

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        for line in lines:
            self._channel.send({"t": "out", "s": self._name, "l": line})
        return len(text)

    def drain(self):
        """Sends a last line that has no newline yet."""
        with self._lock:
            rest, self._partial = self._partial, ""
        if rest:
            self._channel.send({"t": "out", "s": self._name, "l": rest})


# --- serving requests ---


def _short_traceback(err):
    """The traceback without the leading frames of the bridge and the import machinery."""
    ours = (_run.__code__.co_filename, importlib.__file__)
    tb = err.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename in ours or
                              tb.tb_frame.f_code.co_filename.startswith("<frozen importlib")):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(err), err, tb))


def _describe(err):
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _run(request):
    ctx = BridgeContext(request.get("snapshot") or {}, request["step"])

    def done(rc=None, error=None):
        return {"t": "done", "id": request["id"], "rc": rc, "writes": ctx._writes,
                "refused": ctx.refused, "error": error}

    for entry in request.get("python_path") or []:
        if entry not in sys.path:
            sys.path.insert(1, entry)
    module_name, class_name = request["module"], request["function"]
    if module_name not in sys.modules:  # a module imported before is reused as is: no rescan
        importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except BaseException as err:  # SyntaxError, ImportError, anything its top level raised
        missing = isinstance(err, ModuleNotFoundError) and err.name and (
            module_name == err.name or module_name.startswith(err.name + "."))
        if not missing:  # the module exists but failed: its traceback says where
            sys.stderr.write(_short_traceback(err))
        return done(error={"kind": "import", "message": _describe(err)})
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        classes = sorted(n for n, v in vars(module).items()
                         if isinstance(v, type) and v.__module__ == module.__name__)
        found = "no such attribute" if cls is None else f"it is {_type_name(cls)}"
        message = f'module "{module_name}" has no class "{class_name}" ({found}); ' + (
            f"its classes: {', '.join(classes)}" if classes else "it defines no classes")
        return done(error={"kind": "class", "message": message})
    try:
        scriptlet = cls()
        rc = scriptlet.run(ctx, request.get("params"))
    except SystemExit as err:  # sys.exit(code) inside run: the code is the return code
        rc = err.code
    except BaseException as err:
        sys.stderr.write(_short_traceback(err))
        return done(error={"kind": "raised", "message": f"{class_name}.run() raised {_describe(err)}"})
    if rc is None:
        rc = 0
    if isinstance(rc, bool) or not isinstance(rc, int):
        message = f"{class_name}.run() returned {_type_name(rc)}; expected an int exit code or None"
        return done(error={"kind": "rc", "message": message})
    return done(rc=rc)


def main():
    cwd = sys.argv[1]
    try:
        os.setpgrp()  # orch stops the bridge and whatever it started as one process group
    except OSError:
        pass
    channel = _Channel(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    out = _LineWriter(channel, "stdout", 1)
    err = _LineWriter(channel, "stderr", 2)
    sys.stdout, sys.stderr = out, err
    sys.path[:] = [cwd] + [p for p in sys.path if p not in ("", cwd)]
    sys.argv = ["orch-bridge"]
    sys.modules["orch_bridge"] = sys.modules[__name__]
    sys.meta_path.append(_FallbackFinder())
    version = ".".join(str(n) for n in sys.version_info[:3])
    channel.send({"t": "ready", "pid": os.getpid(), "python": version})
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = _run(request)
        except BaseException as failure:  # a bug in the bridge itself: report, keep serving
            reply = {"t": "done", "id": request.get("id"), "rc": None, "writes": [],
                     "refused": None, "error": {"kind": "bridge", "message": _describe(failure)}}
        out.drain()
        err.drain()
        try:
            channel.send(reply)
        except ValueError as failure:  # a write that json could not encode after all
            channel.send({"t": "done", "id": request["id"], "rc": None, "writes": [],
                          "refused": f"a write could not be sent to orch: {failure}",
                          "error": None})


if __name__ == "__main__":
    main()
