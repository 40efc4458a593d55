"""8-bit storage of model weights: symmetric linear quantization with one scale per row.

Algorithm: each weight matrix is read as rows along its last axis; a row ``w`` is stored as ``round(w / s)`` in int8
with ``s = max|w| / 127`` (symmetric per-channel quantization, Jacob et al. 2018, "Quantization and training of
neural networks for efficient integer-arithmetic-only inference"; here only for storage). Loading multiplies back
to float32, so inference runs at full precision and the only change is a rounding error of at most ``s / 2`` per
weight. Small arrays (biases, layer norms) stay float32: they are a negligible share of the bytes.

Why: the CHEMICAL/DISEASE ensemble (:mod:`miner.nlp.ensemble`) holds five recognizers of 23 MB each in float32,
which would not fit the 100 MB budget of ``models/``; stored this way each takes 5.8 MB.
"""

from __future__ import annotations

from typing import Any

import numpy

#: arrays with fewer elements than this are stored as they are
MIN_ELEMENTS = 4096
#: marker key of a quantized array in a serialized message
MARKER = "__int8_rows__"


def quantize(array: numpy.ndarray) -> dict[str, Any]:
    """An int8 copy of ``array`` with one float32 scale per row (rows along the last axis)."""
    arr = numpy.asarray(array, dtype="float32")
    rows = arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr.reshape(1, -1)
    peak = numpy.abs(rows).max(axis=1)
    scale = numpy.where(peak > 0, peak / 127.0, 1.0).astype("float32")
    q = numpy.clip(numpy.rint(rows / scale[:, None]), -127, 127).astype("int8")
    return {MARKER: True, "q": q, "scale": scale, "shape": list(arr.shape)}


def dequantize(stored: dict[str, Any]) -> numpy.ndarray:
    """The float32 array :func:`quantize` stored."""
    q = numpy.asarray(stored["q"], dtype="float32")
    scale = numpy.asarray(stored["scale"], dtype="float32")
    return (q * scale[:, None]).reshape(stored["shape"])


def is_quantized(value: Any) -> bool:
    return isinstance(value, dict) and value.get(MARKER) is True


def quantize_params(msg: dict) -> dict:
    """A copy of a thinc ``Model.to_dict()`` message whose large float arrays are quantized."""
    params = []
    for node_params in msg["params"]:
        params.append(
            {
                name: quantize(value)
                if isinstance(value, numpy.ndarray) and value.dtype.kind == "f" and value.size >= MIN_ELEMENTS
                else value
                for name, value in node_params.items()
            }
        )
    return {**msg, "params": params}


def dequantize_params(msg: dict) -> dict:
    """The inverse of :func:`quantize_params`: a message ``Model.from_dict`` accepts."""
    params = [
        {name: dequantize(value) if is_quantized(value) else value for name, value in node_params.items()}
        for node_params in msg["params"]
    ]
    return {**msg, "params": params}
