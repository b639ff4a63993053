"""``python -m helpers.library``: classify a music library into a catalogue, summarise it, organise it by genre."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import cli
from ..models.artifacts import DEFAULT_MODEL, MULTI_MODEL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers.library", description="Classify a music library into a Parquet "
                                     "catalogue with the shipped models, summarise it, organise it by genre (docs/library.md).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{classify,summary,organize}")
    run = commands.add_parser("classify", help="classify every audio file under a folder into a Parquet catalogue (resumes)")
    run.add_argument("library", type=Path, help="the folder that holds the music (searched at any depth)")
    run.add_argument("--catalog", type=Path, required=True, help="the catalogue, a .parquet file (made or continued)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=cli.positive_int, help="start a Dask LocalCluster of N worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="join a running Dask cluster (tcp://HOST:8786)")
    run.add_argument("--model", help=f"a single-genre .keras model (default: the shipped models/{DEFAULT_MODEL}.keras)")
    run.add_argument("--multi-model", help=f"a multi-genre .keras model (default: models/{MULTI_MODEL}.keras)")
    run.add_argument("--no-multi", action="store_true", help="no multi-genre set (one network pass per window, not two)")
    run.add_argument("--hop-seconds", type=cli.positive_float, metavar="S",
                     help="3-s windows every S seconds instead of the model's 1 s (3: a third of the network passes; "
                          "its accuracy on GTZAN: docs/library.md)")
    run.add_argument("--batch-size", type=cli.positive_int, default=16, help="files per task and per catalogue part (16)")
    run.add_argument("--dry-run", action="store_true", help="say what would be classified and skipped; write nothing")
    show = commands.add_parser("summary", help="counts per genre, a figure and the unreadable files of a catalogue")
    show.add_argument("--catalog", type=Path, required=True)
    show.add_argument("--figure", type=Path, help="where the bar chart goes (default: beside the catalogue, NAME-genres.png)")
    sort = commands.add_parser("organize", help="genre folders of links (or copies) and an M3U playlist per genre")
    sort.add_argument("--catalog", type=Path, required=True)
    sort.add_argument("--into", type=Path, required=True, help="the folder to fill (outside the library; made if missing)")
    sort.add_argument("--mode", choices=("link", "copy"), default="link", help="symbolic links (default) or copies")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "classify":
        from .classify import classify_library

        classify_library(args.library, args.catalog, model=args.model, multi_model=args.multi_model, no_multi=args.no_multi,
                         workers=args.workers, scheduler=args.scheduler, batch_size=args.batch_size, dry_run=args.dry_run,
                         hop_seconds=args.hop_seconds)
        return 0
    from .classify import read_rows
    from .organize import genre_figure, organize_library, summary_text

    rows, metadata = read_rows(args.catalog)
    if args.command == "summary":
        print(summary_text(rows, metadata, args.catalog))
        figure = args.figure or args.catalog.with_name(f"{args.catalog.stem}-genres.png")
        print(f"figure: {genre_figure(rows, metadata, figure)}")
        return 0
    done = organize_library(rows, metadata, args.into, args.mode)
    print(f"{args.into}: {done.made + done.renamed} {'links' if args.mode == 'link' else 'copies'} made "
          f"({done.renamed} renamed to avoid a name taken), {done.kept} kept from an earlier run, "
          f"{len(done.playlists)} playlists")
    for relpath in done.changed:
        print(f"skipped: {relpath}: missing or changed since it was catalogued (classify again)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
