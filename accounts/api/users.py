"""users/me/ for everyone; users/ and users/{id}/ for admins."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.api.errors import raise_account_error
from accounts.models import User
from accounts.permissions import IsAdminRole, is_admin
from accounts.services.users import (
    AccountError,
    user_change_role,
    user_invite,
    user_set_active,
    user_unlock,
    user_update_profile,
)


class MeView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: s.UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request.user).data)  # type: ignore[arg-type]

    @extend_schema(request=s.ProfileUpdateSerializer, responses={200: s.UserSerializer})
    def patch(self, request: Request) -> Response:
        allowed = set(s.ProfileUpdateSerializer().fields)
        unknown = sorted(set(request.data) - allowed)
        if unknown:  # role, email, is_active ...: say so rather than silently ignore
            raise ValidationError(
                {name: ["This field cannot be changed here."] for name in unknown},
                code="read_only",
            )
        serializer = s.ProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        avatar = data.pop("avatar", False)
        user = user_update_profile(
            user=request.user,  # type: ignore[arg-type]
            avatar=avatar or None,
            clear_avatar=avatar is None,
            **data,
        )
        return Response(s.UserSerializer(user).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("role", enum=User.Role.values),
            OpenApiParameter("is_active", bool),
        ]
    )
)
class UserAdminViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Only admins see other users: others get 403 on the list and 404 on any user."""

    serializer_class = s.AdminUserSerializer
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["email", "first_name", "last_name"]
    ordering_fields = ["id", "email", "date_joined", "last_login"]
    ordering = ["id"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in {"list", "create"}:
            return [IsAuthenticated(), IsAdminRole()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[User]:
        if not is_admin(self.request.user):
            return User.objects.none()
        users = User.objects.select_related("totp_device")
        role = self.request.query_params.get("role")
        if role is not None:
            if role not in User.Role.values:
                raise ValidationError({"role": [f"Choose one of {', '.join(User.Role.values)}."]})
            users = users.filter(role=role)
        active = self.request.query_params.get("is_active")
        if active is not None:
            if active not in {"true", "false"}:
                raise ValidationError({"is_active": ["Use true or false."]})
            users = users.filter(is_active=active == "true")
        return users

    @extend_schema(request=s.InviteSerializer, responses={201: s.AdminUserSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor: User = request.user  # type: ignore[assignment]
        try:
            user = user_invite(**serializer.validated_data, actor=actor, request=request)
        except AccountError as exc:
            raise_account_error(exc, field="email")
        return Response(s.AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdminUserUpdateSerializer, responses={200: s.AdminUserSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = s.AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor: User = request.user  # type: ignore[assignment]
        try:
            with transaction.atomic():  # both changes or neither
                if "role" in data:
                    user = user_change_role(
                        user=user, role=data["role"], actor=actor, request=request
                    )
                if "is_active" in data:
                    user = user_set_active(
                        user=user, active=data["is_active"], actor=actor, request=request
                    )
        except AccountError as exc:
            raise_account_error(exc)
        return Response(s.AdminUserSerializer(user).data)

    @extend_schema(request=None, responses={200: s.AdminUserSerializer})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        user = user_unlock(user=self.get_object(), actor=request.user, request=request)  # type: ignore[arg-type]
        return Response(s.AdminUserSerializer(user).data)
