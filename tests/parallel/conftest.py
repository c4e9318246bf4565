"""Ray is started once for the whole session (it takes seconds) with two CPUs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def ray_session():
    import ray

    # Ray's workers do not inherit sys.path: let them import the test job functions, and the
    # rasplab the driver runs (a checkout on PYTHONPATH, not only the installed one)
    here = str(Path(__file__).parent)
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


@pytest.fixture(params=["local", "ray"])
def backend(request):
    """A factory `make(workers)` for each back end (inline has its own tests)."""
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    from rasplab.parallel.executor import make_executor
    from rasplab.parallel.local import LocalExecutor

    def make(workers: int = 2):
        if request.param == "ray":
            return make_executor(workers, ray="local")
        return LocalExecutor(workers)
    make.name = request.param
    return make
