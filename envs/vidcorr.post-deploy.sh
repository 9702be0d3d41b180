#!/usr/bin/env bash
# Run by Snakemake after it creates the conda env: ptlflow without its opencv-python pin.
set -euo pipefail
pip install --no-deps -r "$(dirname "$0")/ptlflow.txt"
