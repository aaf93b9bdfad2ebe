"""The local signed-download endpoint (Azure serves its own SAS URLs)."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from assignments.services.files import submission_storage, unsign_download


@require_GET
def file_download(request: HttpRequest, token: str) -> FileResponse:
    """A file named by a Django-signed, short-lived token (local storage). The token was
    issued after the permission check; a forged or expired one is a 404."""
    data = unsign_download(token)
    if data is None:
        raise Http404
    try:
        handle = submission_storage().open(str(data["k"]), "rb")
    except (OSError, KeyError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=str(data["n"]), content_type=str(data["t"])
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
