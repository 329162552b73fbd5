"""Built-in python step in the original framework's style: reads numbers.clean_v1 (lines from
the shell sanitize step), parses each with float(), and writes numbers.values_v1."""
import json
import math
import sys

from orchestrator.scriptlets.python.core.base import BaseScriptlet


class LoadValues(BaseScriptlet):
    def validate(self, ctx, params):
        if ctx.get("numbers.clean_v1") is None:
            raise ValueError("numbers.clean_v1 is missing; run the sanitize_csv step first")

    def run(self, ctx, params):
        try:
            self.validate(ctx, params)
            values = []
            for i, line in enumerate(ctx.get("numbers.clean_v1"), start=1):
                value = float(line)
                if not math.isfinite(value):
                    raise ValueError(f"item {i}: {line!r} is not a finite number")
                values.append(value)
            ctx.set("numbers.values_v1", values, who="load_values")
            print(json.dumps({"status": "ok", "outputs": ["numbers.values_v1"]}))
            return 0
        except Exception as e:  # the envelope carries the reason; never a traceback on stdout
            print(json.dumps({"status": "error", "reason": str(e), "exit_code": 1,
                              "step": "load_values"}))
            return 1


if __name__ == "__main__":
    sys.exit(0)
