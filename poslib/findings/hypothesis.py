"""Chapter 1 (PosENet): the claims it checks, declared before the run."""
from __future__ import annotations

from typing import Optional

from .. import config, paper
from ..claims import Finding, margins

EASY, HARD = ("H", "V", "G"), ("HS", "VS")


def _t1(target: str, model: str, inp: str = "natural") -> float:
    return paper.value(paper.table1(), target=target, model=model, input=inp)


def _mean(values) -> str:
    values = list(values)
    return paper.fmt(sum(values) / len(values))


def declare(profile: Optional[config.Profile] = None) -> list[Finding]:
    """Chapter 1's findings and sanity checks, with the profile's margins."""
    p = profile or config.get_profile()
    clear, large = margins(p)["clear"], margins(p)["large"]
    f = paper.fmt
    out = []
    for t in ("H", "G"):
        out.append(Finding(
            f"features_vs_raw_{t}", f"A backbone's features carry far more position than the raw image ({t}, photos)",
            "SPC on photos per readout seed: the lower of VGG- and ResNet-style vs the raw-image readout",
            "separated", large,
            f"VGG {f(_t1(t, 'VGG'))}, ResNet {f(_t1(t, 'ResNet'))} vs {f(_t1(t, 'PosENet'))}",
            headline=t == "H"))
    for m in ("VGG", "ResNet"):
        out.append(Finding(
            f"easy_vs_stripes_{m}", f"H, V and G are easier to read out than the stripes HS and VS ({m})",
            "mean SPC on photos per readout seed: H, V, G vs HS, VS", "separated", clear,
            f"{_mean(_t1(t, m) for t in EASY)} vs {_mean(_t1(t, m) for t in HARD)}"))
    t3 = paper.table3()
    for t in ("H", "G"):
        out.append(Finding(
            f"stage_{t}", f"The deepest single stage holds more position than the shallowest ({t})",
            "SPC on photos per readout seed: last stage vs first stage (VGG-style)", "separated", clear,
            f"VGG16 f5 {f(paper.value(t3, target=t, stage='5'))} vs f1 {f(paper.value(t3, target=t, stage='1'))}"))
    t2k, t2l = paper.table2_kernel(), paper.table2_layers()
    hgs = ("H", "G", "HS")
    out.append(Finding(
        "kernel", "A larger readout kernel does not do worse (VGG-style, 7x7 vs 1x1, mean of H, G, HS)",
        "per readout seed: SPC(7x7) − SPC(1x1)", "not_below", 0.0,
        f"{_mean(paper.value(t2k, target=t, kernel=7, model='VGG') for t in hgs)} vs "
        f"{_mean(paper.value(t2k, target=t, kernel=1, model='VGG') for t in hgs)}", binding=False,
        note="not robust: on a CPU with AVX-512 one seed's 7x7 readout scored just below its 1x1"))
    out.append(Finding(
        "depth", "A deeper readout does not do worse (VGG-style, 3 layers vs 1, mean of H, G, HS)",
        "per readout seed: SPC(3 layers) − SPC(1 layer)", "not_below", 0.0,
        f"{_mean(paper.value(t2l, target=t, depth=3, model='VGG') for t in hgs)} vs "
        f"{_mean(paper.value(t2l, target=t, depth=1, model='VGG') for t in hgs)}"))
    t4 = paper.table4()
    for t in hgs:
        out.append(Finding(
            f"zeros_vs_valid_{t}", f"The zero-padded backbone holds more position than the unpadded one ({t})",
            "SPC on photos per readout seed: VGG-style zeros vs valid", "separated", clear,
            f"VGG16 {f(paper.value(t4, target=t, model='VGG16'))} vs w/o padding "
            f"{f(paper.value(t4, target=t, model='VGG16 w/o padding'))}"))
    for t in ("H", "G"):
        pads = [paper.value(t4, target=t, model=m) for m in
                ("PosENet", "PosENet with padding=1", "PosENet with padding=2")]
        out.append(Finding(
            f"pad_rises_{t}", f"Zero padding creates position in the raw-image readout: SPC rises with padding 0, 1, 2 ({t})",
            "SPC on photos per readout seed, readout padding 0 → 1 → 2", "rises", 0.0,
            " < ".join(f(v) for v in pads)))
    for inp in ("black", "white"):
        robust = inp == "black"
        out.append(Finding(
            f"blank_{inp}", f"Position is decodable from a blank {inp} image with a zero-padded backbone (H)",
            f"SPC of H on the {inp} image per readout seed (VGG-style)", "above", large, f(_t1("H", "VGG", inp)),
            binding=robust, note="" if robust else "not robust: with bfloat16 autocast on a CPU with bf16 units one "
            "seed's readout of the white image fell far below the margin"))
    out.append(Finding(
        "resnet_vs_vgg", "ResNet reads out more position than VGG (mean of H, V, G on photos)",
        "mean SPC on photos per readout seed: ResNet-style vs VGG-style", "separated", 0.0,
        f"ResNet {_mean(_t1(t, 'ResNet') for t in EASY)} vs VGG {_mean(_t1(t, 'VGG') for t in EASY)}",
        binding=False, note="our small ResNet shares neither depth nor training with ResNet-152"))
    out.append(Finding(
        "valid_blank_flat", "Without padding a blank image gives constant feature maps, so no position at all",
        "every feature map of the unpadded backbone on black and white, and the readouts' SPC on them",
        "identity", kind="sanity", paper="not measured; follows from the padding rule"))
    return out
