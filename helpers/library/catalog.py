"""The catalogue of a classified music library: one Parquet file, written in parts and merged atomically.

A catalogue ``FILE.parquet`` holds one row per audio file (:data:`SCHEMA`) and, in its
metadata, the id of the models that made it (:func:`model_id`) and the library folder
it describes. While a run goes on, each finished batch of files is written at once as
a part in ``FILE.parquet.parts/`` (under a temporary name, then renamed), so an
interruption loses at most the batches in flight; :meth:`Catalog.merge` folds the parts
into ``FILE.parquet`` (again written under a temporary name and renamed) and removes
them. A later run reads both, so it resumes whether or not the last merge happened.

A file counts as catalogued when a row has its path, and its size and modification time
are those of the row (as rsync decides, without reading the file); otherwise its content
hash is computed, and a file whose hash is catalogued already (a copy, a renamed file) gets
that row's prediction without being classified again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..cli import UserError

FORMAT = "helpers.library catalogue 1"  # in every catalogue's metadata: what tells ours from another Parquet file
STATUSES = ("ok", "unreadable")
TOP = 3  # genres with probabilities per row

SCHEMA = pa.schema([
    pa.field("path", pa.string(), nullable=False),  # absolute, as the machine that ran the command saw it
    pa.field("relpath", pa.string(), nullable=False),  # below the library folder (organize names links after it)
    pa.field("size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("sha256", pa.string()),  # of the file's bytes; null for a file that could not be read at all
    pa.field("duration", pa.float64()),  # seconds of decoded audio; null when unreadable
    pa.field("genre", pa.string()),  # the single-genre model's most probable genre
    pa.field("probability", pa.float32()),
    pa.field("top", pa.list_(pa.struct([("genre", pa.string()), ("probability", pa.float32())]))),
    pa.field("genres", pa.list_(pa.string())),  # the multi-genre model's set (every genre at or above its threshold)
    pa.field("embedding", pa.list_(pa.float32())),  # the mean taggram over the file's windows (50 musicnn tags)
    pa.field("windows", pa.int32()),
    pa.field("model", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),  # one of STATUSES
    pa.field("reason", pa.string()),  # why an unreadable file could not be classified
    pa.field("note", pa.string()),  # what a prediction needs said: padded, digital silence, same content as another file
    pa.field("classified_at", pa.timestamp("s", tz="UTC"), nullable=False),
])


def file_hash(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, read in chunks (memory bounded by ``chunk``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def model_id(model_files: Sequence[str | os.PathLike], hop_seconds: float | None = None) -> str:
    """``musicnn-default@3f2a9c1e0b7d+musicnn-multi@...``: each model's name and the start of its file's SHA-256, so a
    retrained model (same name, other weights) is another model; ``+hop-3s`` when the windows' hop is not the
    model's own."""
    return "+".join([f"{Path(f).stem}@{file_hash(f)[:12]}" for f in model_files]
                    + ([f"hop-{hop_seconds:g}s"] if hop_seconds is not None else []))


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def rows_table(rows: Sequence[dict]) -> pa.Table:
    """Rows (dicts with :data:`SCHEMA`'s keys) as a table of the catalogue's schema."""
    return pa.Table.from_pylist(list(rows), schema=SCHEMA)


