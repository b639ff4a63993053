"""Short audio excerpts to listen to beside a figure or a confusion matrix.

An excerpt is a few seconds of one clip, mono, resampled to a low rate, so that a rendered notebook holding
ten of them stays small (4 s at 8 kHz: about 85 KB each once embedded). Each is shown as one caption line
(what the clip is) and a player (``IPython.display.Audio``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

EXCERPT_SECONDS = 4.0  # long enough to hear a genre's texture, short enough to keep notebooks small
EXCERPT_RATE = 8000  # Hz: telephone quality, enough to tell genres apart
EXCERPT_OFFSET = 10.0  # s into a clip: past most intros


def excerpt(path: str | Path, seconds: float = EXCERPT_SECONDS, rate: int = EXCERPT_RATE,
            offset: float = EXCERPT_OFFSET) -> np.ndarray:
    """``seconds`` of ``path`` from ``offset`` (from the start where the clip is shorter), mono at ``rate``."""
    from ..data import audio  # the audio stack only when a notebook plays something

    duration = audio.info(path).duration
    start = offset if duration >= offset + seconds else max(0.0, duration - seconds)
    samples, _ = audio.load(path, sr=rate, offset=start, duration=min(seconds, duration))
    return samples


def excerpts(rows: pd.DataFrame, caption: Callable[[pd.Series], str], show: Callable | None = None,
             seconds: float = EXCERPT_SECONDS, rate: int = EXCERPT_RATE) -> None:
    """Show one caption line and one player for each row of ``rows`` (a ``path`` column): ``caption(row)`` says
    what the clip is. A clip that cannot be decoded is skipped with a line that says so."""
    _show(rows, caption, show, seconds, rate)


def _show(rows: pd.DataFrame, caption: Callable[[pd.Series], str], show: Callable | None, seconds: float,
          rate: int) -> list[str]:
    """:func:`excerpts`, returning the captions it showed."""
    from IPython.display import Audio, Markdown, display

    from ..data.audio import AudioError

    show = show or display
    shown = []
    for _, row in rows.iterrows():
        text = caption(row)
        try:
            samples = excerpt(row["path"], seconds, rate)
        except AudioError as error:
            show(Markdown(f"{text}: not playable ({error})"))
            continue
        show(Markdown(f"{text} ({seconds:g} s at {rate / 1000:g} kHz, mono)"))
        show(Audio(samples, rate=rate))
        shown.append(text)
    return shown


def genre_excerpts(tracks: pd.DataFrame, show: Callable | None = None, seconds: float = EXCERPT_SECONDS,
                   rate: int = EXCERPT_RATE) -> None:
    """One excerpt per genre: the first clip of each genre in ``tracks`` (columns ``track_id``, ``genre``, ``path``)."""
    first = tracks.sort_values("track_id").groupby("genre", sort=True).head(1)
    _show(first, lambda row: f"**{row['genre']}** · `{row['track_id']}`", show, seconds, rate)


def mistaken_excerpts(test_clips: dict, tracks: pd.DataFrame, n: int = 3, show: Callable | None = None,
                      seconds: float = EXCERPT_SECONDS, rate: int = EXCERPT_RATE) -> None:
    """Up to ``n`` misclassified test clips of a record (its ``extra.test_clips``: ``id``, ``truth``, ``predicted``)
    whose audio is in ``tracks``, each captioned with its true and predicted genre; the most frequent confusions
    first, one clip per confusion. One line says so when there is none to play."""
    from IPython.display import Markdown, display

    clips = pd.DataFrame({"track_id": test_clips["id"], "truth": test_clips["truth"], "predicted": test_clips["predicted"]})
    wrong = clips[clips["truth"] != clips["predicted"]].merge(tracks[["track_id", "path"]], on="track_id")
    if wrong.empty:
        (show or display)(Markdown("No misclassified test clip has its audio here."))
        return
    frequency = wrong.groupby(["truth", "predicted"])["track_id"].transform("size")
    wrong = wrong.assign(frequency=frequency).sort_values(["frequency", "track_id"], ascending=[False, True])
    chosen = wrong.drop_duplicates(["truth", "predicted"]).head(n)
    _show(chosen, lambda row: f"`{row['track_id']}`: true **{row['truth']}**, predicted **{row['predicted']}**",
          show, seconds, rate)


def track_rows(tracks: pd.DataFrame, track_ids: Sequence[str]) -> pd.DataFrame:
    """The rows of ``tracks`` for ``track_ids``, in that order (for :func:`excerpts`)."""
    return tracks.set_index("track_id").loc[list(track_ids)].reset_index()
