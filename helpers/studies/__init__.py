"""One module per notebook: what that notebook runs, so that each of its cells is one call.

Owns:

* :mod:`.prepare` (notebooks 01-04: every per-clip representation in one pass; ``python -m helpers.studies.prepare``);
* :mod:`.eda` (01);
* :mod:`.spectrogram_pngs` (02);
* :mod:`.features_ml` (03);
* :mod:`.cnn_gridsearch` (04);
* :mod:`.pretrained_music` (05);
* :mod:`.transfer_learning` (06);
* :mod:`.augmentation_segments` (07);
* :mod:`.waveform_fusion` (08);
* :mod:`.results_overview` (09).

A notebook imports its study as ``study``. May import every layer below and ``helpers.config`` (not ``predict``
or ``colab``); nothing below imports a study.
"""
