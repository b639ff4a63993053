"""``summary`` and ``organize``: what a catalogue says about a library, and genre folders with playlists.

``organize`` only ever creates: a link (or a copy) per readable file in ``DIR/<genre>/``
and an M3U playlist per genre in ``DIR/``. It never overwrites, moves or deletes a
file; a name taken by another file gets a suffix (``song (2).mp3``), and a link or copy
made by an earlier run for the same file is kept as it is, so running it again adds
only what is new.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..cli import UserError
from .catalog import Stat, file_hash

PLAYLIST_MARK = "#PLAYLIST:helpers.library organize"  # the line that tells our playlists from a user's
FIGURE_SOFTWARE = "helpers.library summary"  # in the PNG's metadata: what tells our figure from another file
MODES = ("link", "copy")


def genre_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Files per top genre (count, share, mean probability), most common first; unreadable files in a last row."""
    ok = rows[rows["status"] == "ok"]
    table = (ok.groupby("genre").agg(files=("path", "size"), mean_probability=("probability", "mean"))
             .sort_values("files", ascending=False))
    table["share"] = table["files"] / max(1, len(ok))
    table = table[["files", "share", "mean_probability"]]
    unreadable = int((rows["status"] != "ok").sum())
    if unreadable:
        table.loc["(unreadable)"] = [unreadable, float("nan"), float("nan")]
    return table.astype({"files": int})


