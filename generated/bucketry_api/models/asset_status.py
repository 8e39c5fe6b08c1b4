from typing import Literal, cast

AssetStatus = Literal["LABELED", "ONGOING", "REVIEWED", "TO_REVIEW", "TODO"]

ASSET_STATUS_VALUES: set[AssetStatus] = {
    "LABELED",
    "ONGOING",
    "REVIEWED",
    "TO_REVIEW",
    "TODO",
}


def check_asset_status(value: str) -> AssetStatus:
    """Return ``value`` typed as ``AssetStatus``.  Values outside
    ``ASSET_STATUS_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(AssetStatus, value)
