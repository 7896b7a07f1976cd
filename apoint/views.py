"""Plain Django views: media files and the JSON 404 under /api/."""

import mimetypes

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from apoint.errors import MSG_NOT_FOUND, Ret
from apoint.middleware import json_error

MEDIA_CACHE_SECONDS = 7 * 24 * 3600


def api_not_found(request: HttpRequest) -> HttpResponse:
    return json_error(Ret.NOT_FOUND, MSG_NOT_FOUND, 404)


def serve_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded file from local storage.

    Stored names are random, so a name works as a capability; with object
    storage the URLs point at the bucket instead.
    """
    if ".." in path.split("/") or path.startswith("/"):
        raise Http404
    try:
        handle = default_storage.open(path, "rb")
    except (OSError, SuspiciousFileOperation):
        raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={MEDIA_CACHE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
