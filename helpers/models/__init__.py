"""Models built from parameters, how they are fitted, and what a trained model is saved as.

Owns: :mod:`.zoo` (every classifier and network from a parameter dict), :mod:`.training` (tabular protocols,
bootstrap and training-size studies), :mod:`.network_splits` and :mod:`.networks` (per-track splits of the
networks, Keras fitting with early stopping on validation clips), :mod:`.tuning` (keras-tuner grid search),
:mod:`.transfer_nets` (ImageNet, from-scratch and music-pretrained networks; where their weights come from),
:mod:`.pretrained_port` (the musicnn checkpoints as Keras 3 models), :mod:`.pretrained` (their outputs per clip,
cached; the parity check), :mod:`.transfer` (classifiers on pretrained embeddings), :mod:`.heads` (a head on a
frozen checkpoint, fine-tuning, the default model), :mod:`.multigenre` (several genres per song) and
:mod:`.artifacts` (a saved model with its sidecar and card), :mod:`.wav2vec2` (wav2vec 2.0 / HuBERT ported to
Keras 3, checked against transformers; where their weights come from), :mod:`.crops` (random training and mid-track
test crops of raw audio, their inputs, the PyDataset), :mod:`.waveform_nets` (NNET1, NNET2, MixNet, late fusion) and
:mod:`.optuna_search` (Optuna studies kept in SQLite; their figures).

May import: ``helpers.runtime``, ``helpers.cli``, ``helpers.data``, ``helpers.inputs``, ``helpers.results``
and ``helpers.plots``; never a study, ``config`` or ``predict``.
"""
