"""Contains all the data models used in inputs/outputs"""

from .access_mode import AccessMode
from .asset import Asset
from .asset_append import AssetAppend
from .asset_input import AssetInput
from .asset_input_json_content_type_0 import AssetInputJsonContentType0
from .asset_input_json_metadata_type_0 import AssetInputJsonMetadataType0
from .asset_json_content_type_0 import AssetJsonContentType0
from .asset_json_metadata import AssetJsonMetadata
from .asset_listed import AssetListed
from .asset_listed_labels_item import AssetListedLabelsItem
from .asset_page import AssetPage
from .asset_selection import AssetSelection
from .asset_status import AssetStatus
from .asset_update import AssetUpdate
from .asset_update_item import AssetUpdateItem
from .asset_update_item_json_content_type_0 import AssetUpdateItemJsonContentType0
from .asset_update_item_json_metadata_type_0 import AssetUpdateItemJsonMetadataType0
from .asset_update_json_content_type_0 import AssetUpdateJsonContentType0
from .asset_update_json_metadata import AssetUpdateJsonMetadata
from .asset_update_many import AssetUpdateMany
from .assets_list_fields_item import AssetsListFieldsItem
from .blob import Blob
from .blob_batch_item import BlobBatchItem
from .blob_batch_result import BlobBatchResult
from .blob_copy import BlobCopy
from .blob_delete_item import BlobDeleteItem
from .blob_delete_many import BlobDeleteMany
from .blob_delete_many_result import BlobDeleteManyResult
from .blob_metadata import BlobMetadata
from .blob_order import BlobOrder
from .blob_page import BlobPage
from .bucket import Bucket
from .bucket_action import BucketAction
from .bucket_actions import BucketActions
from .bucket_content import BucketContent
from .bucket_content_entry import BucketContentEntry
from .bucket_create import BucketCreate
from .bucket_delete_result import BucketDeleteResult
from .bucket_import import BucketImport
from .bucket_import_provider import BucketImportProvider
from .bucket_page import BucketPage
from .bucket_status import BucketStatus
from .bucket_status_report import BucketStatusReport
from .bucket_update import BucketUpdate
from .bucket_usage import BucketUsage
from .bucket_usage_item import BucketUsageItem
from .buckets_list_sort import BucketsListSort
from .bulk_item_result import BulkItemResult
from .bulk_result import BulkResult
from .completed_part import CompletedPart
from .connection import Connection
from .connection_create import ConnectionCreate
from .connection_diff import ConnectionDiff
from .connection_page import ConnectionPage
from .connection_sync_request import ConnectionSyncRequest
from .connection_sync_result import ConnectionSyncResult
from .count import Count
from .credential import Credential
from .credential_create import CredentialCreate
from .credential_created import CredentialCreated
from .credential_page import CredentialPage
from .credentials_type import CredentialsType
from .diff_add import DiffAdd
from .diff_remove import DiffRemove
from .entry_type import EntryType
from .field_error import FieldError
from .folder_entry import FolderEntry
from .health import Health
from .input_type import InputType
from .label import Label
from .label_create import LabelCreate
from .label_create_json_response import LabelCreateJsonResponse
from .label_json_response import LabelJsonResponse
from .label_page import LabelPage
from .label_type import LabelType
from .operation import Operation
from .operation_create import OperationCreate
from .operation_kind import OperationKind
from .operation_page import OperationPage
from .operation_params import OperationParams
from .operation_progress import OperationProgress
from .operation_result_type_0 import OperationResultType0
from .operation_status import OperationStatus
from .organization import Organization
from .problem import Problem
from .project import Project
from .project_create import ProjectCreate
from .project_create_json_interface_type_0 import ProjectCreateJsonInterfaceType0
from .project_json_interface_type_0 import ProjectJsonInterfaceType0
from .project_page import ProjectPage
from .project_update import ProjectUpdate
from .project_update_json_interface_type_0 import ProjectUpdateJsonInterfaceType0
from .provider import Provider
from .provider_credentials import ProviderCredentials
from .public_access import PublicAccess
from .signed_url import SignedUrl
from .signed_url_item import SignedUrlItem
from .signed_url_item_method import SignedUrlItemMethod
from .signed_url_kind import SignedUrlKind
from .signed_url_list import SignedUrlList
from .signed_url_request import SignedUrlRequest
from .sort_direction import SortDirection
from .tmp_credentials import TmpCredentials
from .tmp_credentials_request import TmpCredentialsRequest
from .token import Token
from .token_create import TokenCreate
from .token_created import TokenCreated
from .token_page import TokenPage
from .upload import Upload
from .upload_complete import UploadComplete
from .upload_create import UploadCreate
from .upload_create_metadata import UploadCreateMetadata
from .upload_metadata import UploadMetadata
from .upload_page import UploadPage
from .upload_part import UploadPart
from .user import User
from .user_usage import UserUsage
from .zip_listing import ZipListing
from .zip_member import ZipMember
from .zip_range import ZipRange

