"""users/me/ for everyone; users/ and users/{id}/ for admins."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.api.common import validated
from accounts.models import User
from accounts.permissions import IsAdminRole, is_admin
from accounts.services.users import (
    user_change_role,
    user_invite,
    user_set_active,
    user_unlock,
    user_update_profile,
)
from lms.api.serializers import EmptySerializer


class MeView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: s.UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request.user).data)  # type: ignore[arg-type]

    @extend_schema(request=s.ProfileUpdateSerializer, responses={200: s.UserSerializer})
    def patch(self, request: Request) -> Response:
        # role, email, is_active ...: unknown here, so refused by name, never ignored.
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


@extend_schema_view(list=extend_schema(parameters=[s.UserQuerySerializer]))
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
        if self.action != "list":
            return users
        # A plain dict: from a QueryDict, DRF would read a missing boolean as false.
        query = s.UserQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        role, active = query.validated_data.get("role"), query.validated_data["is_active"]
        if role is not None:
            users = users.filter(role=role)
        if active is not None:
            users = users.filter(is_active=active)
        return users

    @extend_schema(request=s.InviteSerializer, responses={201: s.AdminUserSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor: User = request.user  # type: ignore[assignment]
        user = user_invite(**validated(request, s.InviteSerializer), actor=actor)
        return Response(s.AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdminUserUpdateSerializer, responses={200: s.AdminUserSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        data = validated(request, s.AdminUserUpdateSerializer)
        actor: User = request.user  # type: ignore[assignment]
        with transaction.atomic():  # both changes or neither
            if "role" in data:
                user = user_change_role(user=user, role=data["role"], actor=actor)
            if "is_active" in data:
                user = user_set_active(user=user, active=data["is_active"], actor=actor)
        return Response(s.AdminUserSerializer(user).data)

    @extend_schema(request=None, responses={200: s.AdminUserSerializer})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        validated(request, EmptySerializer)
        user = user_unlock(user=user, actor=request.user)  # type: ignore[arg-type]
        return Response(s.AdminUserSerializer(user).data)
