#!/bin/sh
# Built-in shell step: drops comments and blank lines from a numbers file, trims each line, and
# hands the lines to the context as numbers.clean_v1 (a list of strings) in its JSON envelope.
# Usage: sanitize_csv.sh FILE    (orch passes args as argv entries; nothing is shell-parsed)
set -eu
src=${1:?usage: sanitize_csv.sh FILE}
if [ ! -r "$src" ]; then
  printf '{"status":"error","reason":"cannot read %s","exit_code":1,"step":"%s"}\n' "$src" "${ORCH_STEP:-sanitize_csv}"
  exit 1
fi
echo "sanitize_csv: reading $src" >&2
items=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$src" | grep -v -e '^#' -e '^$' |
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&"/' | paste -sd, -)
printf '{"status":"ok","outputs":["numbers.clean_v1"],"ctx":{"numbers.clean_v1":[%s]}}\n' "$items"
