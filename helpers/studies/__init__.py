"""One module per notebook: what that notebook runs, so that each of its cells is one call.

Owns: :mod:`.prepare` (notebooks 01-04: every per-clip representation in one pass; ``python -m
helpers.studies.prepare``), :mod:`.features_ml` (03), :mod:`.cnn_gridsearch` (04), :mod:`.pretrained_music` (05),
:mod:`.transfer_learning` (06) and :mod:`.augmentation_segments` (07). A notebook imports its study as ``study``.

May import every other layer and ``helpers.config``; nothing below imports a study.
"""
