"""The enrollments API: joining and leaving, my learning, lessons (content, completion,
video heartbeats), and the staff roster (add by email, bulk CSV, accommodations)."""

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.selectors import course_get_visible
from enrollments import selectors, services
from enrollments.api import serializers as s
from enrollments.api.plain import enrollment_data, lesson_content_data, roster_entry_data
from enrollments.models import Enrollment
from enrollments.permissions import (
    can_manage_enrollments,
    can_view_roster,
    lesson_access_require,
    seated_enrollment,
    seated_enrollment_require,
)
from lms.api.pagination import CursorPagination
from lms.api.schema import problem_response
from lms.api.serializers import EmptySerializer

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course, Lesson

COURSE_SLUG = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _user(request: Request) -> "User":
    """The signed-in user (the view's IsAuthenticated permission has run)."""
    return request.user  # type: ignore[return-value]


def _no_body(request: Request) -> None:
    """An action that takes no body still refuses fields it does not know (400)."""
    EmptySerializer(data=request.data).is_valid(raise_exception=True)


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
            **problem_response(
                402,
                "payment_required: the course is paid; `checkout` names the endpoint, "
                "`price_amount` and `currency` the price.",
            ),
            **problem_response(409, "already_enrolled."),
        },
    )
    def post(self, request: Request, course_slug: str) -> Response:
        """Join a free course: 201 `active`, or `waitlisted` when it is full. 403 codes:
        `enrollment_closed`, `course_archived`, `course_not_published`,
        `enrollment_revoked`."""
        _no_body(request)
        course = course_get_visible(slug=course_slug, user=request.user)
        enrollment = services.enrollment_create(user=_user(request), course=course)
        return Response(_enrollment_out(enrollment), status=status.HTTP_201_CREATED)


# --- my learning -------------------------------------------------------------------------


class EnrollmentViewSet(viewsets.GenericViewSet[Enrollment]):
    serializer_class = s.EnrollmentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Enrollment.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.enrollment_list_mine(user=self.request.user)

    def list(self, request: Request) -> Response:
        """My enrollments (active, waitlisted, completed), newest first: course, progress,
        next lesson, last activity."""
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page if page is not None else self.get_queryset())
        next_lessons = selectors.next_lessons_for(rows)
        return self.get_paginated_response(
            [enrollment_data(row, next_lessons.get(row.pk)) for row in rows]
        )

    @extend_schema(parameters=[ID_PARAMETER])
    def retrieve(self, request: Request, pk: str) -> Response:
        """One of my enrollments (any status)."""
        enrollment = selectors.enrollment_get_mine(user=request.user, enrollment_id=int(pk))
        return Response(_enrollment_out(enrollment))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={
            200: s.EnrollmentSerializer,
            **problem_response(409, "not_active: already dropped or revoked."),
        },
    )
    @action(detail=True, methods=["post"])
    def drop(self, request: Request, pk: str) -> Response:
        """Leave the course (or its waitlist); the first waitlisted learner gets the seat."""
        _no_body(request)
        enrollment = selectors.enrollment_get_mine(user=request.user, enrollment_id=int(pk))
        dropped = services.enrollment_drop(enrollment=enrollment, by=_user(request))
        return Response(_enrollment_out(dropped))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=s.AccommodationsInputSerializer,
        responses=s.RosterEntrySerializer,
    )
    @action(detail=True, methods=["patch"])
    def accommodations(self, request: Request, pk: str) -> Response:
        """Staff (owners, instructors, admins) set a learner's accommodations. Anyone
        outside the course team gets 404."""
        enrollment = selectors.enrollment_get(enrollment_id=int(pk))
        if not can_view_roster(request.user, enrollment.course):
            raise Http404  # not disclosed to anyone outside the team
        if not can_manage_enrollments(request.user, enrollment.course):
            raise PermissionDenied("Only the course's owners and instructors set accommodations.")
        serializer = s.AccommodationsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.enrollment_accommodations_set(
            enrollment=enrollment,
            by=_user(request),
            **serializer.validated_data,
        )
        updated.user = enrollment.user
        return Response(s.RosterEntrySerializer(updated).data)


# --- lessons -----------------------------------------------------------------------------


# 403 codes (documented with the shared Problem response): `not_released` (with
# `unlock_at`), `prerequisite`, and for writes `not_enrolled`.
LESSON_REFUSALS = problem_response(
    409, "not_active: the enrollment lost its seat while the request ran."
)
COMPLETE_REFUSALS = problem_response(
    409,
    "The lesson does not complete on request (docs/decisions/0014-completion-rules.md): "
    "`completes_with_quiz` or `completes_with_assignment` (with `rule` and `activity_id`), "
    "`video_not_watched` (with `watched_seconds`, `needed_seconds`, `video_percent`); or "
    "`not_active`: the enrollment lost its seat while the request ran.",
)


