"""Your music library, classified: a resumable Parquet catalogue, a summary, genre folders with playlists.

Command line (``python -m helpers.library --help``)::

    python -m helpers.library classify LIBRARY --catalog FILE.parquet [--workers N | --scheduler ADDRESS] [--dry-run]
    python -m helpers.library summary --catalog FILE.parquet [--figure FILE.png]
    python -m helpers.library organize --catalog FILE.parquet --into DIR [--mode link|copy]

``classify`` walks ``LIBRARY`` at any depth and writes one row per audio file
(:data:`.catalog.SCHEMA`): its path, content hash and duration, the top genre and the
top three with probabilities from the shipped single-genre model, the genre set of the
multi-genre model, the models' id, the clip embedding (mean taggram) and, for a file
that cannot be read, why. It resumes (:mod:`.catalog`), and it spreads batches of files
over a Dask cluster (:mod:`.engine`). Layers: :mod:`.catalog` (Parquet, no models)
< :mod:`.engine` (one batch; the models) < :mod:`.classify` (a whole library)
< :mod:`.organize` (reads catalogues) < ``__main__`` (the command line).
"""

from .catalog import SCHEMA, Catalog  # noqa: F401
from .classify import classify_library, read_rows  # noqa: F401
from .organize import genre_counts, organize_library  # noqa: F401
