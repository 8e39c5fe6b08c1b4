from typing import Literal, cast

SignedUrlItemMethod = Literal["GET", "PUT"]

SIGNED_URL_ITEM_METHOD_VALUES: set[SignedUrlItemMethod] = {
    "GET",
    "PUT",
}


def check_signed_url_item_method(value: str) -> SignedUrlItemMethod:
    """Return ``value`` typed as ``SignedUrlItemMethod``.  Values outside
    ``SIGNED_URL_ITEM_METHOD_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(SignedUrlItemMethod, value)
