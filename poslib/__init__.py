"""poslib — the helper package of *Position, Padding and Predictions — the executable book*.

Small modules, one job each (the chapter that introduces each is named in its docstrings):

* ``config``   profiles (``POSLIB_PROFILE``), seeds (``POSLIB_SEEDS``), numeric path (``POSLIB_PRECISION``),
  device, seeding, cache folder; each experiment family's sizes live beside its code (``SIZES``)
* ``targets``  the five position maps H, V, G, HS, VS
* ``metrics``  Spearman correlation (SPC), MAE, distance to the border, per-cell accuracy, IoU
* ``padding``  convolutions with every border behaviour, and converting a model between them
* ``extrapolate`` linear extrapolation across an image's border (the ``extrapolate`` padding mode)
* ``models``   VGG- and ResNet-style backbones; the paper's ImageNet ones
* ``data``     shipped photos, synthetic inputs, the offline shapes task
* ``datasets`` the paper profile's real data sets (DUTS-TR, PASCAL-S) read from folders
* ``glyphs``   class-labelled patches (digits over photo crops), the border tasks' stand-in for CIFAR-10
* ``grids``    the k x k grid canvases of the border tasks: cells, rings, placing patches, the tasks
* ``networks`` the one way a trained network is made: trained once, cached by content, frozen, described
* ``train``    training loops and the backbones
* ``infer``    batched inference over a whole data set
* ``features`` multi-level features, resized and concatenated
* ``readout``  the position-encoding readout (PosENet's PEM)
* ``posenet``  readout experiments: features in, SPC/MAE out; the readouts' sizes
* ``taps``     any network (torchvision CNN, Vision Transformer, your own) read at named layers
* ``meter``    the position meter: how much position each layer of any network encodes
* ``meter_cli`` the ``poslib-meter`` command
* ``ablations`` the padding ablations' sizes, budgets and run plan
* ``border_tasks`` the border tasks' networks, data sets, cached runs and ring weights
* ``border_runs`` which border-task networks a profile trains, and their scores as tidy tables
* ``scenes``   one object on a photo canvas at a lattice of places; distance of a place to the frame
* ``scene_classifiers`` classifiers that must ignore place, one per padding mode and seed, cached
* ``probes``   linear and few-shot probes, class separability, factor scores and dimensions of latents
* ``semantics`` what a scene classifier knows about class and place, stage by stage, as tidy tables
* ``task_scenes`` scenes where position can help or hurt: salient objects, layouts, classes tied to a side
* ``dense``    one small network for dense and image answers, with any border rule or coordinate channels
* ``task_nets`` the downstream tasks' networks, one per task, arm and seed, cached
* ``task_scores`` scoring those networks: F-measure, MAE, mIoU, shortcut accuracy, shifts, crops, sanity checks
* ``downstream`` where position helps and hurts: every arm and seed of those networks, scored, as tidy tables
* ``channels`` position in the order of the channels: pooled vectors, channel rankings, zeroing channels
* ``channel_nets`` GAPNet and PermuteNet: networks that read position only through global pooling; AugShift
* ``channel_attacks`` rank a segmentation network's channels by mirrored pairs, zero them, score each half
* ``channel_runs`` GAPNet, PermuteNet, channel-identity probes, zeroing and AugShift over seeds, as tidy tables
* ``claims``   findings declared before they are measured, then checked in code
* ``findings`` each chapter's declared findings, sanity checks and departures
* ``chapter``  the first and last call of every chapter
* ``scorecard`` a chapter's claims and run as one record, for the book's scorecard, front and status pages
* ``paper``    the paper's published tables
* ``tables``   our numbers beside the paper's
* ``plots``    figures with one colour map for position
* ``heatmaps`` heat maps with their values written in (per-cell accuracy, stage-by-ring tables)
* ``cache``    the content-keyed disk cache
"""
from .config import VERSION as __version__

from . import (ablations, border_runs, border_tasks, cache, channel_attacks, channel_nets, channel_runs, channels, chapter, claims, config,  # noqa: E402
               data, datasets, dense, downstream, extrapolate, features, findings, glyphs, grids, heatmaps, infer, meter,
               metrics, models,
               networks, padding, paper, plots, posenet, probes, readout, scene_classifiers, scenes, scorecard, semantics, tables, taps,
               targets, task_nets, task_scenes, task_scores, train)

__all__ = ["ablations", "border_runs", "border_tasks", "cache", "chapter", "claims", "config", "findings", "data", "datasets", "features", "glyphs", "grids", "infer", "metrics", "models", "networks", "padding", "extrapolate", "heatmaps",
           "meter", "taps", "paper", "plots", "posenet", "probes", "readout", "scene_classifiers", "scenes", "scorecard", "semantics", "tables", "targets", "train",
           "task_scenes", "dense", "task_nets", "task_scores", "downstream", "channels", "channel_nets", "channel_attacks", "channel_runs",
           "__version__"]
