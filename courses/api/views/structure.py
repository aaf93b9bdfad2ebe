"""A course's team, modules and lessons."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from courses import permissions as perms
from courses import selectors, services
from courses.api import serializers as s
from courses.api.views.common import (
    COURSE_SLUG_PARAMETER,
    ID_REGEX,
    _CourseScoped,
    _UploadThrottle,
    acting_user,
)
from courses.models import CourseStaff, Lesson, Module


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
        member = services.course_staff_add(
            course=self.course, by=acting_user(request), **serializer.validated_data
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
        member = services.course_staff_change_role(
            member=member, role=serializer.validated_data["role"], by=acting_user(request)
        )
        return Response(s.CourseStaffSerializer(member).data)

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        member = self._member()
        self.require(perms.can_manage_staff, "Only owners manage the course team.")
        services.course_staff_remove(member=member, by=acting_user(request))
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
        module = services.module_create(course=self.course, **serializer.validated_data)
        return Response(self._out(module), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.ModuleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        module = services.module_update(module=module, **serializer.validated_data)
        return Response(self._out(module))

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        services.module_delete(module=module)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.ReorderSerializer, responses=s.ModuleSerializer(many=True))
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, course_slug: str, pk: str) -> Response:
        """Moves the module to `position`; answers the course's modules in their new order."""
        module = self._module()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.ReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.module_move(module=module, position=serializer.validated_data["position"])
        return Response(
            s.ModuleSerializer(selectors.module_list(course=self.course), many=True).data
        )


# --- lessons ---------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        parameters=[s.LessonQuerySerializer], responses=s.LessonSerializer(many=True)
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
        (lesson,) = selectors.with_activity_ids([lesson])
        return s.LessonSerializer(lesson, context=self._context()).data

    def list(self, request: Request, course_slug: str) -> Response:
        query = s.LessonQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lessons = selectors.with_activity_ids(
            selectors.lesson_list(course=self.course, module_id=query.validated_data.get("module"))
        )
        return Response(s.LessonSerializer(lessons, many=True, context=self._context()).data)

    def retrieve(self, request: Request, course_slug: str, pk: str) -> Response:
        return Response(self._out(self._lesson()))

    def create(self, request: Request, course_slug: str) -> Response:
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonCreateSerializer(data=request.data, course=self.course)
        serializer.is_valid(raise_exception=True)
        lesson = services.lesson_create(**serializer.validated_data)
        return Response(self._out(lesson), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lesson = services.lesson_update(lesson=lesson, **serializer.validated_data)
        return Response(self._out(lesson))

    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        services.lesson_delete(lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.LessonReorderSerializer, responses=s.LessonSerializer)
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, course_slug: str, pk: str) -> Response:
        """Moves the lesson to `position` in its module, or in `module` of this course."""
        lesson = self._lesson()
        self.require(perms.can_edit_course, self.EDIT_DENIED)
        serializer = s.LessonReorderSerializer(data=request.data, course=self.course)
        serializer.is_valid(raise_exception=True)
        lesson = services.lesson_move(lesson=lesson, **serializer.validated_data)
        return Response(self._out(lesson))
