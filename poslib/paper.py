"""The paper's published numbers, as tables to set beside ours.

Islam, Jia and Bruce, *How Much Position Information Do Convolutional Neural Networks Encode?*
(ICLR 2020), Tables 1-6, as printed (the minus signs the camera-ready lost are restored from the
OpenReview submission). Natural images are PASCAL-S; backbones are ImageNet VGG16 and ResNet-152.
"""
from __future__ import annotations

import pandas as pd

INPUTS = ("natural", "black", "white", "noise")

# Table 1: (target, model) -> SPC/MAE on PASCAL-S, black, white, noise
_T1 = {
    ("H", "PosENet"): (.012, .251, .0, .251, .0, .251, .001, .251),
    ("H", "VGG"): (.742, .149, .751, .164, .873, .157, .591, .173),
    ("H", "ResNet"): (.933, .084, .987, .080, .994, .078, .973, .077),
    ("V", "PosENet"): (.131, .248, .0, .251, .0, .251, .053, .250),
    ("V", "VGG"): (.816, .129, .846, .146, .927, .138, .771, .150),
    ("V", "ResNet"): (.951, .083, .978, .069, .979, .072, .968, .074),
    ("G", "PosENet"): (-.001, .233, .0, .186, .0, .186, -.034, .214),
    ("G", "VGG"): (.814, .109, .842, .123, .898, .116, .762, .129),
    ("G", "ResNet"): (.936, .070, .953, .068, .964, .064, .971, .055),
    ("HS", "PosENet"): (-.001, .712, -.055, .704, .0, .704, .023, .710),
    ("HS", "VGG"): (.405, .556, .532, .583, .576, .574, .375, .573),
    ("HS", "ResNet"): (.534, .528, .566, .518, .562, .515, .471, .530),
    ("VS", "PosENet"): (.006, .723, .081, .709, .081, .709, .018, .714),
    ("VS", "VGG"): (.374, .567, .538, .575, .437, .578, .526, .566),
    ("VS", "ResNet"): (.520, .537, .574, .523, .593, .514, .523, .545),
}


def _by_input(src: dict) -> pd.DataFrame:
    """A tidy table of (target, model) -> SPC/MAE pairs on each of :data:`INPUTS`."""
    return pd.DataFrame([{"target": target, "model": model, "input": inp, "spc": v[2 * i], "mae": v[2 * i + 1]}
                         for (target, model), v in src.items() for i, inp in enumerate(INPUTS)])


def table1() -> pd.DataFrame:
    """Table 1: SPC and MAE of PosENet / VGG / ResNet readouts per target and input (Chapter 1)."""
    return _by_input(_T1)


# Table 2 (PASCAL-S): (target, variant) -> (PosENet SPC, PosENet MAE, VGG SPC, VGG MAE)
_T2_LAYERS = {
    ("H", 1): (.012, .251, .742, .149), ("H", 2): (.056, .250, .797, .128), ("H", 3): (.055, .250, .830, .117),
    ("G", 1): (-.001, .233, .814, .109), ("G", 2): (.067, .187, .828, .105), ("G", 3): (.126, .186, .835, .104),
    ("HS", 1): (-.001, .712, .405, .556), ("HS", 2): (-.006, .628, .483, .538), ("HS", 3): (.003, .628, .491, .540),
}
_T2_KERNEL = {
    ("H", 1): (.013, .251, .542, .196), ("H", 3): (.012, .251, .742, .149), ("H", 7): (.060, .250, .828, .120),
    ("G", 1): (.017, .188, .724, .127), ("G", 3): (-.001, .233, .814, .109), ("G", 7): (.068, .187, .816, .111),
    ("HS", 1): (-.004, .628, .317, .576), ("HS", 3): (-.001, .723, .405, .556), ("HS", 7): (.002, .628, .487, .532),
}


def _table2(src: dict, col: str) -> pd.DataFrame:
    rows = []
    for (target, v), (ps, pm, vs, vm) in src.items():
        rows.append({"target": target, col: v, "model": "PosENet", "spc": ps, "mae": pm})
        rows.append({"target": target, col: v, "model": "VGG", "spc": vs, "mae": vm})
    return pd.DataFrame(rows)


def table2_layers() -> pd.DataFrame:
    """Table 2a: readout depth 1/2/3 (3x3 kernels), PosENet and VGG (Chapter 1)."""
    return _table2(_T2_LAYERS, "depth")


def table2_kernel() -> pd.DataFrame:
    """Table 2b: one readout layer with kernel 1/3/7, PosENet and VGG (Chapter 1)."""
    return _table2(_T2_KERNEL, "kernel")


# Table 3: VGG readout from single stages, PASCAL-S: (target, stage) -> (SPC, MAE); stage "all" = f1..f5
_T3 = {
    ("H", "1"): (.101, .249), ("H", "2"): (.344, .225), ("H", "3"): (.472, .203), ("H", "4"): (.610, .181),
    ("H", "5"): (.657, .177), ("H", "all"): (.742, .149),
    ("G", "1"): (.241, .182), ("G", "2"): (.404, .168), ("G", "3"): (.588, .146), ("G", "4"): (.653, .138),
    ("G", "5"): (.693, .135), ("G", "all"): (.814, .109),
}


