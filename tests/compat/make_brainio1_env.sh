#!/usr/bin/env bash
# Create (once) the throwaway virtual environment `.venv-brainio1/` at the repository root with
# BrainIO 1.1.0 from PyPI, used by the compatibility tests (tests/compat/) and the benchmark
# (bench/). Safe to run concurrently and repeatedly: a lock serialises creators, and the stamp
# file is written only after a successful install (an interrupted install is redone).
#
# BrainIO 1.1.0 pins xarray<2022.6, which needs numpy<2 and pandas<2: a plain
# `pip install brainscore-brainio==1.1.0` resolves numpy 2 and fails at `import brainio`.
#
# Usage: bash tests/compat/make_brainio1_env.sh
# Environment: PYTHON (default python3, must be >= 3.11), BRAINIO1_VENV (default .venv-brainio1)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${BRAINIO1_VENV:-$repo_root/.venv-brainio1}"
python="${PYTHON:-python3}"
stamp="$venv/.brainio1-installed"

[[ -f "$stamp" ]] && exit 0

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
[[ -f "$stamp" ]] && exit 0  # another process finished it while we waited

rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "brainscore-brainio==1.1.0" "numpy<2" "pandas<2" "xarray<2022.6" "netCDF4"
"$venv/bin/python" -c "import brainio, xarray, numpy, pandas, netCDF4; \
print('BrainIO 1.1.0 environment ready:', 'xarray', xarray.__version__, 'numpy', numpy.__version__, \
'pandas', pandas.__version__, 'netCDF4', netCDF4.__version__)"
touch "$stamp"
