"""Results records and everything read from them: metrics, tables, generated readings, the seed reports.

Owns: :mod:`.metrics` (the three test metrics and their bootstrap), :mod:`.comparisons` (paired differences on the same
clips, and when a difference over training seeds is a finding), :mod:`.records` (rules that read a
record: failed runs, protocol names), :mod:`.evaluate` (the one results schema, saving and loading records,
their tables; ``python -m helpers.results.evaluate summary``), :mod:`.report` (every
reading generated from records and tables, as Markdown; the README's results section: ``python -m
helpers.results.report readme``) and :mod:`.seed_reports` (the seed reports' own numbers, cited, with their protocols).

May import: ``helpers.runtime``, ``helpers.cli``, ``helpers.data``, ``helpers.inputs`` and ``helpers.plots``;
never models or studies.
"""
