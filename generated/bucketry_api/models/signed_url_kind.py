from typing import Literal, cast

SignedUrlKind = Literal["provider", "server"]

SIGNED_URL_KIND_VALUES: set[SignedUrlKind] = {
    "provider",
    "server",
}


def check_signed_url_kind(value: str) -> SignedUrlKind:
    """Return ``value`` typed as ``SignedUrlKind``.  Values outside
    ``SIGNED_URL_KIND_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(SignedUrlKind, value)