@dataclass(frozen=True)
class Stat:
    """What decides whether a file changed since it was catalogued, without reading it."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> Stat:
        info = os.stat(path)
        return cls(info.st_size, info.st_mtime_ns)


class Catalog:
    """A catalogue file and its parts folder.

    Opening one checks the path (not a folder; an existing file must be a catalogue of
    ours) without writing anything; :meth:`check_model` refuses a catalogue of other models.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).absolute()
        self.parts_dir = self.path.with_name(self.path.name + ".parts")
        if self.path.is_dir():
            raise UserError(f"--catalog {path} is a folder; give a file name such as {Path(path) / 'catalog.parquet'}")
        if self.path.suffix.lower() != ".parquet":
            raise UserError(f"--catalog {path} does not end in .parquet; give a file name such as library.parquet")
        if not self.path.parent.is_dir():
            raise UserError(f"--catalog {path}: its folder {self.path.parent} does not exist")
        self._metadata = self._read_metadata(self.path) if self.path.exists() else None

    @staticmethod
    def _read_metadata(path: Path) -> dict:
        try:
            raw = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError) as error:
            raise UserError(f"{path} exists and is not a Parquet file ({error}); refusing to overwrite it: "
                            f"give another --catalog path") from None
        metadata = {k.decode(): v.decode() for k, v in raw.items()}
        if metadata.get("format") != FORMAT:
            raise UserError(f"{path} is a Parquet file but not a catalogue of helpers.library; refusing to overwrite it: "
                            f"give another --catalog path")
        return metadata

    @property
    def exists(self) -> bool:
        return self._metadata is not None or bool(self._part_files())

    def _part_files(self) -> list[Path]:
        return sorted(self.parts_dir.glob("part-*.parquet")) if self.parts_dir.is_dir() else []

    def metadata(self) -> dict:
        """The catalogue's metadata (``format``, ``model``, ``library``), from the file or, before any merge, a part."""
        if self._metadata is not None:
            return self._metadata
        parts = self._part_files()
        return self._read_metadata(parts[0]) if parts else {}

    def check(self, model: str, library: str) -> None:
        """A :class:`UserError` when the catalogue was made by other models than ``model`` or for another library."""
        metadata = self.metadata()
        made_by, made_for = metadata.get("model"), metadata.get("library")
        if made_by and made_by != model:
            raise UserError(f"{self.path.name} was made with {made_by}; this run uses {model}: classify into another "
                            f"--catalog file, or name the catalogue's models with --model and --multi-model "
                            f"(or --no-multi, if it was made without a multi-genre model) and its --hop-seconds "
                            f"(the +hop-Ns in its name; none: the model's own hop)")
        if made_for and made_for != library:
            raise UserError(f"{self.path.name} catalogues {made_for}, not {library}: give each library its own --catalog file")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold ``.FILE.parquet.lock`` for a run: a second run on the same catalogue is refused, not interleaved."""
        lock = self.path.with_name(f".{self.path.name}.lock")
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(f"another run is writing {self.path.name} (it holds {lock.name}); wait for it to end") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self, columns: Sequence[str] | None = None) -> pa.Table:
        """Every row: the catalogue file's, then the parts' (a later row for a path replaces an earlier one); only
        ``columns`` (and ``path``) when given, so that an index of a large catalogue does not read its embeddings."""
        columns = None if columns is None else list(dict.fromkeys(["path", *columns]))
        tables = ([_read(self.path, columns)] if self._metadata is not None else [])
        tables += [_read(part, columns) for part in self._part_files()]
        if not tables:
            empty = empty_table()
            return empty if columns is None else empty.select(columns)
        table = pa.concat_tables(tables)
        return _last_per_path(table)

    def rows(self, paths: Iterable[str]) -> dict[str, dict]:
        """The full rows of ``paths`` (those catalogued), by path."""
        table = self.read()
        wanted = pa.array(sorted(set(paths)), pa.string())
        return {row["path"]: row for row in table.filter(pc.is_in(table.column("path"), value_set=wanted)).to_pylist()}

    def write_part(self, table: pa.Table, *, model: str, library: str) -> Path:
        """``table`` as a new part, written under a temporary name and renamed: a part is complete or absent."""
        self.parts_dir.mkdir(exist_ok=True)
        name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
        final = self.parts_dir / name
        _write(table.replace_schema_metadata(_metadata(model, library)), final)
        return final

    def merge(self, *, model: str, library: str, drop: Iterable[str] = ()) -> int:
        """Fold the parts into the catalogue file (atomically) without the rows of the paths in ``drop``, and remove
        the parts; returns the rows it holds (0, and nothing written, when there is neither a file nor a part)."""
        parts, drop = self._part_files(), set(drop)
        if not parts and not drop:
            return pq.read_metadata(self.path).num_rows if self._metadata is not None else 0
        table = self.read()
        if drop:
            table = table.filter(pa.array([path not in drop for path in table.column("path").to_pylist()], pa.bool_()))
        _write(table.replace_schema_metadata(_metadata(model, library)), self.path)
        self._metadata = _metadata_text(model, library)
        for part in parts:
            part.unlink()
        if self.parts_dir.is_dir() and not any(self.parts_dir.iterdir()):
            self.parts_dir.rmdir()
        return table.num_rows


def _write(table: pa.Table, path: Path) -> None:
    """``table`` at ``path`` through a temporary file, flushed to disk before the rename: complete or absent."""
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial)
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _read(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, schema=SCHEMA, columns=columns)
    except (pa.ArrowInvalid, OSError) as error:
        raise UserError(f"{path} is not a readable catalogue part or file ({str(error).splitlines()[0]}); move it "
                        f"elsewhere and run again (the files it held are classified again)") from None


def _metadata_text(model: str, library: str) -> dict:
    return {"format": FORMAT, "model": model, "library": library}


def _metadata(model: str, library: str) -> dict[bytes, bytes]:
    return {k.encode(): v.encode() for k, v in _metadata_text(model, library).items()}


def _last_per_path(table: pa.Table) -> pa.Table:
    """One row per path: the last one (parts are read in the order they were written)."""
    paths = table.column("path").to_pylist()
    last = {path: i for i, path in enumerate(paths)}
    keep = sorted(last.values())
    return table.take(keep).sort_by("path") if len(keep) < len(paths) else table.sort_by("path")


def same_content_rows(rows: Iterable[dict], by_hash: dict[str, dict], model: str) -> list[dict]:
    """Rows for files whose content is catalogued under another path: that row's prediction, this file's path."""
    copied = []
    for row in rows:
        known = by_hash[row["sha256"]]
        copied.append({**known, **{k: row[k] for k in ("path", "relpath", "size", "mtime_ns")}, "model": model,
                       "note": "; ".join(filter(None, [known.get("note"), f"same content as {known['relpath']}"])),
                       "classified_at": row["classified_at"]})
    return copied

