from typing import Literal, cast

CredentialsType = Literal[
    "ACCOUNT_NAME_TOKEN_PAIR",
    "ANONYMOUS_ACCESS",
    "CONNECTION_STRING",
    "KEY_FILE_PATH",
    "KEY_SECRET_KEY_PAIR",
    "SAS_TOKEN",
]

CREDENTIALS_TYPE_VALUES: set[CredentialsType] = {
    "ACCOUNT_NAME_TOKEN_PAIR",
    "ANONYMOUS_ACCESS",
    "CONNECTION_STRING",
    "KEY_FILE_PATH",
    "KEY_SECRET_KEY_PAIR",
    "SAS_TOKEN",
}


def check_credentials_type(value: str) -> CredentialsType:
    """Return ``value`` typed as ``CredentialsType``.  Values outside
    ``CREDENTIALS_TYPE_VALUES`` (added by a newer server) are passed through unchanged."""
    return cast(CredentialsType, value)
