"""``poslib-meter``: the position meter from the command line, on any torchvision architecture.

    poslib-meter resnet18 --layers layer1,layer4 --padding circular --plot out.png
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import config, padding, targets


def parser() -> argparse.ArgumentParser:
    """The command's arguments, each explained in ``--help``."""
    p = argparse.ArgumentParser(
        prog="poslib-meter",
        description="Measure how much absolute position each layer of a torchvision network encodes: a readout "
                    "per layer learns to draw position maps from the frozen features, scored by Spearman "
                    "correlation (SPC) and mean absolute error (MAE) on held-out photos and on black, white and "
                    "noise images. Sizes follow POSLIB_PROFILE (smoke, book, paper).")
    p.add_argument("model", help="a torchvision model name, e.g. resnet18, vgg16_bn, mobilenet_v3_small, vit_b_16")
    p.add_argument("--layers", default=None,
                   help="comma-separated layers to read, by module path (e.g. layer1,layer4) or torchvision "
                        "feature-extraction node name; see --list-layers")
    p.add_argument("--list-layers", action="store_true", help="print the model's layer names and exit")
    p.add_argument("--weights", default=None,
                   help="torchvision weights to load, e.g. DEFAULT or IMAGENET1K_V1 (from the local torch cache; "
                        "normalises with their ImageNet mean and std). Default: random initialisation")
    p.add_argument("--padding", default=None, choices=padding.MODES,
                   help="convert every convolution and padded pooling layer to this padding first")
    p.add_argument("--targets", default=",".join(targets.NAMES),
                   help=f"comma-separated position maps to read out (default {','.join(targets.NAMES)})")
    p.add_argument("--images", default=None, help="a folder of your own images (default: the book's photo crops)")
    p.add_argument("--size", type=int, default=None,
                   help="input side in pixels (default: the model's fixed size if it has one, else the profile's)")
    p.add_argument("--seeds", default=None, help="comma-separated readout seeds (default: the profile's first)")
    p.add_argument("--epochs", type=int, default=None, help="readout training epochs (default: the profile's)")
    p.add_argument("--metric", default="spc", choices=("spc", "mae"), help="the number the table shows")
    p.add_argument("--plot", default=None, help="save the report's figure to this file (PNG)")
    return p


def _split(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the meter as the command line asks; print the setup and the table; returns the exit status."""
    args = parser().parse_args(argv)
    import torchvision

    from . import meter, taps

    try:
        weights = None
        if args.weights:
            choices = torchvision.models.get_model_weights(args.model)
            weights = choices.DEFAULT if args.weights == "DEFAULT" else choices[args.weights]
        model = torchvision.models.get_model(args.model, weights=weights)
    except (ValueError, KeyError) as err:
        print(f"poslib-meter: cannot build {args.model!r} with weights {args.weights!r}: {err}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as err:
        print(f"poslib-meter: the weights could not be loaded ({err}); they must be in the local torch cache "
              "(~/.cache/torch/hub/checkpoints) when there is no internet", file=sys.stderr)
        return 2
    if args.list_layers:
        print("\n".join(taps.layer_names(model)))
        return 0
    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    seeds = None if args.seeds is None else [int(s) for s in _split(args.seeds)]
    try:
        report = meter.measure(model, _split(args.layers), images=args.images, target_names=_split(args.targets),
                               size=args.size, weights=weights, padding_mode=args.padding, seeds=seeds, **overrides)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"poslib-meter: {err}", file=sys.stderr)
        return 2
    print(report.summary())
    print(report.table(args.metric).round(3).to_string())
    if args.plot:
        report.plot().savefig(args.plot, dpi=100)
        print(f"figure saved to {args.plot}")
    print(config.status("poslib-meter"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
