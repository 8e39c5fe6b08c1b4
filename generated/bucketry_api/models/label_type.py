from typing import Literal, cast

LabelType = Literal["AUTOSAVE", "DEFAULT", "INFERENCE", "PREDICTION", "REVIEW"]

LABEL_TYPE_VALUES: set[LabelType] = {
    "AUTOSAVE",
    "DEFAULT",
    "INFERENCE",
    "PREDICTION",
    "REVIEW",
}


def check_label_type(value: str) -> LabelType:
    """Return ``value`` typed as ``LabelType``.  Values outside
    ``LABEL_TYPE_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(LabelType, value)