def summary_text(rows: pd.DataFrame, metadata: dict, catalog: Path) -> str:
    """The counts per genre, the multi-genre sets' sizes and the unreadable files with their reasons."""
    if rows.empty:
        return f"{catalog}: no rows yet (classify a library into it first)"
    table = genre_counts(rows)
    shown = table.assign(share=table["share"].map(lambda v: "" if pd.isna(v) else f"{v:.1%}"),
                         mean_probability=table["mean_probability"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"))
    lines = [f"{catalog}: {len(rows)} files of {metadata.get('library', 'an unrecorded folder')}, classified by "
             f"{metadata.get('model', 'unrecorded models')}", "", shown.to_string(), ""]
    ok = rows[rows["status"] == "ok"]
    if "genres" in ok and ok["genres"].notna().any():
        sizes = ok["genres"].map(lambda g: 0 if g is None else len(g)).value_counts().sort_index()
        lines.append("multi-genre sets: " + ", ".join(f"{n} file{'s' if n != 1 else ''} with {k} genre{'s' if k != 1 else ''}"
                                                      for k, n in sizes.items()))
    bad = rows[rows["status"] != "ok"]
    if len(bad):
        lines.append(f"unreadable ({len(bad)}):")
        lines += [f"  {r.relpath}: {r.reason}" for r in bad.itertuples()]
    return "\n".join(lines)


def genre_figure(rows: pd.DataFrame, metadata: dict, path: Path) -> Path:
    """A bar chart of the files per top genre, saved at ``path`` (refusing a file there that is not such a figure)."""
    if path.exists() and not _our_figure(path):
        raise UserError(f"{path} exists and is not a figure of helpers.library summary; refusing to overwrite it: "
                        f"give another --figure path")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    counts = genre_counts(rows).drop(index="(unreadable)", errors="ignore")
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(counts) + 1.5))
    ax.barh(counts.index[::-1], counts["files"][::-1], color="tab:blue")
    ax.set_xlabel("files (top genre of the single-genre model)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts of files
    ok = int((rows["status"] == "ok").sum())
    ax.set_title(f"{Path(metadata.get('library', '')).name or 'library'}: {ok} readable files by genre\n"
                 f"model {metadata.get('model', '?')}", fontsize=9)
    fig.tight_layout()
    partial = path.with_name(f".{path.name}.partial.png")
    fig.savefig(partial, dpi=120, metadata={"Software": FIGURE_SOFTWARE})
    os.replace(partial, path)
    plt.close(fig)
    return path


def _our_figure(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.info.get("Software") == FIGURE_SOFTWARE
    except OSError:
        return False


@dataclass
class Organized:
    made: int = 0
    kept: int = 0  # made by an earlier run for the same file
    renamed: int = 0  # a suffix avoided a name taken by another file
    changed: list[str] = field(default_factory=list)  # catalogued files missing or changed since
    playlists: list[Path] = field(default_factory=list)


def organize_library(rows: pd.DataFrame, metadata: dict, into: str | os.PathLike, mode: str = "link") -> Organized:
    """Fill ``into/<genre>/`` with a link (``mode="link"``) or copy of each readable file and write ``into/<genre>.m3u``."""
    if mode not in MODES:
        raise UserError(f"--mode {mode} is not one of {', '.join(MODES)}")
    into = Path(os.path.realpath(into))  # links and .. resolved, as the library's recorded path is
    library = Path(metadata.get("library") or "/nonexistent")
    if into == library or into.is_relative_to(library):
        raise UserError(f"--into {into} lies inside the library {library}: the next classify run would catalogue its "
                        f"{'links' if mode == 'link' else 'copies'}; give a folder outside it")
    if into.exists() and not into.is_dir():
        raise UserError(f"--into {into} is a file; give a folder (it is made if missing)")
    result = Organized()
    ok = rows[rows["status"] == "ok"].sort_values("relpath")
    playlists: dict[str, list[tuple[float, str]]] = {}
    for row in ok.itertuples():
        source = Path(row.path)
        if not source.is_file() or Stat.of(source) != Stat(row.size, row.mtime_ns):
            result.changed.append(row.relpath)
            continue
        folder = into / row.genre
        folder.mkdir(parents=True, exist_ok=True)
        target, state = _place(source, folder, row.sha256, mode)
        result.made += state == "made"
        result.kept += state == "kept"
        result.renamed += state == "renamed"
        playlists.setdefault(row.genre, []).append((row.duration, f"{row.genre}/{target.name}"))
    for genre, entries in sorted(playlists.items()):
        result.playlists.append(_write_playlist(into, genre, entries))
    return result


def _place(source: Path, folder: Path, digest: str, mode: str) -> tuple[Path, str]:
    """Link or copy ``source`` into ``folder`` under its own name, or the first free ``name (k)``; an entry made for
    the same file earlier is kept."""
    stem, suffix = source.stem, source.suffix
    partial = None
    try:
        for k in range(1, 10_000):
            target = folder / (source.name if k == 1 else f"{stem} ({k}){suffix}")
            if os.path.lexists(target):
                if _same_entry(target, source, digest, mode):
                    return target, "kept"
                continue
            try:  # symlink and link refuse a name that exists: a file made there meanwhile is never replaced
                if mode == "link":
                    os.symlink(source, target)
                else:
                    if partial is None:
                        partial = folder / f".{source.name}.{os.getpid()}.partial"
                        shutil.copy2(source, partial)
                    _publish(partial, target)
            except FileExistsError:
                continue
            return target, "made" if k == 1 else "renamed"
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    raise UserError(f"{folder}: 10,000 names like {source.name} are taken")


def _publish(partial: Path, target: Path) -> None:
    """Give the complete copy ``partial`` the name ``target``, which must not exist (``FileExistsError`` otherwise):
    a hard link where the file system has them, else an exclusive create and a copy."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError:  # FAT, exFAT, some network shares: no hard links
        with open(partial, "rb") as source, open(target, "xb") as copy:
            shutil.copyfileobj(source, copy)
        shutil.copystat(partial, target)


def _same_entry(target: Path, source: Path, digest: str, mode: str) -> bool:
    if mode == "link":
        return target.is_symlink() and os.readlink(target) == str(source)
    return target.is_file() and not target.is_symlink() and target.stat().st_size == source.stat().st_size \
        and file_hash(target) == digest


def _write_playlist(into: Path, genre: str, entries: Sequence[tuple[float, str]]) -> Path:
    """``into/<genre>.m3u`` (extended M3U, paths relative to ``into``); a file of that name that is not one of our
    playlists is kept and the playlist takes the next free name."""
    lines = ["#EXTM3U", PLAYLIST_MARK]
    for duration, relative in entries:
        seconds = -1 if duration is None or pd.isna(duration) else int(round(duration))
        lines += [f"#EXTINF:{seconds},{Path(relative).stem}", relative]
    for k in range(1, 10_000):
        path = into / (f"{genre}.m3u" if k == 1 else f"{genre} ({k}).m3u")
        if not path.exists() or _our_playlist(path):
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
            os.replace(partial, path)
            return path
    raise UserError(f"{into}: 10,000 playlist names like {genre}.m3u are taken")


def _our_playlist(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip() == "#EXTM3U" and handle.readline().strip() == PLAYLIST_MARK
    except OSError:
        return False
