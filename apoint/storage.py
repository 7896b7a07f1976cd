"""Upload storage: the local file system or an S3-compatible bucket.

The database stores object keys (storage names) only. URLs are made per
response: `/media/...` for local files, a presigned GET that expires for
a bucket, because the photos are children's health data.
"""

import logging
import os
from urllib.parse import unquote, urlsplit

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import File
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

# Exceptions a storage call raises when the store is down, full or rejects it.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError, Boto3Error)
_REFERENCE_NAME = "probe"


class StorageUnavailable(Exception):
    """The storage did not complete the operation."""


def is_object_storage(storage: Storage) -> bool:
    return isinstance(storage, S3Storage)


def storage_save(storage: Storage, name: str, content: File) -> str:
    """Save `content` under `name` and return the stored name.

    Raises StorageUnavailable when the store is unreachable, full or
    rejects the write; boto3 has already retried by then.
    """
    try:
        return storage.save(name, content)
    except STORAGE_ERRORS as error:
        logger.error("storage save of %s failed: %s", name, error)
        raise StorageUnavailable(str(error)) from error


def storage_delete(storage: Storage, name: str) -> bool:
    """Delete `name`; return False, after logging, when the store failed."""
    try:
        storage.delete(name)
    except STORAGE_ERRORS as error:
        logger.error("storage delete of %s failed: %s", name, error)
        return False
    return True


def storage_check(storage: Storage) -> None:
    """Raise StorageUnavailable unless the store responds and accepts writes."""
    if isinstance(storage, S3Storage):
        try:
            storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        except STORAGE_ERRORS as error:
            raise StorageUnavailable(f"bucket {storage.bucket_name}: {error}") from None
        return
    location = getattr(storage, "location", "")
    try:
        os.makedirs(location, exist_ok=True)
    except OSError as error:
        raise StorageUnavailable(f"{location}: {error}") from None
    if not os.access(location, os.W_OK):
        raise StorageUnavailable(f"{location} is not writable")


def object_key_from_url(storage: Storage, url: str) -> str | None:
    """Return the object key of a URL that `storage.url()` made, else None.

    The query string (signature, expiry) is ignored, so an expired URL
    still maps to its key. Scheme, host and the path up to the key must
    be the ones this storage uses now.
    """
    reference = urlsplit(storage.url(_REFERENCE_NAME))
    prefix = reference.path[: -len(_REFERENCE_NAME)]
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (reference.scheme, reference.netloc):
        return None
    if parts.fragment or not parts.path.startswith(prefix):
        return None
    return unquote(parts.path[len(prefix) :])
