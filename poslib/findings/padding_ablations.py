"""Chapter 2 (padding ablations): the claims it checks, declared before the run."""
from __future__ import annotations

from typing import Optional

from .. import config, padding, paper
from ..claims import Finding, margins

#: Modes that pad with the image's own pixels, copied or extrapolated: a blank image stays exactly blank.
COPYING_MODES = padding.PIXEL_MODES
#: Modes the from-scratch arm trains: the paper's default, a copying rule, no border at all, no padding.
SCRATCH_MODES = ("zeros", "reflect", "circular", "valid")


def declare(profile: Optional[config.Profile] = None) -> list[Finding]:
    """Chapter 2's findings, sanity checks and departures, with the profile's margins."""
    p = profile or config.get_profile()
    clear, large = margins(p)["clear"], margins(p)["large"]
    t4 = paper.table4()
    vgg_h = paper.fmt(paper.value(t4, target="H", model="VGG16"))
    nopad_h = paper.fmt(paper.value(t4, target="H", model="VGG16 w/o padding"))
    pad1 = paper.fmt(paper.value(t4, target="H", model="PosENet with padding=1"))
    pad0 = paper.fmt(paper.value(t4, target="H", model="PosENet"))
    blank = paper.table1()
    black = paper.fmt(paper.value(blank, target="H", model="VGG", input="black"))
    white = paper.fmt(paper.value(blank, target="H", model="VGG", input="white"))
    out = []
    for other in ("valid", "circular"):
        out.append(Finding(
            f"zeros_vs_{other}", f"Zero padding holds more position than {other} padding (fine-tuned, photos)",
            "mean SPC of the 5 targets on photos, per seed", "separated", clear,
            f"zero padding drives position encoding (VGG16 H {vgg_h} vs {nopad_h} without padding)"))
    for other in ("valid", "circular", "reflect"):
        out.append(Finding(
            f"scratch_zeros_vs_{other}", f"Trained from scratch, zero padding holds more position than {other} padding",
            "mean SPC of H, V, G on photos, per seed, networks trained from random weights", "separated", clear,
            "zero padding injects more position than other common padding types (stated in words)",
            headline=other == "valid"))
    out.append(Finding(
        "zeros_blank", "Zero padding gives position on black and white inputs",
        "mean SPC of the 5 targets on black and white, per seed", "above", clear,
        f"VGG16 on black/white: H {black}/{white}"))
    out.append(Finding(
        "resize_leaks", "The resize emulation of 'no padding' still leaks position: the centre-to-border map G "
        "reads out better than with true valid convolutions", "SPC of G on photos, per seed", "separated", clear,
        "not stated (the authors' code uses it as 'no padding')", binding=False,
        note="not robust: on seed 11, run on one CPU thread (the smoke profile's), valid convolutions read the map "
             "as well as the resize emulation"))
    out.append(Finding(
        "random_zeros_vs_valid", "Before any training, a zero-padded network already holds far more position "
        "than an unpadded one", "mean SPC of H, V, G on photos, per seed, random weights", "separated", large,
        "not stated"))
    out.append(Finding(
        "reflect_canvas", "With reflect padding, a noise canvas gives more position within the canvas than a "
        "mean-colour one", "mean SPC of H, V, G on canvases, per seed", "separated", clear,
        "canvas colour is a boundary heuristic (direction not stated)", binding=False,
        note="not robust: on seeds 11, 12, 13 the seeds of the two canvases overlapped"))
    out.append(Finding(
        "wider_padding", "Wider zero padding on every layer gives more position (3 px vs 1 px)",
        "mean SPC of the 5 targets on photos, per seed", "separated", clear, "not stated"))
    out.append(Finding(
        "first_layer_pad", "One pixel of zeros on the first layer alone gives position that the unpadded network lacks",
        "mean SPC of the 5 targets on photos, per seed", "separated", clear,
        f"PosENet with padding 1 vs 0: H {pad1} vs {pad0}"))
    t3 = paper.table3()
    out.append(Finding(
        "stage_trend", "With zero padding the last stage holds more position than the first (H and G)",
        "mean SPC of H and G on photos, per seed", "separated", clear,
        f"VGG16 f5 vs f1: H {paper.fmt(paper.value(t3, target='H', stage='5'))} vs "
        f"{paper.fmt(paper.value(t3, target='H', stage='1'))}"))
    out.append(Finding(
        "reach", "Position fades as the image outgrows the receptive field (H: 80 px vs 160 px)",
        "SPC of H on photos, per seed", "separated", clear, "not stated"))
    out.append(Finding(
        "zeros_best", "Zero padding injects the most position of all the padding types (fine-tuned)",
        "mean SPC on photos: zeros vs the best other mode", "separated", 0.0,
        "zero padding injects optimal position information relative to other common padding types",
        binding=False, note="the paper's statement, compared with"))
    out.append(Finding(
        "extrapolate_vs_zeros", "Extrapolating padding, which continues the image across the border instead of "
        "adding a constant, holds less position than zero padding (fine-tuned, photos)",
        "mean SPC of the 5 targets on photos, per seed", "separated", clear,
        "not in the paper (padding estimated from neighbouring pixels: J. Liu, ISMRM 2022, against boundary artefacts)",
        binding=False, note="declared when the mode joined the book; reported until it has held on other seeds "
        "and the bf16 path"))
    out.append(Finding(
        "copying_blank_flat", f"Padding with the image's own pixels ({', '.join(COPYING_MODES)}) turns black and "
        "white inputs into constant feature maps, so their readouts score SPC 0 there",
        "every feature map and readout on black and white",
        "identity", kind="sanity", paper="follows from the padding rule"))
    return out