class LessonViewSet(viewsets.GenericViewSet[Any]):
    # Lessons as a learner meets them: can_access_lesson decides every action.

    serializer_class = s.LessonContentSerializer
    lookup_value_regex = r"[0-9]+"

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "retrieve":
            return [AllowAny()]  # preview lessons are for anyone
        return [IsAuthenticated()]

    @cached_property
    def lesson(self) -> "Lesson":
        return selectors.lesson_for_viewer(user=self.request.user, lesson_id=self.kwargs["pk"])

    @property
    def course(self) -> "Course":
        return self.lesson.module.course

    @extend_schema(parameters=[ID_PARAMETER], responses={200: s.LessonContentSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        """The lesson's content. 403 `not_released` (with `unlock_at`) or `prerequisite`
        for an enrolled learner it is locked for; 404 for anyone who may not know it."""
        lesson_access_require(request.user, self.lesson, self.course)
        enrollment = seated_enrollment(request.user, self.course)
        completed = (
            getattr(enrollment, "lesson_completed", None) if enrollment is not None else None
        )
        return Response(lesson_content_data(self.lesson, completed, request))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.LessonCompleteResultSerializer, **COMPLETE_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Mark the lesson completed (idempotent); returns the updated progress. Text, file
        and link lessons complete on this request; a quiz or assignment lesson completes
        through its activity and a video once watched far enough (409 with the reason
        until then; the outline's `completion` says which). 403 `not_enrolled` without a
        seat."""
        _no_body(request)
        lesson_access_require(request.user, self.lesson, self.course)
        enrollment = seated_enrollment_require(request.user, self.course)
        updated, created = services.lesson_complete(
            enrollment=enrollment, lesson=self.lesson, by_request=True
        )
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
        """Video heartbeat: the player's position. Forward movement of up to 30 s since
        the previous heartbeat counts as watched; a video lesson completes once the
        watched time reaches the course's `video_complete_percent` (default 90) of its
        length. 403 `not_enrolled` without a seat."""
        serializer = s.LessonProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lesson_access_require(request.user, self.lesson, self.course)
        enrollment = seated_enrollment_require(request.user, self.course)
        position, updated, _ = services.lesson_progress_record(
            enrollment=enrollment, lesson=self.lesson, **serializer.validated_data
        )
        return Response(
            {
                "lesson": self.lesson.pk,
                "position": s.LessonProgressSerializer(position).data,
                "completed": selectors.lesson_completed(
                    enrollment=updated, lesson_id=self.lesson.pk
                ),
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
    def course(self) -> "Course":
        # The course, if visible to the user, else 404.
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def require(self, predicate: Callable[[Any, "Course"], bool], message: str) -> None:
        if not predicate(self.request.user, self.course):
            raise PermissionDenied(message)

    @extend_schema(parameters=[s.RosterQuerySerializer])
    def list(self, request: Request, course_slug: str) -> Response:
        """The course's learners with their progress (team and admins), newest enrollment
        first, in cursor pages."""
        self.require(can_view_roster, "Only the course team sees its learners.")
        query = s.RosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.roster_list(course=self.course, status=query.validated_data.get("status"))
        page = self.paginate_queryset(qs) or []
        return self.get_paginated_response([roster_entry_data(row) for row in page])

    @extend_schema(
        request=s.RosterAddSerializer,
        responses={201: s.RosterEntrySerializer, **problem_response(409, "already_enrolled.")},
    )
    def create(self, request: Request, course_slug: str) -> Response:
        """Add a learner by email (a staff grant: no window, payment or capacity check).
        400 `unknown_email` on `email` when no active user has it."""
        self.require(can_manage_enrollments, "Only owners and instructors add learners.")
        serializer = s.RosterAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = services.enrollment_add_by_email(
            course=self.course,
            email=serializer.validated_data["email"],
            by=_user(request),
        )
        return Response(s.RosterEntrySerializer(enrollment).data, status=status.HTTP_201_CREATED)

    # JSON is parsed too, so a JSON body answers 400 naming the missing `file`, not 415;
    # the schema documents the upload only.
    @extend_schema(
        request={"multipart/form-data": s.BulkUploadSerializer},
        responses=s.BulkReportSerializer,
    )
    @action(
        detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser]
    )
    def bulk(self, request: Request, course_slug: str) -> Response:
        """Add learners from a CSV of emails; a report per row. Bad rows change nothing."""
        self.require(can_manage_enrollments, "Only owners and instructors add learners.")
        serializer = s.BulkUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.enrollment_bulk_add(
            course=self.course,
            content=serializer.validated_data["file"].read(),
            by=_user(request),
        )
        return Response({"counts": report.counts, "rows": [row.as_dict() for row in report.rows]})
