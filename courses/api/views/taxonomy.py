"""Categories and tags."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAdminRole
from courses import selectors, services
from courses.api import serializers as s
from courses.api.views.common import (
    SLUG_REGEX,
)
from courses.models import Category, Tag


class _AdminWrites:
    def get_permissions(self) -> list[BasePermission]:
        request: Request = self.request  # type: ignore[attr-defined]
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsAdminRole()]


@extend_schema_view(
    create=extend_schema(request=s.CategoryInputSerializer, responses={201: s.CategorySerializer}),
    partial_update=extend_schema(request=s.CategoryInputSerializer, responses=s.CategorySerializer),
    destroy=extend_schema(responses={204: None}),
)
class CategoryViewSet(_AdminWrites, viewsets.ReadOnlyModelViewSet[Category]):
    """Two levels of categories. Everyone reads; admins write."""

    serializer_class = s.CategorySerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()

    def _out(self, category: Category) -> dict[str, Any]:
        return s.CategorySerializer(selectors.category_list().get(pk=category.pk)).data

    def create(self, request: Request) -> Response:
        serializer = s.CategoryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(**serializer.validated_data)
        return Response(self._out(category), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, slug: str) -> Response:
        category = self.get_object()
        serializer = s.CategoryInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = services.category_update(category=category, **serializer.validated_data)
        return Response(self._out(category))

    def destroy(self, request: Request, slug: str) -> Response:
        services.category_delete(category=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=s.TagInputSerializer, responses={201: s.TagSerializer}),
    partial_update=extend_schema(request=s.TagInputSerializer, responses=s.TagSerializer),
    destroy=extend_schema(responses={204: None}),
)
class TagViewSet(_AdminWrites, viewsets.ReadOnlyModelViewSet[Tag]):
    """Tags. Everyone reads; admins write."""

    serializer_class = s.TagSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    pagination_class = None

    def get_queryset(self) -> QuerySet[Tag]:
        return selectors.tag_list()

    def create(self, request: Request) -> Response:
        serializer = s.TagInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = services.tag_create(**serializer.validated_data)
        return Response(s.TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, slug: str) -> Response:
        tag = self.get_object()
        serializer = s.TagInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tag = services.tag_update(tag=tag, **serializer.validated_data)
        return Response(s.TagSerializer(tag).data)

    def destroy(self, request: Request, slug: str) -> Response:
        services.tag_delete(tag=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
