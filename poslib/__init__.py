"""poslib — the helper package of *Position, Padding and Predictions — the executable book*.

Small modules, one job each (the chapter that introduces each is named in its docstrings):

* ``config``   profiles (``POSLIB_PROFILE``), seeds (``POSLIB_SEEDS``), numeric path (``POSLIB_PRECISION``),
  device, seeding, cache folder
* ``targets``  the five position maps H, V, G, HS, VS
* ``metrics``  Spearman correlation (SPC) and MAE
* ``padding``  convolutions with every border behaviour, and converting a model between them
* ``models``   VGG- and ResNet-style backbones; the paper's ImageNet ones
* ``data``     shipped photos, synthetic inputs, the offline shapes task
* ``grids``    class-labelled patches and the k x k grid canvases of the border tasks
* ``train``    training loops and the cached, trained backbones
* ``features`` multi-level features, resized and concatenated
* ``readout``  the position-encoding readout (PosENet's PEM)
* ``posenet``  readout experiments: features in, SPC/MAE out
* ``border``   the border tasks' networks, runs and per-cell / per-ring scores
* ``claims``   findings declared before they are measured, then checked in code
* ``findings`` each chapter's declared findings, sanity checks and departures
* ``chapter``  the first and last call of every chapter
* ``paper``    the paper's published tables
* ``tables``   our numbers beside the paper's
* ``plots``    figures with one colour map for position
* ``cache``    the content-keyed disk cache
"""
__version__ = "0.1.0"

from . import (border, cache, chapter, claims, config, data, features, findings, grids, metrics,  # noqa: E402
               models, padding, paper, plots, posenet, readout, tables, targets, train)

__all__ = ["border", "cache", "chapter", "claims", "config", "findings", "data", "features", "grids", "metrics", "models", "padding",
           "paper", "plots", "posenet", "readout", "tables", "targets", "train", "__version__"]
