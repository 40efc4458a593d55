"""Whole-PubMed scale: sharded, resumable, idempotent import + extraction on Dask, merged in input order.

``miner scale PATH... --work-dir DIR`` cuts its inputs (PubMed baseline/update files and anything ``corpus
import`` reads) into shards, one per file or ``--shard-records N`` records of one, and runs the import and the
extraction of each shard as one Dask task into its own shard store under ``DIR/shards`` (the corpus store schema
plus three ``scale_*`` tables), written under a temporary name and renamed when complete.  ``DIR/manifest.json``
records each shard's input (path, size, SHA-1), record range and count, pipeline and rule versions and status.
Finished inputs are merged into the main store (``--db``) in input order, replaying each shard's records so that
revisions and ``DeleteCitation`` resolve as a sequential import would; findings are stored once per document.

Modules: :mod:`.inputs` (files, hashes, records), :mod:`.manifest` (work directory), :mod:`.worker` (Dask tasks),
:mod:`.merge` (into the main store), :mod:`.cluster` (LocalCluster or a scheduler address), :mod:`.runner` (the
driver), :mod:`.parallel` (``miner extract --workers N`` over the same workers).
"""

from miner.scale.runner import ScaleOptions, ScaleReport, build_plan, run_scale

__all__ = ["ScaleOptions", "ScaleReport", "build_plan", "run_scale"]
