#!/usr/bin/env bash
# The GPU check, one script (issue 27): the CUDA parity tests (CPU against CUDA: encoder features, the
# key tiles' labels, one training step of each stage), then a paper-size step of each stage and 480p
# propagation, as one Markdown table (scripts/gpu_check.py). On a machine without CUDA it runs too,
# and says what it skipped. Results go to $OUT (the device tool's folder) when set, else to results/.
#   bash scripts/gpu_check.sh            (after `make install`; uses .venv when present)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
DEST=${OUT:-results/gpu_check}
mkdir -p "$DEST"
"$PY" -c 'import torch; print("CUDA:", torch.cuda.is_available() and torch.cuda.get_device_name(0) or "none (CUDA parts are skipped)")'
"$PY" -m pytest -q -m cuda tests/cuda -rs 2>&1 | tee "$DEST/cuda_tests.txt"
tests=${PIPESTATUS[0]}
# pytest exits 5 when every test was skipped or deselected (no CUDA): not a failure here
[[ $tests -eq 0 || $tests -eq 5 ]] || echo "gpu_check: the CUDA parity tests FAILED (exit $tests)" >&2
"$PY" scripts/gpu_check.py --out "$DEST/gpu_check.md" "$@"
table=$?
(( (tests == 0 || tests == 5) && table == 0 ))