def table3() -> pd.DataFrame:
    """Table 3: VGG16 readout from single stages f1..f5 and from all of them (Chapter 1)."""
    return pd.DataFrame([{"target": t, "stage": s, "spc": v[0], "mae": v[1]} for (t, s), v in _T3.items()])


# Table 4 (PASCAL-S): model -> H SPC, H MAE, G SPC, G MAE, HS SPC, HS MAE
_T4 = {
    "PosENet": (.012, .251, -.001, .233, -.001, .712),
    "PosENet with padding=1": (.274, .239, .205, .184, .148, .608),
    "PosENet with padding=2": (.397, .223, .380, .177, .214, .595),
    "VGG16": (.742, .149, .814, .109, .405, .556),
    "VGG16 w/o padding": (.381, .223, .359, .174, .011, .628),
}


def table4() -> pd.DataFrame:
    """Table 4: zero padding in the readout alone and in VGG16, on natural images (Chapter 1)."""
    rows = []
    for model, v in _T4.items():
        for i, t in enumerate(("H", "G", "HS")):
            rows.append({"model": model, "target": t, "spc": v[2 * i], "mae": v[2 * i + 1]})
    return pd.DataFrame(rows)


# Table 5a (salient objects; VGG trained from scratch): data set -> (F-measure, MAE) without and with zero padding
_T5A = {"ECSSD": ((.36, .48), (.78, .17)), "PASCAL-S": ((.32, .48), (.66, .21)), "DUT-OMRON": ((.25, .48), (.63, .18))}
#: Table 5b: PASCAL VOC 2012 val mIoU (%) of VGG16 without and with zero padding.
_T5B = {"VGG w/o padding": 12.3, "VGG": 23.1}


def table5() -> pd.DataFrame:
    """Table 5: VGG with and without zero padding, (a) salient objects (F-measure, MAE per data set) and
    (b) VOC segmentation (mIoU in %)."""
    rows = []
    for dataset, (without, with_) in _T5A.items():
        for model, (f, mae) in (("VGG w/o padding", without), ("VGG", with_)):
            rows += [{"task": "salient objects", "dataset": dataset, "model": model, "measure": "F-measure", "value": f},
                     {"task": "salient objects", "dataset": dataset, "model": model, "measure": "MAE", "value": mae}]
    rows += [{"task": "segmentation", "dataset": "VOC 2012 val", "model": m, "measure": "mIoU (%)", "value": v}
             for m, v in _T5B.items()]
    return pd.DataFrame(rows)


# Table 6: (target, model) -> SPC/MAE on PASCAL-S, black, white, noise; VGG pretrained for ImageNet classification,
# salient objects (SOD) or semantic segmentation (SS), read by a PosENet readout
_T6 = {
    ("H", "VGG"): _T1[("H", "VGG")],
    ("H", "VGG-SOD"): (.969, .055, .857, .099, .938, .087, .965, .060),
    ("H", "VGG-SS"): (.982, .038, .990, .030, .985, .032, .985, .033),
    ("G", "VGG"): _T1[("G", "VGG")],
    ("G", "VGG-SOD"): (.948, .067, .904, .086, .907, .085, .912, .077),
    ("G", "VGG-SS"): (.971, .055, .984, .050, .989, .046, .982, .051),
    ("HS", "VGG"): _T1[("HS", "VGG")],
    ("HS", "VGG-SOD"): (.667, .476, .699, .506, .709, .482, .668, .489),
    ("HS", "VGG-SS"): (.810, .430, .802, .426, .810, .426, .789, .428),
}


def table6() -> pd.DataFrame:
    """Table 6: SPC and MAE of readouts on VGGs trained for classification, salient objects and segmentation."""
    return _by_input(_T6)


#: Ko et al. (EMNLP 2020), question answering with every training answer in the first sentence: accuracy (%)
#: without a de-biasing method, and with the bias product of experts, on answers placed elsewhere.
QA_POSITION_BIASED, QA_BIAS_MODEL = 37.48, 81.64


#: Location accuracy of the group's GAPNet (ResNet-18, zero padding, 3x3 grid) in their released result
#: file: 100.0 % on every test pass (verified in the code, not printed in a paper table).
GAPNET_LOCATION_ACCURACY = 1.0


def fmt(value: float, decimals: int = 3) -> str:
    """A published number as the paper prints it: three decimals (or ``decimals``) without the leading zero
    (``.742``)."""
    text = f"{value:.{decimals}f}"
    return text.replace("0.", ".", 1) if abs(value) < 1 else text


def value(table: pd.DataFrame, metric: str = "spc", **where) -> float:
    """The one number of ``table`` in column ``metric`` on the row matching ``where`` (e.g. target="H")."""
    rows = table
    for col, v in where.items():
        rows = rows[rows[col] == v]
    if len(rows) != 1:
        raise KeyError(f"{len(rows)} rows of the table match {where}")
    return float(rows[metric].iloc[0])
