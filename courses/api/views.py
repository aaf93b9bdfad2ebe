"""Courses API: thin viewsets. Selectors read (with visibility), predicates decide,
services write. Invisible objects are 404; visible but forbidden is 403 (401 anonymous)."""

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any, NoReturn, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts.permissions import IsAdminRole, is_admin
from courses import permissions as perms
from courses import selectors, services
from courses.api import serializers as s
from courses.cache import cached, catalogue_cache_key, course_cache_key
from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag
from lms.api.exceptions import Conflict
from lms.api.responses import envelope_response

T = TypeVar("T")
SLUG_REGEX = r"[-a-zA-Z0-9_]+"
ID_REGEX = r"[0-9]+"
COURSE_SLUG_PARAMETER = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)


def run(service: Callable[..., T], **kwargs: Any) -> T:
    """Calls a service; its state conflicts become 409 problems (ValidationErrors become
    400 problems in the exception handler)."""
    try:
        return service(**kwargs)
    except services.CourseConflict as exc:
        raise Conflict(exc.message, code=exc.code) from exc


def plain(data: Any) -> Any:
    """Serializer output as plain JSON types, ready for the cache."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


class _ReadOpenWriteAuthenticated:
    """Reads are open (visibility is the selectors' job); writes need a login."""

    def get_permissions(self) -> list[BasePermission]:
        request: Request = self.request  # type: ignore[attr-defined]
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated()]


class _UploadThrottle:
    """Multipart writes (cover images, lesson files) count against the `uploads` scope."""

    def get_throttles(self) -> list[BaseThrottle]:
        request: Request = self.request  # type: ignore[attr-defined]
        if request.method in ("POST", "PATCH") and (request.content_type or "").startswith(
            "multipart/"
        ):
            self.throttle_scope = "uploads"
        return super().get_throttles()  # type: ignore[misc,no-any-return]


def _deny(request: Request, message: str) -> NoReturn:
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    raise PermissionDenied(message)


class _CourseScoped(_ReadOpenWriteAuthenticated):
    """Nested under courses/{course_slug}/: the course, if visible, else 404."""

    @cached_property
    def course(self) -> Course:
        request: Request = self.request  # type: ignore[attr-defined]
        slug = self.kwargs["course_slug"]  # type: ignore[attr-defined]
        return selectors.course_get_visible(slug=slug, user=request.user)

    def require(self, predicate: Callable[[Any, Course], bool], message: str) -> None:
        request: Request = self.request  # type: ignore[attr-defined]
        if not predicate(request.user, self.course):
            _deny(request, message)


