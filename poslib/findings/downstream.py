"""Chapter 5 (downstream tasks): the claims it checks, declared before the run."""
from __future__ import annotations

from typing import Optional

from .. import config, paper
from ..claims import Finding, margins

#: The papers' numbers this chapter compares with (ICLR 2020, Tables 5 and 6; Ko et al., EMNLP 2020), formatted
#: from :mod:`poslib.paper`.
_T5, _T6 = paper.table5(), paper.table6()


def _t5(dataset: str, model: str, measure: str = "F-measure") -> float:
    return paper.value(_T5, "value", dataset=dataset, model=model, measure=measure)


def _h6(model: str) -> str:
    return paper.fmt(paper.value(_T6, "spc", target="H", model=model, input="natural"))


TABLE_5A = (f"F-measure {paper.fmt(_t5('ECSSD', 'VGG'), 2)} with zero padding vs "
            f"{paper.fmt(_t5('ECSSD', 'VGG w/o padding'), 2)} without (ECSSD; " + ", ".join(
                f"{d} {paper.fmt(_t5(d, 'VGG'), 2)} vs {paper.fmt(_t5(d, 'VGG w/o padding'), 2)}"
                for d in ("PASCAL-S", "DUT-OMRON")) + ")")
TABLE_5B = (f"VOC 2012 mIoU {_t5('VOC 2012 val', 'VGG', 'mIoU (%)')} % with zero padding vs "
            f"{_t5('VOC 2012 val', 'VGG w/o padding', 'mIoU (%)')} % without")
TABLE_6 = f"H SPC on PASCAL-S: VGG-SOD {_h6('VGG-SOD')}, VGG-SS {_h6('VGG-SS')} vs ImageNet VGG {_h6('VGG')}"
HURT = ("position can both help or hurt (IJCV 2024, in words); in question answering, answers seen at one position "
        f"are learnt as a position, and a bias model brings accuracy back from {paper.QA_POSITION_BIASED} % to "
        f"{paper.QA_BIAS_MODEL} % (Ko et al.)")


