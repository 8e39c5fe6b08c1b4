"""Bucketry high-level SDK: one API for data that lives in buckets.

from bucketry import Client
client = Client()                       # BUCKETRY_URL, BUCKETRY_TOKEN or the config file
bucket = client.buckets.create("images")
bucket.upload("photos/", "raw/")
"""

from ._version import __version__
from .client import Client  # noqa: E402
from .errors import (  # noqa: E402
    APIConnectionError,
    ApiError,
    APITimeoutError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    BucketryError,
    ConfigurationError,
    ConflictError,
    GatewayTimeoutError,
    IntegrityError,
    NotFoundError,
    OperationCancelledError,
    OperationError,
    OperationFailed,
    OperationTimeoutError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RangeNotSatisfiableError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from .pagination import Pager  # noqa: E402
from .progress import (  # noqa: E402
    ProgressAdvance,
    ProgressEvent,
    ProgressFail,
    ProgressFinish,
    ProgressStart,
)
from .resources.asset_media import AppendResult, BulkOutcome, ItemResult  # noqa: E402
from .resources.assets import Asset, AssetPager, AssetsRepo, Label  # noqa: E402
from .resources.blobs import Blob, BlobInfo, BlobReader  # noqa: E402
from .resources.buckets import Bucket  # noqa: E402
from .resources.buckets_repo import BucketsRepo  # noqa: E402
from .resources.connections import (  # noqa: E402
    Connection,
    ConnectionPlan,
    ConnectionsRepo,
    SyncOutcome,
)
from .resources.credentials import Credential, Token  # noqa: E402
from .resources.imported import ContentEntry, StatusReport  # noqa: E402
from .resources.operations import Operation, OperationProgress, OperationsRepo  # noqa: E402
from .resources.projects import Project, ProjectsRepo  # noqa: E402
from .resources.uploads import Upload  # noqa: E402
from .resources.usage import BucketUsage, Usage  # noqa: E402
from .resources.zips import (  # noqa: E402
    ZipArchive,
    ZipListing,
    ZipMember,
    ZipMemberReader,
    ZipUnsupportedError,
)
from .transfer.options import TransferOptions  # noqa: E402
from .transfer.unzip import UnsafeArchiveError  # noqa: E402

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ApiError",
    "AppendResult",
    "Asset",
    "AssetPager",
    "AssetsRepo",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "Blob",
    "BlobInfo",
    "BlobReader",
    "Bucket",
    "BucketUsage",
    "BucketryError",
    "BucketsRepo",
    "BulkOutcome",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "Connection",
    "ConnectionPlan",
    "ConnectionsRepo",
    "ContentEntry",
    "Credential",
    "GatewayTimeoutError",
    "IntegrityError",
    "ItemResult",
    "Label",
    "NotFoundError",
    "Operation",
    "OperationCancelledError",
    "OperationError",
    "OperationFailed",
    "OperationProgress",
    "OperationTimeoutError",
    "OperationsRepo",
    "Pager",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "ProgressAdvance",
    "ProgressEvent",
    "ProgressFail",
    "ProgressFinish",
    "ProgressStart",
    "Project",
    "ProjectsRepo",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "ServerError",
    "StatusReport",
    "SyncOutcome",
    "Token",
    "TransferOptions",
    "UnprocessableEntityError",
    "UnsafeArchiveError",
    "Upload",
    "Usage",
    "ZipArchive",
    "ZipListing",
    "ZipMember",
    "ZipMemberReader",
    "ZipUnsupportedError",
    "__version__",
]