__all__ = (
    "AccessMode",
    "Asset",
    "AssetAppend",
    "AssetInput",
    "AssetInputJsonContentType0",
    "AssetInputJsonMetadataType0",
    "AssetJsonContentType0",
    "AssetJsonMetadata",
    "AssetListed",
    "AssetListedLabelsItem",
    "AssetPage",
    "AssetSelection",
    "AssetStatus",
    "AssetUpdate",
    "AssetUpdateItem",
    "AssetUpdateItemJsonContentType0",
    "AssetUpdateItemJsonMetadataType0",
    "AssetUpdateJsonContentType0",
    "AssetUpdateJsonMetadata",
    "AssetUpdateMany",
    "AssetsListFieldsItem",
    "Blob",
    "BlobBatchItem",
    "BlobBatchResult",
    "BlobCopy",
    "BlobDeleteItem",
    "BlobDeleteMany",
    "BlobDeleteManyResult",
    "BlobMetadata",
    "BlobOrder",
    "BlobPage",
    "Bucket",
    "BucketAction",
    "BucketActions",
    "BucketContent",
    "BucketContentEntry",
    "BucketCreate",
    "BucketDeleteResult",
    "BucketImport",
    "BucketImportProvider",
    "BucketPage",
    "BucketStatus",
    "BucketStatusReport",
    "BucketUpdate",
    "BucketUsage",
    "BucketUsageItem",
    "BucketsListSort",
    "BulkItemResult",
    "BulkResult",
    "CompletedPart",
    "Connection",
    "ConnectionCreate",
    "ConnectionDiff",
    "ConnectionPage",
    "ConnectionSyncRequest",
    "ConnectionSyncResult",
    "Count",
    "Credential",
    "CredentialCreate",
    "CredentialCreated",
    "CredentialPage",
    "CredentialsType",
    "DiffAdd",
    "DiffRemove",
    "EntryType",
    "FieldError",
    "FolderEntry",
    "Health",
    "InputType",
    "Label",
    "LabelCreate",
    "LabelCreateJsonResponse",
    "LabelJsonResponse",
    "LabelPage",
    "LabelType",
    "Operation",
    "OperationCreate",
    "OperationKind",
    "OperationPage",
    "OperationParams",
    "OperationProgress",
    "OperationResultType0",
    "OperationStatus",
    "Organization",
    "Problem",
    "Project",
    "ProjectCreate",
    "ProjectCreateJsonInterfaceType0",
    "ProjectJsonInterfaceType0",
    "ProjectPage",
    "ProjectUpdate",
    "ProjectUpdateJsonInterfaceType0",
    "Provider",
    "ProviderCredentials",
    "PublicAccess",
    "SignedUrl",
    "SignedUrlItem",
    "SignedUrlItemMethod",
    "SignedUrlKind",
    "SignedUrlList",
    "SignedUrlRequest",
    "SortDirection",
    "TmpCredentials",
    "TmpCredentialsRequest",
    "Token",
    "TokenCreate",
    "TokenCreated",
    "TokenPage",
    "Upload",
    "UploadComplete",
    "UploadCreate",
    "UploadCreateMetadata",
    "UploadMetadata",
    "UploadPage",
    "UploadPart",
    "User",
    "UserUsage",
    "ZipListing",
    "ZipMember",
    "ZipRange",
)
