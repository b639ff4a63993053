"""Datasets on disk: the registry, decoding, downloads, the synthetic set, splits and the cache.

Owns: :mod:`.registry` (which dataset a folder holds; the **tracks table**), one module per dataset
(:mod:`.gtzan`, :mod:`.fma`, :mod:`.folders`, :mod:`.synthetic`, on the common :mod:`.base`), :mod:`.audio`
(decoding any format to 22050 Hz mono), :mod:`.download` (resumable, checksummed), :mod:`.synth` (the
synthetic music), :mod:`.splits` (random, k-fold, fixed), :mod:`.cache` (content-keyed, atomic entries) and
:mod:`.tracks` (the tracks table and what works the same for every dataset: inventories, checks; the command line).
Its functions are re-exported here: ``data.load_tracks(folder)``.

May import: ``helpers.runtime`` and ``helpers.cli`` only (the bottom layer).

Command line: ``python -m helpers.data {check,download,synth} ...``.
"""

__all__ = [
    "DatasetNotFoundError", "Layout", "attach_fixed_split", "balanced_subset", "check", "completeness", "decode_all",
    "discover", "features_table", "get", "inventory", "limit_per_genre", "load_tracks", "main",
    "read_features_csv", "readable", "remotes_for",
]


def __getattr__(name: str):
    """``data.load_tracks`` and the other functions of :mod:`.tracks`, imported on first use: a command such as
    ``python -m helpers.data.audio`` must not import the module it runs before running it."""
    if name in __all__:
        from . import tracks

        return getattr(tracks, name)
    raise AttributeError(f"module 'helpers.data' has no attribute {name!r}")