# --- courses ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[s.CourseQuerySerializer],
        responses=s.CourseListSerializer(many=True),
        description=(
            "The catalogue (published courses; same for everyone, cached), or with "
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
        if not predicate(self.request.user, course):
            _deny(self.request, why)

    def _detail(self, course: Course) -> dict[str, Any]:
        base = self.request.build_absolute_uri("/")
        return cached(
            course_cache_key(course.pk, f"detail:{base}"),
            lambda: plain(
                s.CourseDetailSerializer(
                    selectors.course_detail(course=course), context={"request": self.request}
                ).data
            ),
        )

    def list(self, request: Request) -> Response:
        query = s.CourseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        scope = params["scope"]
        if scope == "teaching" and not request.user.is_authenticated:
            raise NotAuthenticated()
        if scope == "all" and not is_admin(request.user):
            _deny(request, "Only admins list every course.")
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
        body = cached(
            catalogue_cache_key(fingerprint),
            lambda: plain(
                self._page(
                    selectors.course_list(user=request.user, filters=filters),
                    s.CourseListSerializer,
                ).data
            ),
        )
        return envelope_response(body["data"], body["meta"])

    def _page(self, courses: QuerySet[Course], serializer_class: type[Any]) -> Response:
        page = self.paginate_queryset(courses)
        items = page if page is not None else list(courses)
        if serializer_class is s.TeachingCourseSerializer:
            selectors.remember_viewer_roles(list(items), self.request.user)
        data = serializer_class(items, many=True, context={"request": self.request}).data
        return self.get_paginated_response(data)

    def create(self, request: Request) -> Response:
        if not perms.can_create_course(request.user):
            _deny(request, "Only instructors and admins create courses.")
        serializer = s.CourseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = run(services.course_create, by=request.user, **data)
        return Response(self._detail(course), status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, slug: str) -> Response:
        return Response(self._detail(self._course()))

    def partial_update(self, request: Request, slug: str) -> Response:
        course = self._course()
        self._require(perms.can_edit_course, course, "Only the course's instructors edit it.")
        serializer = s.CourseInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        course = run(
            services.course_update, course=course, by=request.user, **serializer.validated_data
        )
        return Response(self._detail(course))

    def destroy(self, request: Request, slug: str) -> Response:
        course = self._course()
        self._require(perms.can_delete_course, course, "Only owners delete a course.")
        run(services.course_delete, course=course, by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, slug: str) -> Response:
        """Validates (title, description, a module with a lesson) and publishes."""
        course = self._course()
        self._require(perms.can_publish_course, course, "Only the course's instructors publish it.")
        course = run(services.course_publish, course=course, by=request.user, request=request)
        return Response(self._detail(course))

    @extend_schema(request=None, responses=s.CourseDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, slug: str) -> Response:
        """Off the catalogue and closed to new enrollments; learners keep access."""
        course = self._course()
        self._require(perms.can_publish_course, course, "Only the course's instructors archive it.")
        course = run(services.course_archive, course=course, by=request.user, request=request)
        return Response(self._detail(course))

    @extend_schema(request=s.CourseDuplicateSerializer, responses={201: s.CourseDetailSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, slug: str) -> Response:
        """A deep copy (details, tags, modules, lessons) as a new draft that you own."""
        course = self._course()
        self._require(perms.can_duplicate_course, course, "You cannot copy this course.")
        serializer = s.CourseDuplicateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = run(
            services.course_duplicate,
            course=course,
            by=request.user,
            title=serializer.validated_data.get("title"),
            request=request,
        )
        return Response(self._detail(copy), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.OutlineSerializer)
    @action(detail=True, methods=["get"])
    def outline(self, request: Request, slug: str) -> Response:
        """Modules and lessons in order, without content; `state` per lesson is for the
        learner's progress (null until the enrollments app provides it)."""
        course = self._course()
        outline = selectors.course_outline_for(course=course, user=request.user)
        return Response({"course": course.slug, **outline})


# --- staff -----------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG_PARAMETER])
@extend_schema_view(
    list=extend_schema(responses=s.CourseStaffSerializer(many=True)),
    create=extend_schema(
        request=s.CourseStaffAddSerializer, responses={201: s.CourseStaffSerializer}
    ),
    partial_update=extend_schema(
        request=s.CourseStaffUpdateSerializer, responses=s.CourseStaffSerializer
    ),
    destroy=extend_schema(responses={204: None}),
)
class CourseStaffViewSet(_CourseScoped, viewsets.GenericViewSet):
    """The course team. The whole team (TAs too) and admins read it; owners and admins
    change it. A course always keeps an owner (409 `last_owner`)."""

    serializer_class = s.CourseStaffSerializer
    queryset = CourseStaff.objects.none()
    lookup_value_regex = ID_REGEX
    pagination_class = None

    def list(self, request: Request, course_slug: str) -> Response:
        self.require(perms.can_view_staff, "Only the course team sees the team.")
        members = selectors.course_staff_list(course=self.course)
        return Response(s.CourseStaffSerializer(members, many=True).data)

    def create(self, request: Request, course_slug: str) -> Response:
        self.require(perms.can_manage_staff, "Only owners manage the course team.")
        serializer = s.CourseStaffAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = run(
            services.course_staff_add,
            course=self.course,
            by=request.user,
            request=request,
            **serializer.validated_data,
        )
        return Response(s.CourseStaffSerializer(member).data, status=status.HTTP_201_CREATED)

    def _member(self) -> CourseStaff:
        self.require(perms.can_view_staff, "Only the course team sees the team.")
        return selectors.course_staff_get(course=self.course, member_id=self.kwargs["pk"])

    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        member = self._member()
        self.require(perms.can_manage_staff, "Only owners manage the course team.")
        serializer = s.CourseStaffUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = run(
            services.course_staff_change_role,
            member=member,
            role=serializer.validated_data["role"],
            by=request.user,
            request=request,
        )
        return Response(s.CourseStaffSerializer(member).data)

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        member = self._member()
        self.require(perms.can_manage_staff, "Only owners manage the course team.")
        run(services.course_staff_remove, member=member, by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- modules ---------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG_PARAMETER])
@extend_schema_view(
    list=extend_schema(responses=s.ModuleSerializer(many=True)),
    retrieve=extend_schema(responses=s.ModuleSerializer),
    create=extend_schema(request=s.ModuleCreateSerializer, responses={201: s.ModuleSerializer}),
    partial_update=extend_schema(request=s.ModuleUpdateSerializer, responses=s.ModuleSerializer),
    destroy=extend_schema(responses={204: None}),
)
class ModuleViewSet(_CourseScoped, viewsets.GenericViewSet):
    """Modules in order. Anyone who sees the course reads them; its instructors change
    them (TAs do not). Deleting a module deletes its lessons."""

    serializer_class = s.ModuleSerializer
    queryset = Module.objects.none()
    lookup_value_regex = ID_REGEX
    pagination_class = None
    EDIT_DENIED = "Only the course's instructors change its structure."

    def _module(self) -> Module:
        return selectors.module_get(course=self.course, module_id=self.kwargs["pk"])

    def _out(self, module: Module) -> dict[str, Any]:
        return s.ModuleSerializer(
            selectors.module_get(course=self.course, module_id=module.pk)
        ).data

    def list(self, request: Request, course_slug: str) -> Response:
        return Response(
            s.ModuleSerializer(selectors.module_list(course=self.course), many=True).data
        )

    def retrieve(self, request: Request, course_slug: str, pk: str) -> Response:
        return Response(s.ModuleSerializer(self._module()).data)

    def create(self, request: Request, course_slug: str) -> Response:
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.ModuleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        module = run(services.module_create, course=self.course, **serializer.validated_data)
        return Response(self._out(module), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.ModuleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        module = run(services.module_update, module=module, **serializer.validated_data)
        return Response(self._out(module))

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        run(services.module_delete, module=module)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.ReorderSerializer, responses=s.ModuleSerializer(many=True))
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, course_slug: str, pk: str) -> Response:
        """Moves the module to `position`; answers the course's modules in their new order."""
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.ReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run(services.module_move, module=module, position=serializer.validated_data["position"])
        return Response(
            s.ModuleSerializer(selectors.module_list(course=self.course), many=True).data
        )


