"""The ``paper`` profile's real data sets, read from folders under ``POSLIB_DATA``: DUTS-TR and PASCAL-S.

The paper trains its readouts on DUTS-TR and tests them on PASCAL-S. Point ``POSLIB_DATA`` at a folder that
holds both, as they unpack::

    POSLIB_DATA/
        DUTS-TR/      DUTS-TR-Image/*.jpg   DUTS-TR-Mask/*.png
        PASCAL-S/     Imgs/*.jpg            Masks/*.png        (any image sub-folder names will do)

Every JPEG or PNG below a data set's folder is an image, except those in a folder whose name says it holds
labels (mask, gt, annotation, label): the saliency masks are not read.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

#: The readouts' training and test data sets of the paper.
TRAIN_SET = "DUTS-TR"
TEST_SET = "PASCAL-S"
#: Words that mark a folder of labels, not images.
LABEL_WORDS: tuple[str, ...] = ("mask", "gt", "annotation", "label")
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png")


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The images below ``folder``, sorted, leaving out any folder of labels (:data:`LABEL_WORDS`)."""
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not any(
        word in part.lower() for part in p.relative_to(root).parts[:-1] for word in LABEL_WORDS))


def image_folder(path: str | os.PathLike, size: int, limit: int | None = None) -> torch.Tensor:
    """The images of a folder (:func:`image_files`), the first ``limit`` of them, resized to ``size`` x ``size``;
    an (N, 3, size, size) float tensor in [0, 1]."""
    from PIL import Image

    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"image folder {folder} not found. The 'paper' profile reads real data sets from POSLIB_DATA "
            f"({TRAIN_SET}/ for training, {TEST_SET}/ for testing); download them, or use POSLIB_PROFILE=book."
        )
    files = image_files(folder)
    if not files:
        raise FileNotFoundError(f"no .jpg/.jpeg/.png images in {folder} (label folders are skipped)")
    files = files[:limit] if limit else files
    return pil_images((Image.open(f) for f in files), size)


def pil_images(images, size: int) -> torch.Tensor:
    """PIL images as an (N, 3, size, size) float tensor in [0, 1], each converted to RGB and resized bilinearly."""
    from PIL import Image

    arrays = [np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
              for im in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def data_root() -> Path:
    """The folder holding the paper's data sets, from ``POSLIB_DATA``."""
    root = os.environ.get("POSLIB_DATA")
    if not root:
        raise FileNotFoundError(
            f"the 'paper' profile needs the real data sets: set POSLIB_DATA to a folder holding {TRAIN_SET}/ "
            f"and {TEST_SET}/ image folders, or use POSLIB_PROFILE=book to run offline."
        )
    return Path(root)


def saliency_sets(n_train: int, n_test: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's readout images: the first ``n_train`` of DUTS-TR and ``n_test`` of PASCAL-S, resized."""
    root = data_root()
    return image_folder(root / TRAIN_SET, size, n_train), image_folder(root / TEST_SET, size, n_test)
