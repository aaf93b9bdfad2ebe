"""Small views built from the platform's parts, used only by the platform's tests.

They stand in for the apps' endpoints, which later issues add, so that the envelope,
problem documents, pagination and throttles are tested through real DRF requests.
"""

import logging

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.api.pagination import CursorPagination

logger = logging.getLogger("lms.tests.platform")


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "email", "role"]


class SignupInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(min_length=12)
    age = serializers.IntegerField(min_value=13)


class EchoView(APIView):
    """GET returns an object; POST validates a body (and logs it carelessly on purpose)."""

    permission_classes = [permissions.AllowAny]
    throttle_scope = "auth"

    def get(self, request: Request) -> Response:
        return Response({"hello": "world"})

    def post(self, request: Request) -> Response:
        # What a careless developer writes: the log redaction must still keep secrets out.
        logger.info(
            "signup attempt %s",
            dict(request.data),
            extra={"body": dict(request.data), "headers": dict(request.headers)},
        )
        serializer = SignupInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"email": serializer.validated_data["email"]}, status=201)


class UserListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = UserOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return get_user_model().objects.order_by("id")


class UserDetailView(generics.RetrieveAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = UserOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return get_user_model().objects.all()


class UserCursorListView(UserListView):
    pagination_class = CursorPagination


class AdminOnlyView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request: Request) -> Response:
        return Response({"secret": "admins only"})


class BoomView(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("internal detail that must not leak")


class DatabaseDownView(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        import psycopg
        from django.db import OperationalError

        cause = psycopg.OperationalError('connection to server at "10.0.0.9" failed: refused')
        raise OperationalError(str(cause)) from cause


def django_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain Django view failing")
