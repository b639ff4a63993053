import numpy as np
import pytest
import soundfile as sf

from helpers.data import synth
from helpers.data.gtzan import GENRES as GTZAN_GENRES


def test_clips_are_deterministic_and_independent_of_dataset_size():
    a = synth.render_clip("jazz", 3, seconds=2.0, seed=7)
    b = synth.render_clip("jazz", 3, seconds=2.0, seed=7)
    c = synth.render_clip("jazz", 3, seconds=2.0, seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == np.float32 and len(a) == 2 * 22050
    assert 0.2 < np.max(np.abs(a)) <= 1.0


def test_unknown_genre_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid genres: blues"):
        synth.render_clip("polka", 0)


def test_dataset_layout_and_format(synthetic_dir):
    files = sorted(synthetic_dir.glob("genres_original/*/*.wav"))
    assert len(files) == 30
    assert {f.parent.name for f in files} == set(GTZAN_GENRES)
    info = sf.info(str(files[0]))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert files[0].name == "blues.00000.wav"


def test_genres_differ_in_brightness_and_rhythm():
    """Musically motivated differences: classical is darker than metal; classical has no drums."""
    import librosa

    def centroid(genre):
        return np.mean([librosa.feature.spectral_centroid(y=synth.render_clip(genre, i, 6.0, 0), sr=22050).mean() for i in range(4)])

    assert centroid("metal") > 1.5 * centroid("classical")
    onset_strength = [librosa.onset.onset_strength(y=synth.render_clip(g, 0, 6.0, 0), sr=22050).std() for g in ("classical", "disco")]
    assert onset_strength[1] > onset_strength[0]


def test_a_features_classifier_is_above_chance_but_not_perfect():
    """Overlap between genres keeps the task honest (the default size reaches about 85 %)."""
    import librosa
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = [], []
    for g, genre in enumerate(GTZAN_GENRES):
        for i in range(10):
            clip = synth.render_clip(genre, i, 6.0, 42)
            mfcc = librosa.feature.mfcc(y=clip, sr=22050, n_mfcc=13)
            X.append(np.r_[mfcc.mean(1), mfcc.std(1)])
            y.append(g)
    scores = cross_val_score(RandomForestClassifier(200, random_state=0), np.array(X), y,
                             cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert 0.35 < scores.mean() < 0.99
