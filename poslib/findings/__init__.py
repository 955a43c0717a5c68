"""Each chapter's claims, declared before anything is measured: one module per chapter.

``declare(profile)`` returns the chapter's :class:`poslib.claims.Finding` list. Rules, directions and
margins are fixed here, in code; the paper's numbers are formatted from :mod:`poslib.paper`. Findings
shown not robust on a second seed set or the other numeric path are declared ``binding=False`` with
the reason in ``note``.
"""
from . import border_tasks, channels, downstream, hypothesis, padding_ablations, semantics, your_network

__all__ = ["border_tasks", "channels", "downstream", "hypothesis", "padding_ablations", "semantics", "your_network"]
