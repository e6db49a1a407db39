#!/bin/sh
# The FundusLab GPU check (README.txt beside this file): runs run.mjs with Node.js 20 or newer, from PATH or $NODE.
NODE="${NODE:-node}"
if ! command -v "$NODE" >/dev/null 2>&1; then
  echo "run.sh: Node.js 20 or newer is needed (https://nodejs.org); put it on PATH or set NODE=/path/to/node" >&2
  exit 2
fi
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ] 2>/dev/null; then
  echo "run.sh: Node.js $("$NODE" --version) is too old: 20 or newer is needed" >&2
  exit 2
fi
exec "$NODE" "$(dirname "$0")/run.mjs" "$@"
