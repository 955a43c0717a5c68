"""Chapter 6 (channel encoding): the claims it checks, declared before the run.

Drafted on seed 7 only (a seed the book does not run); the margins are the profile's ``clear`` and ``large``
margins, and two fixed levels set here (the paper's 100 %, and a Spearman correlation of 0.5 as "ranks alike").
"""
from __future__ import annotations

from typing import Optional

from .. import config, paper
from ..claims import Finding, margins

GAPNET = f"{paper.GAPNET_LOCATION_ACCURACY:.1%} location accuracy, ResNet-18 GAPNet, zero padding, 3x3 grid " \
         "(the group's released result file)"
ORDER = "position is encoded in the order of the channels, while semantic information largely is not " \
        "(ICCV 2021 abstract)"
RANKING = "position channels can be found by comparing an image's pooled features with its mirror's, and a " \
          "segmentation network relies on them (ICCV 2021 abstract; the released ranking code)"
REGION = "zeroing the channels that encode one region's position degrades the output in that region (ICCV 2021)"
AUGSHIFT = "two crops, cross-entropy on both and a mean-squared-error term between their pooled latents make a " \
           "network more translation invariant (AugShift; no numbers verified)"
#: The paper's GAPNet accuracy: the level a reported finding compares ours with.
PAPER_LEVEL = paper.GAPNET_LOCATION_ACCURACY - 0.01
#: Two channel rankings "rank alike" when their Spearman correlation exceeds this.
ALIKE = 0.5


def declare(profile: Optional[config.Profile] = None) -> list[Finding]:
    """Chapter 6's findings, departures and sanity checks, with the profile's margins."""
    m = margins(profile or config.get_profile())
    clear, large = m["clear"], m["large"]
    return [
        # Experiment 1: GAPNet
        Finding("gap_location", "Global average pooling keeps position: a zero-padded GAPNet names the object's "
                "cell far above chance", "location accuracy, per seed, vs chance 1/9", "above", large, GAPNET,
                headline=True),
        Finding("gap_paper_level", "A zero-padded GAPNet names the cell almost always, as the paper's does",
                "location accuracy, per seed, vs the paper's level less 0.01", "above", 0.0, GAPNET, binding=False,
                note="the paper's number, compared with"),
        Finding("gap_other_borders", "Reflect, partial and valid convolutions let GAPNet name the cell too: any "
                "border rule that treats the frame differently from the inside", "lowest location accuracy of the "
                "three, first seed only, vs chance 1/9", "above", large, "the released code trains these modes; "
                "their results are not verified", binding=False, note="our question, one seed"),
        # Experiment 2: PermuteNet and the probe of channel identity
        Finding("permute_location", "A fresh permutation of the pooled vector on every pass takes most of the "
                "location accuracy away", "location accuracy, plain minus permuted, per seed", "above", large,
                ORDER),
        Finding("permute_class_survives", "Class survives the permutation", "class accuracy, plain minus "
                "permuted, per seed", "at_most", clear, ORDER, binding=False, note="the paper's statement, "
                "compared with"),
        Finding("permute_class_falls", "Class falls too: a linear head that never sees the same channel order "
                "twice can only read what is the same in every order (in effect the sum of the vector)",
                "class accuracy, plain minus permuted, per seed", "above", clear, ORDER, kind="departure",
                note="predicted from the linear head: its expected output under random permutations depends on "
                "the vector only through its sum, so neither task keeps much"),
        Finding("permute_stage", "Permuting the input of a later stage leaves location intact: the convolutions "
                "after it write position anew at their own padded borders", "lower location accuracy with "
                "the permutation before the second or the third stage, first seed, vs chance 1/9", "above", large,
                "the released code permutes at each stage; results not verified", binding=False,
                note="our question, one seed"),
        Finding("probe_order_location", "Sorting a class network's pooled vector (same values, no channel "
                "identity) costs a linear probe location accuracy", "probe location accuracy, ordered minus "
                "sorted, per seed", "above", clear, ORDER),
        Finding("probe_order_share", "Sorting costs location a larger share of its lead over chance than it "
                "costs class", "share of the lead over chance kept when sorted, class minus location, per seed",
                "above", clear, ORDER, binding=False, note="the paper's statement as a probe, compared with"),
        Finding("probe_location_net", "A network trained for location puts position in the values, not only in "
                "their order: sorting its pooled vector leaves location intact", "probe location accuracy, sorted "
                "minus ordered, per seed", "not_below", clear, ORDER, binding=False, note="our question, "
                "compared with"),
        # Experiment 3: finding position channels
        Finding("flip_matches_moved", "Ranking channels by a left-right mirror of the image ranks them much as "
                "moving an object to the mirrored place does (zero padding)", "Spearman correlation of the two "
                "channel scores, per seed, vs 0.5", "above", 0.0, RANKING),
        # Experiment 4: relying on them
        Finding("zeroing_ranked", "Zeroing the 8 top-ranked channels (left-right flip) costs a zero-padded "
                "segmentation network more than any of 20 random sets of 8", "mIoU lost, ranked minus the "
                "largest random loss, per seed", "above", clear, RANKING),
        Finding("zeroing_ranked_circular", "The same holds for circular padding, which has no absolute position "
                "to encode: the flip ranking finds channels the task needs, not only position channels",
                "mIoU lost, ranked minus the largest random loss, circular padding, per seed", "above", clear,
                RANKING, binding=False, note="our control, compared with"),
        # Experiment 5: a region-specific attack
        Finding("attack_left", "Zeroing the 8 channels that most prefer an object on the left degrades the left "
                "half more than the right", "mIoU lost, left half minus right half, zero padding, per seed",
                "above", clear, REGION, binding=False, note="the paper's statement, compared with"),
        Finding("attack_top", "Zeroing the 8 channels that most prefer an object at the top degrades one half "
                "(top or bottom) more than the other", "|mIoU lost, top half minus bottom half|, zero padding, "
                "per seed", "above", clear, REGION, binding=False,
                note="our layout scenes are organised top to bottom, as street scenes are"),
        # Experiment 6: AugShift
        Finding("augshift_consistency", "AugShift's latent term makes answers more consistent under small shifts "
                "than the shifted crops alone", "shift consistency, λ = 1 minus λ = 0, per seed", "above", clear,
                AUGSHIFT, binding=False, note="the paper's statement, compared with; the digest expects it to be "
                "fragile at small scale"),
        Finding("augshift_crops", "Training on shifted crops makes answers more consistent under small shifts "
                "than plain training", "shift consistency, AugShift λ = 0 minus plain, per seed", "above", clear,
                AUGSHIFT, binding=False, note="our question, compared with"),
        # Sanity checks
        Finding("circular_blind", "A circular GAPNet gives the same answer in every cell of a uniform canvas: "
                "moving an object by whole cells is a circular shift by a multiple of its stride",
                "largest relative change of the logits across the nine cells", "identity", kind="sanity",
                paper="circular padding treats every place alike (expected)"),
        Finding("hook_restores", "Zeroing channels through a forward hook gives the answer the zeroing tables "
                "compute, and the network answers exactly as before once the hook is gone", "largest difference "
                "of the logits", "identity", kind="sanity", paper="a check of our zeroing"),
    ]
