from typing import Literal, cast

InputType = Literal["AUDIO", "GEOSPATIAL", "IMAGE", "LLM", "OTHER", "PDF", "TEXT", "VIDEO"]

INPUT_TYPE_VALUES: set[InputType] = {
    "AUDIO",
    "GEOSPATIAL",
    "IMAGE",
    "LLM",
    "OTHER",
    "PDF",
    "TEXT",
    "VIDEO",
}


def check_input_type(value: str) -> InputType:
    """Return ``value`` typed as ``InputType``.  Values outside
    ``INPUT_TYPE_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(InputType, value)
