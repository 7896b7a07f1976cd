"""Image uploads: decode, check, re-encode without metadata, store."""

import datetime
import io
import logging
import math
import secrets
import warnings
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from apoint.models import OrderPhoto
from apoint.storage import (
    StorageUnavailable,
    is_object_storage,
    object_key_from_url,
    storage_delete,
    storage_save,
)

logger = logging.getLogger(__name__)

# Pillow format name -> (format to save as, file extension).
ACCEPTED_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    # Many phone cameras write JPEG files with a second, multi-picture frame,
    # which Pillow reports as MPO. The first frame is the photo.
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "GIF": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
}
# Photos larger than this on their long side are scaled down. 2048 pixels
# shows a birthmark's edges on any phone or office screen, and lets the JPEG
# decoder scale a 12-megapixel camera photo by half while decoding, about a
# third of the full decode's time (docs/benchmarks.md).
MAX_SIDE = 2048
UPLOAD_FOLDER = "photos"


class UploadError(Exception):
    """The upload was rejected; the message is shown to the user."""


def _open_image(data: bytes) -> Image.Image:
    # Pillow raises DecompressionBombError only at twice MAX_IMAGE_PIXELS;
    # the pixel count is checked from the header below, before decoding.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise UploadError(
            f"图片尺寸过大，像素数不能超过{settings.APOINT_UPLOAD_MAX_PIXELS}"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        # Pillow raises ValueError at open for a PNG text or ICC chunk that
        # decompresses past PngImagePlugin.MAX_TEXT_CHUNK.
        raise UploadError(
            "无法识别的图片，请上传 JPEG、PNG、GIF 或 WebP 图片"
        ) from None
    if image.format not in ACCEPTED_FORMATS:
        raise UploadError("只支持 JPEG、PNG、GIF 或 WebP 图片")
    width, height = image.size
    if width * height > settings.APOINT_UPLOAD_MAX_PIXELS:
        raise UploadError(
            f"图片尺寸过大（{width}×{height}），"
            f"像素数不能超过{settings.APOINT_UPLOAD_MAX_PIXELS}"
        )
    return image


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """Return the size to ask the JPEG decoder for, to decode at 1/2 to 1/8.

    The decoder scales by the largest power of two whose result is still at
    least the size asked for. This picks the largest one that keeps the long
    side at 3/4 of MAX_SIDE or more, so a 4032x3024 photo decodes at
    2016x1512 while a 3000-pixel one decodes whole and is resized to 2048.
    """
    width, height = size
    scale = 1
    while scale < 8 and max(width, height) / (scale * 2) >= MAX_SIDE * 3 / 4:
        scale *= 2
    return (math.ceil(width / scale), math.ceil(height / scale))


def process_image(data: bytes) -> tuple[bytes, str, int, int]:
    """Return the re-encoded image, its extension, width and height.

    The EXIF orientation is applied first. Nothing of the original metadata
    (EXIF, GPS, XMP, ICC, PNG text, comments) is written back. `info` is
    cleared before saving because Pillow's PNG encoder (13.0) copies
    `info["icc_profile"]` into its output.
    """
    image = _open_image(data)
    save_format, extension = ACCEPTED_FORMATS[image.format or ""]
    source_format = image.format
    try:
        if source_format in {"JPEG", "MPO"}:
            image.draft("RGB", _draft_size(image.size))
        image.load()
        image = ImageOps.exif_transpose(image)
        if max(image.size) > MAX_SIDE:
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        image.info = _kept_info(image.info)
        output = io.BytesIO()
        if save_format == "JPEG":
            if image.mode not in {"RGB", "L"}:
                image = image.convert("RGB")
            image.save(output, "JPEG", quality=85, optimize=False)
        elif save_format == "WEBP":
            image.save(output, "WEBP", quality=85)
        else:
            if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
                image = image.convert("RGBA")
            image.save(output, "PNG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise UploadError("图片已损坏，无法读取") from None
    return output.getvalue(), extension, image.width, image.height


def _kept_info(
    info: dict[str | tuple[int, int], Any],
) -> dict[str | tuple[int, int], Any]:
    """Return the only entry of `info` that is pixel data, not metadata."""
    if "transparency" in info:
        return {"transparency": info["transparency"]}
    return {}


def photo_store(upload: UploadedFile) -> OrderPhoto:
    """Check, re-encode and store an uploaded image as an unattached photo."""
    if upload.size is not None and upload.size > settings.APOINT_UPLOAD_MAX_BYTES:
        limit_mb = settings.APOINT_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise UploadError(f"图片不能超过{limit_mb}MB")
    data = upload.read()
    content, extension, width, height = process_image(data)
    name = f"{UPLOAD_FOLDER}/{secrets.token_urlsafe(18)}.{extension}"
    # The object is written before its row, so no row ever points at a
    # missing object. A failed insert deletes the object again.
    try:
        stored_name = storage_save(default_storage, name, ContentFile(content))
    except StorageUnavailable:
        raise UploadError("图片保存失败，存储服务暂时不可用，请稍后再试") from None
    try:
        photo = OrderPhoto.objects.create(
            file=stored_name, width=width, height=height, size=len(content)
        )
    except DatabaseError:
        storage_delete(default_storage, stored_name)
        raise
    logger.info("photo %s stored as %s (%d bytes)", photo.pk, stored_name, len(content))
    return photo


def photo_purge_unattached(*, older_than: datetime.timedelta) -> int:
    """Delete uploads that no order claimed within `older_than`, files too.

    Returns the number of photos deleted. A process that stops between a
    row and its file leaves that file without a row, which no later run sees.
    """
    cutoff = timezone.now() - older_than
    stale = OrderPhoto.objects.filter(order__isnull=True, uploaded_at__lt=cutoff)
    deleted = 0
    for photo_id, name in stale.values_list("id", "file").iterator():
        # The row goes first and only while still unattached, so a photo
        # that a submission claims meanwhile keeps its file.
        if OrderPhoto.objects.filter(pk=photo_id, order__isnull=True).delete()[0]:
            default_storage.delete(name)
            deleted += 1
    logger.info("purged %d unattached photos older than %s", deleted, cutoff)
    return deleted


def photo_url(request: HttpRequest, name: str) -> str:
    """Return the absolute URL of a stored photo.

    With object storage this is a presigned GET that expires after
    S3_URL_EXPIRE_SECONDS; `build_absolute_uri` leaves it as it is.
    """
    return request.build_absolute_uri(default_storage.url(name))


def photo_name_from_url(request: HttpRequest, url: str) -> str | None:
    """Return the stored name behind a URL that `photo_url` made, else None.

    Only the form of the URL is checked here; the submission then accepts
    only names that have an unattached upload row.
    """
    # Presigned URLs carry about 600 characters of query string.
    if not isinstance(url, str) or len(url) > 2000:
        return None
    if is_object_storage(default_storage):
        return _checked_name(object_key_from_url(default_storage, url))
    if len(url) > 500:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.netloc != request.get_host():
        return None
    prefix = settings.MEDIA_URL + UPLOAD_FOLDER + "/"
    if not parts.path.startswith(prefix) or parts.query or parts.fragment:
        return None
    name = parts.path[len(settings.MEDIA_URL) :]
    if "/" in name[len(UPLOAD_FOLDER) + 1 :] or ".." in name:
        return None
    return name


def _checked_name(name: str | None) -> str | None:
    """Return `name` if it has the form of a name `photo_store` makes."""
    if name is None or not name.startswith(UPLOAD_FOLDER + "/"):
        return None
    if "/" in name[len(UPLOAD_FOLDER) + 1 :] or ".." in name:
        return None
    return name
