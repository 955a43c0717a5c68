"""poslib.datasets: the paper profile's real data sets (DUTS-TR, PASCAL-S), read offline from folders."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from poslib import config, data, datasets, models, posenet, targets


def test_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    sub = tmp_path / "sub"
    sub.mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(rng.integers(0, 256, (12, 12), dtype=np.uint8)).save(sub / "b.JPG")
    (tmp_path / "notes.txt").write_text("not an image")
    out = datasets.image_folder(tmp_path, 16)
    assert out.shape == (2, 3, 16, 16)
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert datasets.image_folder(tmp_path, 8, limit=1).shape == (1, 3, 8, 8)


def test_image_folder_missing_mentions_poslib_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="POSLIB_DATA"):
        datasets.image_folder(tmp_path / "DUTS-TR", 16)


def test_image_folder_without_images(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no \.jpg/\.jpeg/\.png images"):
        datasets.image_folder(tmp_path, 16)


def test_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("POSLIB_DATA", str(tmp_path))
    assert datasets.data_root() == tmp_path


def test_data_root_unset(monkeypatch):
    monkeypatch.delenv("POSLIB_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="POSLIB_DATA.*POSLIB_PROFILE=book"):
        datasets.data_root()



def _saliency_layout(root, n_train: int = 6, n_test: int = 3) -> None:
    """A small DUTS-TR / PASCAL-S tree as the data sets unpack: images, and masks beside them."""
    rng = np.random.default_rng(0)
    for folder, images, masks, n in (("DUTS-TR", "DUTS-TR-Image", "DUTS-TR-Mask", n_train),
                                     ("PASCAL-S", "Imgs", "Masks", n_test)):
        for sub in (images, masks):
            (root / folder / sub).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(root / folder / images / f"{i}.jpg")
            Image.fromarray((rng.random((30, 40)) > 0.5).astype(np.uint8) * 255).save(root / folder / masks / f"{i}.png")


def test_image_files_leave_out_label_folders(tmp_path):
    _saliency_layout(tmp_path)
    files = datasets.image_files(tmp_path / "DUTS-TR")
    assert len(files) == 6 and all(f.parent.name == "DUTS-TR-Image" for f in files)
    assert len(datasets.image_files(tmp_path / "PASCAL-S")) == 3


def test_paper_profile_reads_duts_and_pascal_s_offline(tmp_path, monkeypatch):
    """The paper profile's whole readout path at smoke sizes: generated folders in the data sets' layout, a
    torchvision VGG16 with random weights read at the paper's layers, a readout trained and scored."""
    pytest.importorskip("torchvision")
    _saliency_layout(tmp_path)
    monkeypatch.setenv("POSLIB_DATA", str(tmp_path))
    monkeypatch.setenv("POSLIB_PROFILE", "paper")
    train, tests = data.readout_sets(0, 4, 2, 32)
    assert train.shape == (4, 3, 32, 32) and tests["natural"].shape == (2, 3, 32, 32)
    assert set(tests) == {"natural", "black", "white", "noise"}
    assert torch.equal(data.readout_sets(1, 4, 2, 32)[0], train)  # the data sets are fixed; seeds move readouts
    monkeypatch.setenv("POSLIB_PROFILE", "smoke")
    sizes = posenet.ReadoutSizes(feat_size=8, train=4, test=2, epochs=1, batch=2, hidden=4)
    bench = posenet.Bench(train, tests, ["H"], sizes=sizes)
    result = bench.run(models.imagenet_backbone("vgg", pretrained=False))
    assert len(result.scores) == 4 and result.scores.spc.between(-1, 1).all()
    assert config.get_profile().name == "smoke" and targets.NAMES[0] == "H"


def test_paper_profile_without_data_says_what_to_do(monkeypatch):
    monkeypatch.delenv("POSLIB_DATA", raising=False)
    monkeypatch.setenv("POSLIB_PROFILE", "paper")
    with pytest.raises(FileNotFoundError, match="POSLIB_DATA.*DUTS-TR.*PASCAL-S"):
        data.readout_sets(0, 4, 2, 32)