def declare(profile: Optional[config.Profile] = None) -> list[Finding]:
    """Chapter 5's findings and sanity checks, with the profile's margins."""
    m = margins(profile or config.get_profile())
    clear, large = m["clear"], m["large"]
    return [
        # Experiment 1: saliency
        Finding("saliency_centre", "Where place is the cue (centre bias), zero padding finds the salient object "
                "far better than circular padding", "F-measure on the whole image, per seed", "separated", clear,
                TABLE_5A, headline=True),
        Finding("saliency_needs_position", "Zero padding's advantage over circular padding comes from place: it "
                "is larger in centre-bias scenes than in scenes with a local cue", "(zeros − circular F-measure) in "
                "centre-bias scenes minus the same in local-cue scenes, per seed", "above", clear,
                "zero padding helps position-dependent tasks (Table 5)"),
        Finding("resize_inflates", "Stretching an unpadded network's answer over the image inflates its gap to "
                "zero padding, compared with scoring both on the same pixels", "(zeros whole image − valid resized) "
                "minus (zeros − valid on the window), F-measure, centre-bias scenes, per seed", "above", clear,
                "the paper does not say how its unpadded VGG's smaller output was matched"),
        Finding("saliency_window", "On the same pixels, zero padding finds the centre-biased salient object better "
                "than no padding", "F-measure on the unpadded networks' window, per seed", "separated", clear,
                TABLE_5A, binding=False, note="the paper's comparison, made on the same pixels, compared with"),
        Finding("saliency_resized", "Matched as a resized answer, no padding falls far behind zero padding "
                "(centre-bias scenes)", "F-measure: zeros on the whole image vs valid resized, per seed",
                "separated", large, TABLE_5A, binding=False, note="the paper's comparison, compared with"),
        # Experiment 2: segmentation
        Finding("segmentation_window", "On the same pixels, zero padding segments a layout better than no padding",
                "mIoU on the unpadded networks' window, per seed", "separated", clear, TABLE_5B),
        Finding("segmentation_resized", "Matched as a resized answer, no padding segments far worse than zero "
                "padding", "mIoU: zeros on the whole image vs valid resized, per seed", "separated", clear, TABLE_5B,
                binding=False, note="the paper's comparison, compared with"),
        # Experiment 3: task-trained encoders
        Finding("saliency_encoder_position", "An encoder trained for saliency holds more position than the same "
                "encoder trained to classify", "H SPC of a readout on the last stage, photos, per seed",
                "separated", 0.0, TABLE_6, binding=False, note="the paper's statement, compared with; the digest "
                "rates it plausible but not guaranteed at small scale"),
        Finding("segmentation_encoder_position", "An encoder trained to segment holds more position than the same "
                "encoder trained to classify", "H SPC of a readout on the last stage, photos, per seed",
                "separated", 0.0, TABLE_6, binding=False, note="the paper's statement, compared with; our layout "
                "task needs vertical position, the H map is horizontal"),
        # Experiment 4: a shortcut
        Finding("shortcut_zeros", "A zero-padded classifier trained with class tied to side takes the shortcut: "
                "it is right less often when the tie is reversed", "accuracy with the tie (90 %) minus reversed "
                "(10 %), per seed", "above", clear, HURT),
        Finding("shortcut_needs_position", "A circular classifier, blind to absolute place, takes the side "
                "shortcut far less than a zero-padded one", "accuracy drop, tie minus reversed, per seed",
                "separated", clear, HURT),
        Finding("shortcut_control", "Trained without the tie, a zero-padded classifier is right as often when "
                "the test places classes on the other side", "accuracy drop, tie minus reversed, per seed",
                "at_most", clear, "control (no correlation)", binding=False,
                note="not robust: on seed 11, run on one CPU thread (the smoke profile's), the drop exceeded the margin, "
                     "which is within the sampling noise of the held-out scenes"),
        Finding("prior_recovers", "Training with the side prior as a bias model (product of experts) recovers "
                "accuracy when the tie is reversed", "accuracy on reversed scenes, zero padding, with vs without "
                "the prior, per seed", "separated", clear, HURT),
        Finding("shortcut_valid", "Without padding a classifier still takes the side shortcut", "accuracy drop, "
                "tie minus reversed, per seed", "above", clear, "not tested by the papers", binding=False,
                note="a valid network sees objects at the left and right edges cut differently"),
        # Experiment 5: explicit coordinates
        Finding("coord_saliency", "Coordinate channels give an unpadded network what zero padding gave it in "
                "centre-bias saliency", "F-measure on the window, CoordConv minus zeros, per seed", "not_below",
                clear, "CoordConv (Liu et al. 2018) as explicit position", binding=False,
                note="our question, compared with"),
        Finding("coord_segmentation", "Coordinate channels give an unpadded network what zero padding gave it in "
                "segmentation", "mIoU on the window, CoordConv minus zeros, per seed", "not_below", clear,
                "CoordConv (Liu et al. 2018) as explicit position", binding=False, note="our question, compared with"),
        Finding("coord_shortcut", "Coordinate channels take the side shortcut at least as much as zero padding",
                "accuracy drop, CoordConv minus zeros, per seed", "not_below", clear, "not tested by the papers",
                binding=False, note="our question, compared with"),
        # Experiment 6: shifts
        Finding("shift_consistency", "Small shifts change a circular classifier's answer less often than a "
                "zero-padded one's", "share of images answered the same in four shifted crops, per seed",
                "separated", 0.0, "position makes answers depend on where content sits (IJCV 2024, Fig. 1 of "
                "the ICLR paper)", binding=False, note="our question, compared with"),
        Finding("crop_changes_choice", "A crop changes which object a zero-padded saliency network calls salient "
                "more often than a circular one's", "share of scenes whose chosen object changes between two "
                "crops, per seed", "separated", 0.0, "the ICLR paper's Fig. 1: a slight crop moves the salient "
                "region", binding=False, note="the paper's illustration, compared with"),
        # Sanity checks
        Finding("circular_equivariant", "Rolling an image by one output step rolls a circular saliency network's "
                "answer by one output pixel", "largest relative difference of the answers", "identity",
                kind="sanity", paper="circular padding treats every place alike (expected)"),
        Finding("scoring_truth", "Scored as a prediction, the true masks get F-measure 1 and MAE 0, and the "
                "true labels mIoU 1, in every scoring", "F-measure, MAE and mIoU of the truth", "identity",
                kind="sanity", paper="a check of our scoring"),
    ]
