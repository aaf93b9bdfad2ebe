"""Small helpers shared by the accounts API views."""

from typing import Any

from rest_framework.request import Request

CHALLENGE = 'Bearer realm="api"'


def validated(request: Request, serializer_class: type[Any]) -> dict[str, Any]:
    """The request body through a (strict) input serializer; a 400 naming the fields else."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def user_agent(request: Request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))
