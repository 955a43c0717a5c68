"""Appendix (measure your own network): the claims it checks, declared before the run."""
from __future__ import annotations

from typing import Optional

from .. import config, paper
from ..claims import Finding, margins


def declare(profile: Optional[config.Profile] = None) -> list[Finding]:
    """The appendix's findings and sanity checks, with the profile's margins."""
    p = profile or config.get_profile()
    clear, large = margins(p)["clear"], margins(p)["large"]
    t3, t4 = paper.table3(), paper.table4()
    f = paper.fmt
    return [
        Finding(
            "cnn_zeros_vs_circular", "The same random ResNet-18 carries far more position with zero padding than "
            "with circular padding (deepest layer, H, photos)",
            "SPC of H on photos at layer4, per seed (one random network per seed, converted to each padding)",
            "separated", large,
            f"ImageNet VGG16 with vs without padding: H {f(paper.value(t4, target='H', model='VGG16'))} vs "
            f"{f(paper.value(t4, target='H', model='VGG16 w/o padding'))}", headline=True),
        Finding(
            "cnn_depth", "In a zero-padded random ResNet-18 the deepest layer holds more position than the first "
            "(H, photos)", "SPC of H on photos, layer4 vs layer1, per seed", "separated", clear,
            f"VGG16 f5 vs f1: H {f(paper.value(t3, target='H', stage='5'))} vs "
            f"{f(paper.value(t3, target='H', stage='1'))}"),
        Finding(
            "vit_embedding", "A Vision Transformer carries more position with its learned position embedding than "
            "without it (last layer, H, photos)",
            "SPC of H on photos at the last encoder layer, per seed (one random ViT per seed, embedding kept or "
            "set to zero)", "separated", clear, "not in the papers: a Transformer is given position explicitly",
            binding=False, note="a random ViT's embedding is small (standard deviation 0.02 at initialisation); "
            "whether a readout finds it beside the image content is what this measures"),
        Finding(
            "vit_embedding_blank", "On a blank white image, where only the position embedding tells one patch from "
            "another, the ViT's last layer does carry position (H)",
            "SPC of H on the white image at the last encoder layer, per seed: with the embedding vs without",
            "separated", clear, "not in the papers",
            binding=False, note="declared after the drafting run on seeds 0, 1, 2 showed it; reported until it "
            "has held on further seeds and the bf16 path"),
        Finding(
            "circular_stride_leak", "At 80 px, circular padding leaves position in ResNet-18's deepest layer, and "
            "at 64 px (a multiple of its total stride, 32) it does not",
            "SPC of H on photos at layer4 with circular padding, per seed: 80 px vs 64 px", "separated", clear,
            "circular padding makes a network shift-equivariant (no border)", kind="departure", binding=False,
            note="predicted after the drafting run on seeds 0, 1, 2: stride-2 steps that sample an odd-sized map "
                 "(5 to 3 at 80 px) break the wrap-around symmetry, so the place of a feature survives; reported "
                 "until it has held on further seeds and the bf16 path"),
        Finding(
            "no_border_blank_flat", "Without a border signal a blank image gives constant features: the circular "
            "ResNet-18 and the ViT without its embedding, on black and white",
            "every feature map and readout on black and white", "identity", kind="sanity",
            paper="follows from the padding rule and from attention without position"),
        Finding(
            "zeros_black_blank", "A random zero-padded ResNet-18 maps a black image to zero everywhere: its "
            "convolutions have no bias, so zero padding adds nothing a black image does not already hold",
            "every feature map of the zero-padded ResNet-18 on black", "identity", kind="sanity",
            paper="follows from bias-free convolutions and batch norm at initialisation"),
    ]