# --- lessons ---------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("module", OpenApiTypes.INT, description="Only this module.")],
        responses=s.LessonSerializer(many=True),
    ),
    retrieve=extend_schema(responses=s.LessonSerializer),
    create=extend_schema(request=s.LessonCreateSerializer, responses={201: s.LessonSerializer}),
    partial_update=extend_schema(request=s.LessonUpdateSerializer, responses=s.LessonSerializer),
    destroy=extend_schema(responses={204: None}),
)
class LessonViewSet(_UploadThrottle, _CourseScoped, viewsets.GenericViewSet):
    """Lessons in course order. Anyone who sees the course reads them, with the content
    only where allowed (`content_locked`); its instructors change them (TAs do not)."""

    serializer_class = s.LessonSerializer
    queryset = Lesson.objects.none()
    lookup_value_regex = ID_REGEX
    pagination_class = None
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    EDIT_DENIED = "Only the course's instructors change its structure."

    def _context(self) -> dict[str, Any]:
        return {"request": self.request, "course": self.course}

    def _lesson(self) -> Lesson:
        return selectors.lesson_get(course=self.course, lesson_id=self.kwargs["pk"])

    def _out(self, lesson: Lesson) -> dict[str, Any]:
        return s.LessonSerializer(lesson, context=self._context()).data

    def list(self, request: Request, course_slug: str) -> Response:
        module_id = request.query_params.get("module")
        if module_id is not None and not module_id.isdigit():
            raise ValidationError({"module": ["A valid integer is required."]}, code="invalid")
        lessons = selectors.lesson_list(
            course=self.course, module_id=int(module_id) if module_id else None
        )
        return Response(s.LessonSerializer(lessons, many=True, context=self._context()).data)

    def retrieve(self, request: Request, course_slug: str, pk: str) -> Response:
        return Response(self._out(self._lesson()))

    def create(self, request: Request, course_slug: str) -> Response:
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonCreateSerializer(data=request.data, course=self.course)
        serializer.is_valid(raise_exception=True)
        lesson = run(services.lesson_create, **serializer.validated_data)
        return Response(self._out(lesson), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lesson = run(services.lesson_update, lesson=lesson, **serializer.validated_data)
        return Response(self._out(lesson))

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        run(services.lesson_delete, lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.LessonReorderSerializer, responses=s.LessonSerializer)
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, course_slug: str, pk: str) -> Response:
        """Moves the lesson to `position` in its module, or in `module` of this course."""
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonReorderSerializer(data=request.data, course=self.course)
        serializer.is_valid(raise_exception=True)
        lesson = run(services.lesson_move, lesson=lesson, **serializer.validated_data)
        return Response(self._out(lesson))


# --- taxonomy --------------------------------------------------------------------------


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
        category = run(services.category_create, **serializer.validated_data)
        return Response(self._out(category), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, slug: str) -> Response:
        category = self.get_object()
        serializer = s.CategoryInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = run(services.category_update, category=category, **serializer.validated_data)
        return Response(self._out(category))

    def destroy(self, request: Request, slug: str) -> Response:
        run(services.category_delete, category=self.get_object())
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
        tag = run(services.tag_create, **serializer.validated_data)
        return Response(s.TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, slug: str) -> Response:
        tag = self.get_object()
        serializer = s.TagInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tag = run(services.tag_update, tag=tag, **serializer.validated_data)
        return Response(s.TagSerializer(tag).data)

    def destroy(self, request: Request, slug: str) -> Response:
        run(services.tag_delete, tag=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
