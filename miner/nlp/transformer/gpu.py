"""``--gpu-id``: run spaCy (and the transformer inside it) on a CUDA GPU when there is one, else on the CPU.

spaCy/thinc use a GPU through CuPy (``pip install cupy-cuda12x`` beside a CUDA build of torch; the plain PyPI
``torch==2.13.0`` wheel is one, the ``+cpu`` wheel installed here is not). Without CuPy or without a visible GPU,
every ``--gpu-id`` is a no-op with a one-line note: nothing fails, everything runs on the CPU as before. -1 (or no
option) means the CPU.
"""

from __future__ import annotations

import sys


def gpu_available() -> bool:
    """Whether thinc sees a GPU it can use (CuPy with a CUDA device, or Apple's MPS)."""
    from thinc.util import gpu_is_available

    return bool(gpu_is_available())


def usable_gpu(gpu_id: int | None, quiet: bool = False) -> int:
    """``gpu_id`` if it asks for a GPU and one is usable, else -1 (with a note on stderr when a GPU was asked for)."""
    if gpu_id is None or gpu_id < 0:
        return -1
    if gpu_available():
        return gpu_id
    if not quiet:
        print(f"note: --gpu-id {gpu_id}: no usable CUDA GPU (thinc needs CuPy and a visible device); "
              "running on the CPU", file=sys.stderr)
    return -1


def use_gpu(gpu_id: int | None, quiet: bool = False) -> bool:
    """Make spaCy allocate on GPU ``gpu_id`` (``spacy.prefer_gpu``) before any pipeline is loaded; False (a no-op)
    on a machine without a usable GPU or for ``gpu_id`` None / -1."""
    gpu = usable_gpu(gpu_id, quiet=quiet)
    if gpu < 0:
        return False
    import spacy

    return bool(spacy.prefer_gpu(gpu))
