"""The enrollments API: joining and leaving, my learning, lessons (content, completion,
video heartbeats), and the staff roster (add by email, bulk CSV, accommodations)."""

from collections.abc import Callable
from functools import cached_property
from typing import Any, NoReturn, TypeVar

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.models import Course, Lesson
from courses.selectors import course_get_visible
from enrollments import selectors, services
from enrollments.api import serializers as s
from enrollments.api.plain import enrollment_data, lesson_content_data, roster_entry_data
from enrollments.models import Enrollment, LessonCompletion
from enrollments.permissions import (
    can_access_lesson,
    can_manage_enrollments,
    can_view_roster,
    seated_enrollment,
)
from lms.api.pagination import CursorPagination
from lms.api.problems import PROBLEM_CONTENT_TYPE, problem_body

T = TypeVar("T")

COURSE_SLUG = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def problem_response(status_code: int, description: str) -> dict[Any, OpenApiResponse]:
    """An extra documented problem status (402, 409), as application/problem+json."""
    return {
        (status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response={"$ref": "#/components/schemas/Problem"}, description=description
        )
    }


def problem(request: Request, status_code: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem+json response with extra members (RFC 9457 allows extensions)."""
    body = problem_body(status_code, code=code, detail=detail, instance=request.path)
    body.update(extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def run(request: Request, service: Callable[..., T], **kwargs: Any) -> T | Response:
    """Calls a service; its refusals become problems with their status, code and extras."""
    try:
        return service(**kwargs)
    except services.EnrollmentError as exc:
        return problem(request, exc.status, exc.code, exc.message, **exc.extra)


def _deny(request: Request, message: str) -> NoReturn:
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    raise PermissionDenied(message)


def _enrollment_out(enrollment: Enrollment) -> dict[str, Any]:
    next_lessons = selectors.next_lessons_for([enrollment])
    return enrollment_data(enrollment, next_lessons.get(enrollment.pk))


# --- joining -----------------------------------------------------------------------------


class CourseEnrollView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="courses_enroll",
        parameters=[COURSE_SLUG],
        request=None,
        responses={
            201: s.EnrollmentSerializer,
            **problem_response(402, "payment_required: `checkout` points to checkout."),
            **problem_response(409, "already_enrolled."),
        },
    )
    def post(self, request: Request, course_slug: str) -> Response:
        """Join a free course: 201 `active`, or `waitlisted` when it is full. 403 codes:
        `enrollment_closed`, `course_archived`, `course_not_published`,
        `enrollment_revoked`; 402 `payment_required` with `checkout`."""
        course = course_get_visible(slug=course_slug, user=request.user)
        result = run(request, services.enrollment_create, user=request.user, course=course)
        if isinstance(result, Response):
            return result
        return Response(_enrollment_out(result), status=status.HTTP_201_CREATED)


# --- my learning -------------------------------------------------------------------------


class EnrollmentViewSet(viewsets.GenericViewSet[Enrollment]):
    serializer_class = s.EnrollmentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Enrollment.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.enrollment_list_mine(user=self.request.user)

    def list(self, request: Request) -> Response:
        """My enrollments (active, waitlisted, completed): course, progress, next lesson,
        last activity. A constant number of queries for any page size."""
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page if page is not None else self.get_queryset())
        next_lessons = selectors.next_lessons_for(rows)
        return self.get_paginated_response(
            [enrollment_data(row, next_lessons.get(row.pk)) for row in rows]
        )

    @extend_schema(parameters=[ID_PARAMETER])
    def retrieve(self, request: Request, pk: str) -> Response:
        enrollment = selectors.enrollment_get_mine(user=request.user, enrollment_id=int(pk))
        return Response(_enrollment_out(enrollment))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.EnrollmentSerializer, **problem_response(409, "not_enrolled")},
    )
    @action(detail=True, methods=["post"])
    def drop(self, request: Request, pk: str) -> Response:
        """Leave the course (or its waitlist); the first waitlisted learner gets the seat."""
        enrollment = selectors.enrollment_get_mine(user=request.user, enrollment_id=int(pk))
        result = run(request, services.enrollment_drop, enrollment=enrollment, by=request.user)
        if isinstance(result, Response):
            return result
        return Response(_enrollment_out(result))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=s.AccommodationsInputSerializer,
        responses=s.RosterEntrySerializer,
    )
    @action(detail=True, methods=["patch"])
    def accommodations(self, request: Request, pk: str) -> Response:
        """Staff (owners, instructors, admins) set a learner's accommodations."""
        enrollment = selectors.enrollment_get(enrollment_id=int(pk))
        course = enrollment.course
        if not can_view_roster(request.user, course):
            raise Http404  # not disclosed to anyone outside the team
        if not can_manage_enrollments(request.user, course):
            _deny(request, "Only the course's owners and instructors set accommodations.")
        serializer = s.AccommodationsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.enrollment_accommodations_set(
            enrollment=enrollment,
            by=request.user,  # type: ignore[arg-type]  # authenticated: IsAuthenticated
            **serializer.validated_data,
        )
        updated.user = enrollment.user
        return Response(s.RosterEntrySerializer(updated).data)


# --- lessons -----------------------------------------------------------------------------


# 403 codes (documented with the shared Problem response): `not_released` (with
# `unlock_at`), `prerequisite`, and for writes `not_enrolled`.
LESSON_REFUSALS = problem_response(409, "not_active: the enrollment holds no seat.")


class LessonViewSet(viewsets.GenericViewSet[Lesson]):
    """Lessons as a learner meets them; one access predicate for every action."""

    serializer_class = s.LessonContentSerializer
    queryset = Lesson.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "retrieve":
            return [AllowAny()]  # preview lessons are for anyone
        return [IsAuthenticated()]

    @cached_property
    def lesson(self) -> Lesson:
        return selectors.lesson_for_viewer(user=self.request.user, lesson_id=self.kwargs["pk"])

    def _refusal(self, request: Request) -> Response | None:
        decision = can_access_lesson(request.user, self.lesson, self.lesson.module.course)
        if decision.allowed:
            return None
        if decision.hidden:
            raise Http404
        messages = {
            "not_released": "This lesson is not released yet.",
            "prerequisite": "Complete the earlier required lessons first.",
        }
        extra = {"unlock_at": decision.unlock_at.isoformat()} if decision.unlock_at else {}
        return problem(request, 403, decision.reason, messages[decision.reason], **extra)

    def _enrollment(self, request: Request) -> Enrollment | Response:
        enrollment = seated_enrollment(request.user, self.lesson.module.course)
        if enrollment is None:
            return problem(request, 403, "not_enrolled", "Enroll in the course first.")
        return enrollment

    @extend_schema(parameters=[ID_PARAMETER], responses={200: s.LessonContentSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        """The lesson's content, or 403 with the reason for an enrolled learner; 404 for
        anyone who may not know it."""
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        enrollment = seated_enrollment(request.user, self.lesson.module.course)
        completed = (
            getattr(enrollment, "lesson_completed", None) if enrollment is not None else None
        )
        return Response(lesson_content_data(self.lesson, completed, request))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.LessonCompleteResultSerializer, **LESSON_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Mark the lesson completed (idempotent); returns the updated progress."""
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        enrollment = self._enrollment(request)
        if isinstance(enrollment, Response):
            return enrollment
        result = run(request, services.lesson_complete, enrollment=enrollment, lesson=self.lesson)
        if isinstance(result, Response):
            return result
        updated, created = result
        return Response(
            {
                "lesson": self.lesson.pk,
                "completed": True,
                "created": created,
                "enrollment": _enrollment_out(updated),
            }
        )

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=s.LessonProgressInputSerializer,
        responses={200: s.LessonProgressResultSerializer, **LESSON_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: str) -> Response:
        """Video heartbeat: the player's position; completes the lesson at >= 90 % watched."""
        serializer = s.LessonProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        enrollment = self._enrollment(request)
        if isinstance(enrollment, Response):
            return enrollment
        result = run(
            request,
            services.lesson_progress_record,
            enrollment=enrollment,
            lesson=self.lesson,
            **serializer.validated_data,
        )
        if isinstance(result, Response):
            return result
        progress, updated, _ = result
        completed = LessonCompletion.objects.filter(enrollment=updated, lesson=self.lesson).exists()
        return Response(
            {
                "lesson": self.lesson.pk,
                "position": s.LessonProgressSerializer(progress).data,
                "completed": completed,
                "enrollment": _enrollment_out(updated),
            }
        )


# --- staff: roster -------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG])
class RosterViewSet(viewsets.GenericViewSet[Enrollment]):
    serializer_class = s.RosterEntrySerializer
    permission_classes = [IsAuthenticated]
    # Keyset pages (newest enrollment first): a deep page of a 20,000-learner course costs
    # what page 1 costs; no COUNT(*), no OFFSET. The HTML roster keeps its sortable pages.
    pagination_class = CursorPagination
    queryset = Enrollment.objects.none()

    @cached_property
    def course(self) -> Course:
        """The course, if visible to the user, else 404."""
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def require(self, predicate: Callable[[Any, Course], bool], message: str) -> None:
        if not predicate(self.request.user, self.course):
            _deny(self.request, message)

    @extend_schema(parameters=[s.RosterQuerySerializer])
    def list(self, request: Request, course_slug: str) -> Response:
        """The course's learners with their progress (team and admins)."""
        self.require(can_view_roster, "Only the course team sees its learners.")
        query = s.RosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.roster_list(course=self.course, status=query.validated_data.get("status"))
        page = self.paginate_queryset(qs) or []
        return self.get_paginated_response([roster_entry_data(row) for row in page])

    @extend_schema(
        request=s.RosterAddSerializer,
        responses={201: s.RosterEntrySerializer, **problem_response(409, "already_enrolled")},
    )
    def create(self, request: Request, course_slug: str) -> Response:
        """Add a learner by email (a staff grant: no window, payment or capacity check)."""
        self.require(can_manage_enrollments, "Only owners and instructors add learners.")
        serializer = s.RosterAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = run(
            request,
            services.enrollment_add_by_email,
            course=self.course,
            email=serializer.validated_data["email"],
            by=request.user,
        )
        if isinstance(result, Response):
            return result
        return Response(s.RosterEntrySerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.BulkUploadSerializer, responses=s.BulkReportSerializer)
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def bulk(self, request: Request, course_slug: str) -> Response:
        """Add learners from a CSV of emails; a report per row. Bad rows change nothing."""
        self.require(can_manage_enrollments, "Only owners and instructors add learners.")
        serializer = s.BulkUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > services.enrollment.BULK_MAX_BYTES:
            return problem(request, 400, "file_too_large", "The file is larger than 1 MB.")
        result = run(
            request,
            services.enrollment_bulk_add,
            course=self.course,
            content=upload.read(),
            by=request.user,
        )
        if isinstance(result, Response):
            return result
        return Response({"counts": result.counts, "rows": [row.as_dict() for row in result.rows]})
