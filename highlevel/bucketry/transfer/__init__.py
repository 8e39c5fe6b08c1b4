"""The transfer engine: ``upload``/``download`` of files and folders, and ``BlobWriter``.

- ``single``: one streamed PUT per file; ``multipart``: parallel parts with resume;
  ``batches`` + ``tarstream``: a folder's small files as tar batches, one request per
  ``batch_files`` files (falling back to ``single`` on servers without the batch route);
  ``downloads``: streamed, verified, resumable downloads through partial files;
  ``folders``: local walks, remote listings, safe key→path mapping, the per-file pool;
  ``filters``: include/exclude globs and ``.bucketryignore``; ``mtimes``: clock-aware ``update``;
  ``checksums``, ``bodies``, ``retry``, ``tracking``: the pieces they share.
"""

from .downloads import download
from .filters import IGNORE_FILE, PathFilter
from .mtimes import is_newer, remote_mtime_ns, server_offset_ns
from .report import FileResult, TransferError, TransferReport
from .uploads import upload
from .writer import BlobWriter

__all__ = [
    "IGNORE_FILE",
    "BlobWriter",
    "FileResult",
    "PathFilter",
    "TransferError",
    "TransferReport",
    "download",
    "is_newer",
    "remote_mtime_ns",
    "server_offset_ns",
    "upload",
]
