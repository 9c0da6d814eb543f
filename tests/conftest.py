import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# nbgrader runs `alembic` and jupyter from PATH: put this venv's bin first.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("MPLBACKEND", "agg")
# pytest-xdist runs two workers on two cores, each with kernels of its own:
# one thread per kernel avoids oversubscription (PyTorch slows down 10x+ when
# its threads fight for cores).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
