# orch — set-up and everyday commands. A fresh clone needs only Node.js and npm:
# when no deno 2.9.x is on PATH, the pinned npm package `deno` is installed into .tools/.

DENO_PIN   := 2.9.6
DENO_LOCAL := .tools/node_modules/deno/deno
DENO       := $(shell if deno --version 2>/dev/null | head -n1 | grep -q '^deno 2\.9\.'; then command -v deno; else echo $(DENO_LOCAL); fi)
RECIPE     ?= recipes/example_numbers.yaml

.PHONY: run test check fmt lint bench compile ok clean deno deno-path

## run: run the example recipe (prints one JSON line on stdout)
run: deno
	$(DENO) task -q orch run $(RECIPE)

## test: run the test suite
test: deno
	$(DENO) task -q test

check: deno
	$(DENO) task -q check

fmt: deno
	$(DENO) fmt

lint: deno
	$(DENO) lint

bench: deno
	$(DENO) task -q bench

## compile: build dist/orch, one executable with orch's permission set (-P=orch), embedding
## every step module, the step Worker script, recipes/ and data/; prints the embedded-file tree.
# deno compile downloads the `denort` runtime unless DENORT_BIN names a local one. DENORT_BIN is
# read from the environment and passed through untouched: `DENORT_BIN=/path/to/denort make
# compile` (or `make compile DENORT_BIN=...`). deno.json's "unstable" list (worker-options) is
# applied by compile itself; tests/compile_test.ts checks it in the binary's metadata.
compile: deno
	$(DENO) task -q compile

ok: deno
	$(DENO) task -q ok

clean:
	rm -rf dist .tools .coverage

# Installs the pinned deno into .tools/ unless a matching one is already on PATH.
deno:
	@if [ "$(DENO)" = "$(DENO_LOCAL)" ] && [ ! -x "$(DENO_LOCAL)" ]; then \
	  echo "make: installing deno $(DENO_PIN) from npm into .tools/" >&2; \
	  npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error deno@$(DENO_PIN) >&2; \
	fi
	@"$(DENO)" --version >/dev/null

# Prints the deno binary the other targets use (for .ci/run).
deno-path: deno
	@echo "$(DENO)"
