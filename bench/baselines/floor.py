"""The floor: the cheapest JSON answer the stack can give. No database, no authentication,
no DRF: what remains is Django's request/response cycle and the middleware, which every
other scenario pays too."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

# Encoded once: the floor must not even pay for json.dumps.
BODY = b'{"data":{"ok":true},"meta":{}}'


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")
