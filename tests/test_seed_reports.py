import dataclasses
import re

import pytest

from helpers.models import transfer_nets, zoo
from helpers.results import evaluate, seed_reports
from helpers.studies import transfer_learning as study
from helpers.studies import waveform_fusion

# The values the issue tracker restates (all GTZAN test accuracy), by our model key.
KEYED = {"xgboost-tuned": 0.79, "xgboost": 0.775, "random-forest": 0.755, "dense-net": 0.755, "knn": 0.645, "lstm": 0.54,
         "base-cnn": 0.585, "tuned-cnn": 0.62, "small-cnn": 0.48, "crnn": 0.455,
         "vgg16-imagenet · frozen base + head": 0.665, "nnet1": 0.47, "nnet2-mfcc": 0.51, "mixnet": 0.55,
         "wav2vec2-frozen": 0.61, "wav2vec2-fine-tune": 0.68}
# The FMA report's test loss and F1 beside its accuracy, by our model key.
FMA_OTHER = {("nnet1", "test_loss"): 1.73, ("nnet2-mfcc", "test_loss"): 1.70, ("mixnet", "test_loss"): 1.65,
             ("nnet1", "f1"): 0.33, ("nnet2-mfcc", "f1"): 0.38, ("mixnet", "f1"): 0.35}


def test_every_keyed_value_is_the_restated_one():
    assert {key: seed_reports.value(key) for key in KEYED} == KEYED
    keyed = {row.model_key for row in seed_reports.SEED_RESULTS if row.model_key}
    assert keyed == set(KEYED)
    assert {key: seed_reports.value(*key) for key in FMA_OTHER} == FMA_OTHER
    fma = seed_reports.report_metrics("FMA report")
    assert fma[["model", "accuracy", "test_loss", "f1"]].values.tolist() == [["NNET1", 0.47, 1.73, 0.33], ["NNET2", 0.51, 1.70, 0.38],
                                                                             ["MixNet", 0.55, 1.65, 0.35]]


def test_values_without_a_model_of_ours_are_kept_with_their_report():
    unkeyed = {(row.report, row.model, row.value, row.note.split(":")[0]) for row in seed_reports.SEED_RESULTS if not row.model_key}
    assert unkeyed == {
        ("main seed report", "VGG16 from ImageNet, sigmoid outputs, threshold 0.2", 0.40, "both genres predicted, and no other"),
        ("features report", "VGG16 from ImageNet, every layer fine-tuned", 0.76, "without augmentation"),
        ("features report", "VGG16 from ImageNet, every layer fine-tuned", 0.84, "with six-fold augmentation"),
        ("features report", "VGG16 from ImageNet, last layer only", 0.635, "its best last-layer variant (variants 62-63.5 %)"),
        ("features report", "AlexNet from ImageNet, every layer fine-tuned", 0.67, ""),
        ("features report", "AlexNet from ImageNet, last layer only", 0.595, "its best last-layer variant (variants 57-59.5 %)"),
        ("features report", "ResNet from ImageNet, every layer fine-tuned", 0.59, ""),
        ("features report", "custom CNN", 0.55, "without augmentation; the results table's value; the report's text says 62.5 %"),
        ("features report", "custom CNN", 0.66, "with six-fold augmentation"),
        ("segment-length report", "ResNet18 from ImageNet", 0.80, ""),
        ("segment-length report", "ResNet18 from ImageNet", 0.80, "worse with 10-s segments"),
    }
    assert {row.input for row in seed_reports.SEED_RESULTS if row.model == "ResNet18 from ImageNet"} == {"3-s segments", "5-s segments"}


def test_rows_cite_without_inventing_table_numbers():
    assert "issue tracker" in seed_reports.__doc__
    for row in seed_reports.SEED_RESULTS:
        assert row.report and row.where and row.protocol and row.input and row.dataset in ("gtzan", "fma-small")
        assert row.metric in ("accuracy", "exact_set_accuracy", "test_loss", "f1")
        assert not re.search(r"\d", row.where), row  # "results table", never "Table 3"
        assert 0 < row.value <= (10 if row.metric == "test_loss" else 1)


def test_model_keys_and_protocols_are_ours():
    ours = set(zoo.FEATURE_MODELS + zoo.SEQUENCE_MODELS + zoo.CNN_MODELS) | {"tuned-cnn"}  # tuned-cnn: a label of base-cnn
    # transfer networks: the labels notebook 06 gives its runs with ImageNet weights
    ours |= {study.run_label(transfer_nets.WeightSource(n, "imagenet", "x.h5", "test"), recipe)
             for n in transfer_nets.IMAGENET_NETWORKS for recipe in transfer_nets.RECIPES}
    ours |= set(waveform_fusion.RUNS) | set(waveform_fusion.WAV2VEC2_RUNS)
    assert {row.model_key for row in seed_reports.SEED_RESULTS if row.model_key} <= ours
    assert {row.our_protocol for row in seed_reports.SEED_RESULTS if row.our_protocol} <= set(evaluate.PROTOCOL_ORDER)
    assert all(row.our_protocol is None for row in seed_reports.SEED_RESULTS if row.model_key is None)


def test_table_value_errors_and_frozen_rows():
    table = seed_reports.table()
    assert len(table) == len(seed_reports.SEED_RESULTS)
    assert list(table.columns) == [f.name for f in dataclasses.fields(seed_reports.SeedResult)]
    assert table.loc[table["model_key"] == "tuned-cnn", "note"].item() == "after a 551-trial grid search"
    with pytest.raises(KeyError, match="0 seed-report values of accuracy for 'svm-rbf'"):
        seed_reports.value("svm-rbf")
    with pytest.raises(dataclasses.FrozenInstanceError):
        seed_reports.SEED_RESULTS[0].value = 1.0


def test_one_reports_rows_for_a_notebook():
    rows = seed_reports.report_rows("segment-length report")
    assert list(rows["value"]) == [0.80, 0.80] and set(rows["report"]) == {"segment-length report"}
    assert "worse with 10-s segments" in rows["note"].tolist()
    with pytest.raises(ValueError, match="valid: .*features report"):
        seed_reports.report_rows("no such report")
    augmentation = seed_reports.report_rows("features report", where="augmentation experiments")
    assert len(augmentation) == 8 and set(augmentation["protocol"]) == {"random 80/20 split"}
    with pytest.raises(ValueError, match="no part 'nowhere'; valid: .*augmentation experiments"):
        seed_reports.report_rows("features report", where="nowhere")


def test_the_features_report_is_one_80_20_split_for_every_model_it_ran():
    rows = [row for row in seed_reports.SEED_RESULTS if row.report == "features report"]
    assert {row.protocol for row in rows} == {"random 80/20 split"} and {row.test_clips for row in rows} == {200}
    assert {row.our_protocol for row in rows} <= {"random-80/20", None}  # never compared under another split
    crnn = next(row for row in rows if row.model == "CRNN")
    assert crnn.value == 0.455 and "text says 53.5 %" in crnn.note and crnn.our_protocol == "random-80/20"
    assert "not run under the report's 80/20 split" in crnn.reason


def test_every_number_without_a_run_of_ours_says_why():
    for row in seed_reports.SEED_RESULTS:
        if row.model_key is None or row.our_protocol is None:
            assert row.reason, row


def test_models_no_longer_carry_seed_numbers():
    assert not hasattr(zoo, "SEED_REPORTED_ACCURACY")
