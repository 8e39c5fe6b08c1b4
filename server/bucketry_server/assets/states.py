"""The asset status state machine, in one place.

Statuses: ``TODO`` (nothing done), ``ONGOING`` (work started or sent back to the queue),
``LABELED`` (a submitted label), ``TO_REVIEW`` (queued for review), ``REVIEWED`` (a review
label). Events and their effect:

=====================  =====================================================================
event                  effect
=====================  =====================================================================
label ``AUTOSAVE``     TODO → ONGOING; any other status unchanged
label ``DEFAULT``      TODO, ONGOING, LABELED → LABELED; TO_REVIEW, REVIEWED unchanged
label ``REVIEW``       LABELED, TO_REVIEW, REVIEWED → REVIEWED; TODO, ONGOING: 409
                       ``not_labeled`` (nothing to review)
label ``PREDICTION``,  unchanged (machine suggestions are not work done)
``INFERENCE``
add to review          LABELED, TO_REVIEW, REVIEWED → TO_REVIEW; without a submitted label
                       (``DEFAULT``/``REVIEW``) the asset is reported ``not_labeled`` and left
back to queue          any → ONGOING if the asset has a submitted label, else TODO
status set directly    allowed when consistent with the labels: TODO only without submitted
(append, update)       labels; LABELED and TO_REVIEW need a submitted label; REVIEWED needs a
                       ``REVIEW`` label; ONGOING always. Anything else is 409 ``illegal_status``
=====================  =====================================================================
"""

from __future__ import annotations

from ..errors import Conflict

STATUSES = ("TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED")
LABEL_TYPES = ("AUTOSAVE", "DEFAULT", "INFERENCE", "PREDICTION", "REVIEW")
#: Label types that count as work submitted by a labeller or reviewer.
SUBMITTED = frozenset({"DEFAULT", "REVIEW"})


def after_label(status: str, label_type: str) -> str:
    """The status after a label of ``label_type`` is added to an asset in ``status``.

    Raises ``Conflict`` (``not_labeled``) for a ``REVIEW`` label on an asset not labelled yet."""
    if label_type == "AUTOSAVE":
        return "ONGOING" if status == "TODO" else status
    if label_type == "DEFAULT":
        return "LABELED" if status in ("TODO", "ONGOING", "LABELED") else status
    if label_type == "REVIEW":
        if status in ("TODO", "ONGOING"):
            raise Conflict("not_labeled", f"an asset in status {status} has no label to review yet")
        return "REVIEWED"
    return status


def to_review(status: str, label_types: set[str]) -> str:
    """The status after "add to review". Raises ``Conflict`` (``not_labeled``) when the asset
    has no submitted label (it is then left alone)."""
    if not label_types & SUBMITTED or status not in ("LABELED", "TO_REVIEW", "REVIEWED"):
        raise Conflict("not_labeled", "the asset has no submitted label to review")
    return "TO_REVIEW"


def to_queue(label_types: set[str]) -> str:
    """The status after "send back to queue": ONGOING when work was submitted, else TODO."""
    return "ONGOING" if label_types & SUBMITTED else "TODO"


def check_direct(target: str, label_types: set[str]) -> str:
    """``target`` if an asset with labels of ``label_types`` may be set to it directly.

    Raises ``Conflict`` (``illegal_status``) naming the rule otherwise."""
    submitted = bool(label_types & SUBMITTED)
    if target == "TODO" and submitted:
        raise Conflict("illegal_status", "an asset with a submitted label cannot be TODO")
    if target in ("LABELED", "TO_REVIEW") and not submitted:
        raise Conflict("illegal_status", f"status {target} needs a submitted (DEFAULT) label")
    if target == "REVIEWED" and "REVIEW" not in label_types:
        raise Conflict("illegal_status", "status REVIEWED needs a REVIEW label")
    return target
