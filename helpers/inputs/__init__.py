"""What a model reads, computed per clip from one decoded waveform and cached by content and parameters.

Owns: :mod:`.representations` (one decode per clip for every per-clip representation), :mod:`.features`
(the Kaggle 57-feature set and frame sequences; ``python -m helpers.inputs.features``), :mod:`.spectrograms`
(mel spectrograms and the seed recipe's PNGs; ``python -m helpers.inputs.spectrograms``), :mod:`.network_inputs`
(image stacks and log-mel segment arrays of the networks), :mod:`.framing` (centred analysis frames of a
signal read block by block: long files in bounded memory), :mod:`.waveforms` (raw-waveform input steps: per-clip
zero mean, unit variance) and :mod:`.augment` (waveform copies and spectrogram masks, training data only;
``python -m helpers.inputs.augment``).

May import: ``helpers.runtime``, ``helpers.cli`` and ``helpers.data``; never models, results, plots or studies.
"""
