#!/usr/bin/env bash
# The floor lane: the whole course on the oldest PyTorch it claims to support.
#
#   bash scripts/floor_lane.sh                 # or: make test-floor
#   bash scripts/floor_lane.sh --print-pins    # only print the pins it would install, e.g.
#                                              #   torch==2.4.1 torchvision==0.19.1
#
# The floor is read from one place: the `torch>=X.Y.Z` dependency in pyproject.toml. The lane installs
# exactly that torch and its torchvision (0.(Y+15).Z, which must also be pyproject's torchvision floor)
# from the package index, plus the course (editable) with its [dev] extras -- not the website's -- into
# $VENV, then runs the unit tests (course_lib and tests/, without tests/test_site.py) and every notebook
# in fast mode with COURSE_DATA_DIR=data/floor-run. What needs a newer torch is skipped there with a
# reason printed by course_lib.device.supports (pytest -rs lists them). A venv installed for the same
# pins and the same pyproject.toml is reused. Exit status: 0 only when both runs pass.
#
# Environment knobs:
#   PYTHON=python3.11   interpreter for the venv (the floor torch must have wheels for it: torch 2.4
#                       has wheels for Python 3.8-3.12)
#   VENV=.venv-floor    where the venv lives (git-ignored by the .venv-* pattern)
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
#                       optional: take torch/torchvision from PyTorch's CPU index, a much smaller
#                       download than PyPI's CUDA build (about 2.5 GB with its nvidia-* packages)
#   FLOOR_DATA=data/floor-run   the notebooks' and tests' data folder (models, caches, results)
#   FLOOR_STEPS="install tests" what to do: .ci/run installs the venv ("install") while the main lane
#                       runs, then runs the tests ("tests") beside the fakegpu lane
#   FLOOR_WORKERS=2     pytest-xdist workers for the unit tests (0: in one process; .ci/run uses 0 and
#                       OMP_NUM_THREADS=1 when the lane shares the machine with another)
# Extra arguments go to both pytest runs (e.g. -x).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# -- The pins, from pyproject.toml ------------------------------------------------------------------------
floor=$(sed -nE 's/^ *"torch *>= *([0-9]+\.[0-9]+(\.[0-9]+)?)",?$/\1/p' pyproject.toml | head -n 1)
if [[ -z "$floor" ]]; then
    echo "floor_lane: no \"torch>=X.Y.Z\" dependency in pyproject.toml" >&2
    exit 2
fi
IFS=. read -r major minor patch <<<"$floor"
patch=${patch:-0}
TORCH_PIN="torch==$major.$minor.$patch"
VISION_PIN="torchvision==0.$((minor + 15)).$patch"
declared_vision=$(sed -nE 's/^ *"torchvision *>= *([0-9.]+)",?$/\1/p' pyproject.toml | head -n 1)
if [[ "$declared_vision" != "${VISION_PIN#torchvision==}" ]]; then
    echo "floor_lane: pyproject.toml declares torchvision>=$declared_vision, but torch $floor pairs with" \
         "${VISION_PIN#torchvision==}: make the two floors agree" >&2
    exit 2
fi
if [[ "${1:-}" == "--print-pins" ]]; then
    echo "$TORCH_PIN $VISION_PIN"
    exit 0
fi

STEPS="${FLOOR_STEPS:-install tests}"
for step in $STEPS; do
    case "$step" in install|tests) ;; *) echo "floor_lane: FLOOR_STEPS: unknown step '$step' (install, tests)" >&2; exit 2 ;; esac
done

# -- The venv ------------------------------------------------------------------------------------------
VENV="${VENV:-.venv-floor}"
source scripts/pick_python.sh
started=$SECONDS
stamp="$VENV/.floor-installed"
want="$TORCH_PIN $VISION_PIN ${TORCH_INDEX_URL:-pypi} $(cksum < pyproject.toml)"
if [[ " $STEPS " != *" install "* ]]; then
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        echo "floor_lane: $VENV is not installed for $TORCH_PIN and this pyproject.toml: run FLOOR_STEPS=install first" >&2
        exit 2
    fi
elif [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "==> reusing $VENV ($TORCH_PIN $VISION_PIN, installed for this pyproject.toml)"
else
    if [[ ! -x "$VENV/bin/python" ]]; then
        echo "==> creating $VENV with $PYTHON"
        "$PYTHON" -m venv "$VENV"
    fi
    PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
    INDEX_ARGS=()
    if [[ -n "${TORCH_INDEX_URL:-}" ]]; then
        INDEX_ARGS=(--extra-index-url "$TORCH_INDEX_URL")
    fi
    # The pip that `python -m venv` brings can be old enough to crash on a big resolution: update it.
    "${PIP[@]}" install --quiet --upgrade pip
    echo "==> installing $TORCH_PIN $VISION_PIN and the course with [dev]"
    # One resolution: the pins hold torch and torchvision at the floor while pip picks the rest.
    "${PIP[@]}" install --quiet "${INDEX_ARGS[@]}" "$TORCH_PIN" "$VISION_PIN" -e ".[dev]"
    bash scripts/install_data_carriers.sh "$VENV/bin/python"  # the tweets' carrier, without nltk
    echo "$want" > "$stamp"
fi
"$VENV/bin/python" - "$TORCH_PIN" <<'EOF'
import sys
import torch, torchvision
want = sys.argv[1].split("==")[1]
print(f"==> torch {torch.__version__}, torchvision {torchvision.__version__}")
if torch.__version__.split("+")[0] != want:
    sys.exit(f"floor_lane: the venv has torch {torch.__version__}, not {want}")
EOF
install_s=$((SECONDS - started))
if [[ " $STEPS " != *" tests "* ]]; then
    echo "==> floor lane: $TORCH_PIN $VISION_PIN installed in $VENV in ${install_s}s"
    exit 0
fi

# -- The tests ----------------------------------------------------------------------------------------------
DATA="${FLOOR_DATA:-data/floor-run}"
[[ "$DATA" == /* ]] || DATA="$(pwd)/$DATA"  # absolute: the notebooks run in notebooks/
mkdir -p "$DATA"
export COURSE_DATA_DIR="$DATA" COURSE_FAST=1
started=$SECONDS
WORKERS="${FLOOR_WORKERS:-2}"
echo "==> unit tests (course_lib, tests/ without test_site.py) on $TORCH_PIN, $WORKERS xdist workers"
unit_status=0
"$VENV/bin/python" -m pytest -n "$WORKERS" course_lib tests --ignore=tests/test_site.py "$@" || unit_status=$?
unit_s=$((SECONDS - started))
started=$SECONDS
echo "==> every notebook, fast mode, COURSE_DATA_DIR=$DATA"
nb_status=0
"$VENV/bin/python" -m pytest notebooks "$@" || nb_status=$?
nb_s=$((SECONDS - started))

result() { if [[ "$1" == 0 ]]; then echo passed; else echo "FAILED (pytest exit $1)"; fi; }
echo "==> floor lane, $TORCH_PIN $VISION_PIN: unit tests $(result $unit_status) in ${unit_s}s;" \
     "notebooks $(result $nb_status) in ${nb_s}s; install ${install_s}s"
[[ $unit_status == 0 && $nb_status == 0 ]]
