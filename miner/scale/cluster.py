"""Connecting to Dask: a LocalCluster on this machine by default, or an existing scheduler by address.

miner runs on an existing distributed engine instead of a home-made one: anything that gives a
``dask.distributed`` scheduler address works (``dask scheduler`` + ``dask worker`` by hand, dask-jobqueue on
SLURM/PBS/SGE, dask-kubernetes).  Workers must be single-threaded (the spaCy pipeline is not shared between
threads, and one process per core is what the throughput figures assume) and have miner installed.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from miner.errors import MinerError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

#: Seconds to wait for a scheduler given by address (and for its first worker).
CONNECT_TIMEOUT = 10.0


def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def _distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover (a dependency of miner)
        raise MinerError("miner scale needs dask.distributed (`pip install -e .` installs it)") from exc
    return distributed


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None,
            timeout: float = CONNECT_TIMEOUT) -> Iterator["Client"]:
    """A Dask client: to ``scheduler`` if given, else to a new LocalCluster of ``workers`` single-threaded processes.

    An unreachable or malformed scheduler address, or a scheduler without workers, is a :class:`MinerError`
    with what to do about it.  The LocalCluster (if any) is shut down on exit.
    """
    distributed = _distributed()
    cluster = None
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise MinerError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc.__class__.__name__}: {exc}); start one "
                "(`dask scheduler`, or dask-jobqueue, see README) or leave out --scheduler to run local workers"
            ) from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError) as exc:
            client.close()
            raise MinerError(f"the Dask scheduler at {scheduler} has no workers (waited {timeout:.0f} s): start "
                             "some with `dask worker " + scheduler + " --nthreads 1`") from exc
    else:
        n = workers or default_workers()
        try:
            cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        except OSError as exc:  # pragma: no cover (no ports, no processes)
            raise MinerError(f"cannot start a local Dask cluster of {n} workers: {exc}") from exc
        client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
