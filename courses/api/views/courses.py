"""Courses: catalogue, detail, lifecycle (publish, archive, duplicate)."""

import json
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import is_admin
from courses import permissions as perms
from courses import selectors, services
from courses.api import serializers as s
from courses.api.reorder import OutlineReorderSerializer
from courses.api.views.common import (
    SLUG_REGEX,
    _ReadOpenWriteAuthenticated,
    _UploadThrottle,
    acting_user,
    plain,
)
from courses.cache import catalogue_cache_key, course_cache_key
from courses.models import Course
from lms.api.responses import envelope_bytes, prerendered_response
from lms.api.serializers import EmptySerializer
from lms.cache import cached_local

_DEFAULT_QUERY: dict[str, Any] = {}


def _catalogue_query(request: Request) -> dict[str, Any]:
    """The validated query; the bare catalogue (no parameters, the hottest read) reuses
    the defaults validated once."""
    if not request.query_params:
        if not _DEFAULT_QUERY:
            _DEFAULT_QUERY.update(_validated({}))
        return dict(_DEFAULT_QUERY)
    return _validated(request.query_params)


def _validated(data: Any) -> dict[str, Any]:
    query = s.CourseQuerySerializer(data=data)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=[s.CourseQuerySerializer],
        responses=s.CourseListSerializer(many=True),
        description=(
            "The catalogue (published courses, the same for everyone), or with "
            "`scope=teaching` your courses in any status (items add `viewer_role` and "
            "`updated_at`), or with `scope=all` every course (admins)."
        ),
    ),
    retrieve=extend_schema(responses=s.CourseDetailSerializer),
    create=extend_schema(
        request=s.CourseInputSerializer, responses={201: s.CourseDetailSerializer}
    ),
    partial_update=extend_schema(
        request=s.CourseInputSerializer, responses=s.CourseDetailSerializer
    ),
    destroy=extend_schema(
        responses={204: None}, description="Owners and admins; drafts without learners only."
    ),
)
class CourseViewSet(_UploadThrottle, _ReadOpenWriteAuthenticated, viewsets.GenericViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.CourseDetailSerializer
    queryset = Course.objects.none()  # reads go through selectors

    def _course(self) -> Course:
        return selectors.course_get_visible(slug=self.kwargs["slug"], user=self.request.user)

    def _require(self, predicate: Callable[[Any, Course], bool], course: Course, why: str) -> None:
        """403 with `why` (401 when anonymous) unless `predicate(user, course)`."""
        if not predicate(self.request.user, course):
            self.permission_denied(self.request, message=why)

    def _detail_data(self, course: Course) -> dict[str, Any]:
        return plain(  # type: ignore[no-any-return]
            s.CourseDetailSerializer(
                selectors.course_detail(course=course), context={"request": self.request}
            ).data
        )

    def _detail(self, course: Course) -> Response:
        """After a write: fresh from the database (the write bumped the cache version)."""
        return Response(self._detail_data(course))

    def list(self, request: Request) -> HttpResponse:
        params = _catalogue_query(request)
        scope = params["scope"]
        if scope == "teaching" and not request.user.is_authenticated:
            self.permission_denied(request, message="Sign in to list your courses.")
        if scope == "all" and not is_admin(request.user):
            self.permission_denied(request, message="Only admins list every course.")
        filters = selectors.CourseFilters(**params)
        if scope != "catalogue":
            serializer_class: type[s.CourseListSerializer] = (
                s.TeachingCourseSerializer if scope == "teaching" else s.CourseListSerializer
            )
            return self._page(
                selectors.course_list(user=request.user, filters=filters), serializer_class
            )
        # The catalogue is the same for everyone: cache whole pages (versioned keys).
        # Keyed by the validated query and the page only, so junk parameters cannot
        # multiply entries; the host is in it because pagination links are absolute.
        known = {**params, **{k: request.query_params.get(k) for k in ("page", "page_size")}}
        fingerprint = request.build_absolute_uri(request.path) + json.dumps(
            known, sort_keys=True, default=str
        )

        def page_body() -> bytes:
            page = self._page(
                selectors.course_list(user=request.user, filters=filters), s.CourseListSerializer
            ).data
            return envelope_bytes(page["data"], page["meta"])

        return prerendered_response(cached_local(catalogue_cache_key(fingerprint), page_body))

    def _page(self, courses: QuerySet[Course], serializer_class: type[Any]) -> Response:
        page = self.paginate_queryset(courses)
        items = page if page is not None else list(courses)
        if serializer_class is s.TeachingCourseSerializer:
            selectors.remember_viewer_roles(list(items), self.request.user)
        data = serializer_class(items, many=True, context={"request": self.request}).data
        return self.get_paginated_response(data)

    def create(self, request: Request) -> Response:
        if not perms.can_create_course(request.user):
            self.permission_denied(request, message="Only instructors and admins create courses.")
        serializer = s.CourseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        course = services.course_create(by=acting_user(request), **serializer.validated_data)
        return Response(self._detail_data(course), status=status.HTTP_201_CREATED)

    def _readable(self) -> tuple[int, Course | None]:
        """The course a cached read is for: (id, the course if it was read). Anonymous
        readers (most catalogue traffic) may see public courses only, so the cached
        slug -> id answers without a query; signed-in users get the course with their
        role (a team sees its drafts)."""
        if self.request.user.is_authenticated:
            course = self._course()
            return course.pk, course
        course_id = selectors.public_course_id(slug=self.kwargs["slug"])
        if course_id is None:
            raise Http404("No such course.")
        return course_id, None

    def retrieve(self, request: Request, slug: str) -> HttpResponse:
        # Cached whole, as rendered bytes, under the course's version.
        course_id, course = self._readable()
        base = request.build_absolute_uri("/")
        body = cached_local(
            course_cache_key(course_id, f"detail-body:{base}"),
            lambda: envelope_bytes(self._detail_data(course or self._course())),
        )
        return prerendered_response(body)

    def partial_update(self, request: Request, slug: str) -> Response:
        course = self._course()
        self._require(perms.can_edit_course, course, "Only the course's instructors edit it.")
        serializer = s.CourseInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        course = services.course_update(
            course=course, by=acting_user(request), **serializer.validated_data
        )
        return self._detail(course)

    def destroy(self, request: Request, slug: str) -> Response:
        course = self._course()
        self._require(perms.can_delete_course, course, "Only owners delete a course.")
        services.course_delete(course=course, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, slug: str) -> Response:
        """Validates (title, description, a module with a lesson) and publishes."""
        course = self._course()
        self._require(perms.can_publish_course, course, "Only the course's instructors publish it.")
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        course = services.course_publish(course=course, by=acting_user(request))
        return self._detail(course)

    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, slug: str) -> Response:
        """Off the catalogue and closed to new enrollments; learners keep access."""
        course = self._course()
        self._require(perms.can_publish_course, course, "Only the course's instructors archive it.")
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        course = services.course_archive(course=course, by=acting_user(request))
        return self._detail(course)

    @extend_schema(request=s.CourseDuplicateSerializer, responses={201: s.CourseDetailSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, slug: str) -> Response:
        """A deep copy (details, tags, modules, lessons) as a new draft that you own."""
        course = self._course()
        self._require(perms.can_duplicate_course, course, "You cannot copy this course.")
        serializer = s.CourseDuplicateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.course_duplicate(
            course=course, by=acting_user(request), title=serializer.validated_data.get("title")
        )
        return Response(self._detail_data(copy), status=status.HTTP_201_CREATED)

    @extend_schema(request=OutlineReorderSerializer, responses=s.OutlineSerializer)
    @action(detail=True, methods=["post"], url_path="outline/reorder")
    def outline_reorder(self, request: Request, slug: str) -> Response:
        """Every module and lesson of the course in a new order, in one step: `modules`
        lists all the course's modules in order, each with all its lessons in order (a
        lesson listed under another module moves there). The ids must be exactly the
        course's, each once; an order read before a module or lesson was added or deleted
        is refused whole (409 `outline_changed`). Answers the new outline."""
        course = self._course()
        self._require(
            perms.can_edit_course, course, "Only the course's instructors change its structure."
        )
        serializer = OutlineReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.course_outline_reorder(
            course=course, modules=serializer.order(), by=acting_user(request)
        )
        return Response({"course": course.slug, **selectors.course_outline(course=course)})

    @extend_schema(request=None, responses=s.OutlineSerializer)
    @action(detail=True, methods=["get"])
    def outline(self, request: Request, slug: str) -> HttpResponse:
        """Modules and lessons in order, without content. Each lesson's `state` is the
        signed-in learner's progress and access (null for everyone else); a quiz or
        assignment lesson carries the id of its activity in `activity_id`."""
        course_id, course = self._readable()
        if course is not None:  # signed in: a learner's outline carries their state
            structure = selectors.course_outline(course=course)
            states = selectors.course_outline_states(
                course=course, user=request.user, outline=structure
            )
            if states:
                return Response(
                    {"course": course.slug, **selectors.outline_with_states(structure, states)}
                )

        def body() -> bytes:
            read = course or self._course()
            return envelope_bytes({"course": read.slug, **selectors.course_outline(course=read)})

        # The same for every viewer without a state: cached whole, as rendered bytes.
        return prerendered_response(cached_local(course_cache_key(course_id, "outline-body"), body))
