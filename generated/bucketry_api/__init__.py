"""A client library for accessing Bucketry API"""

from .api import BASE_PATH, DEFAULT_TIMEOUT, ApiClient
from .client import AuthenticatedClient, Client
from .errors import ApiError, ClientError, ServerError, UnexpectedStatusError

__all__ = (
    "BASE_PATH",
    "DEFAULT_TIMEOUT",
    "ApiClient",
    "ApiError",
    "AuthenticatedClient",
    "Client",
    "ClientError",
    "ServerError",
    "UnexpectedStatusError",
)
