"""Assignments: list and create per course; read, edit, delete; hand in (learners); list
submissions, grant extensions and release grades (staff)."""

from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from assignments import selectors, services
from assignments.api import serializers as s
from assignments.api.views.common import (
    BODY_OVERHEAD,
    SubmissionsThrottle,
    UploadsThrottle,
    refuse_large_body,
)
from assignments.models import Assignment
from assignments.permissions import can_grade, can_manage_assignments, can_view_own_grades
from assignments.services.files import LimitedUploadHandler
from courses.selectors import course_get_visible, lesson_list
from lms.api.serializers import EmptySerializer
from lms.errors import ServiceError

if TYPE_CHECKING:
    from courses.models import Course

COURSE_SLUG = OpenApiParameter("course_slug", OpenApiTypes.STR, OpenApiParameter.PATH)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _resolve(course: "Course", data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the input -> rows of this course (else a 400 on that field)."""
    fields = dict(data)
    if fields.get("lesson") is not None:
        lesson = lesson_list(course=course).filter(pk=fields["lesson"]).first()
        if lesson is None:
            raise ValidationError({"lesson": ValidationError("Not in this course.", "invalid")})
        fields["lesson"] = lesson
    if fields.get("category") is not None:
        category = selectors.category_get(course=course, category_id=fields["category"])
        if category is None:
            raise ValidationError({"category": ValidationError("Not in this course.", "invalid")})
        fields["category"] = category
    if "rubric" in fields:
        fields["rubric"] = [
            {**c, "levels": [{**lv, "points": str(lv["points"])} for lv in c["levels"]]}
            for c in fields["rubric"]
        ]
    return fields


@extend_schema(parameters=[COURSE_SLUG])
class CourseAssignmentViewSet(viewsets.GenericViewSet[Assignment]):
    serializer_class = s.AssignmentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Assignment.objects.none()

    @cached_property
    def course(self) -> "Course":
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def _require_member(self) -> None:
        """The course team and its learners; 404 for anyone else."""
        user = self.request.user
        if not (can_grade(user, self.course) or can_view_own_grades(user, self.course)):
            raise Http404

    def list(self, request: Request, course_slug: str) -> Response:
        """The course's assignments: all for the team, published ones for its learners;
        404 for anyone else."""
        self._require_member()
        page = self.paginate_queryset(
            selectors.assignment_list(course=self.course, user=request.user)
        )
        return self.get_paginated_response(s.AssignmentSerializer(page, many=True).data)

    @extend_schema(request=s.AssignmentInputSerializer, responses={201: s.AssignmentSerializer})
    def create(self, request: Request, course_slug: str) -> Response:
        """Owners, instructors and admins create assignments."""
        self._require_member()
        if not can_manage_assignments(request.user, self.course):
            raise PermissionDenied("Only the course's owners and instructors author assignments.")
        data = s.AssignmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_create(
            course=self.course, by=request.user, **_resolve(self.course, data.validated_data)
        )
        return Response(s.AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentViewSet(viewsets.GenericViewSet[Assignment]):
    serializer_class = s.AssignmentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Assignment.objects.none()
    lookup_value_regex = r"[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        if self.action == "submissions" and self.request.method == "POST":
            throttles += [SubmissionsThrottle(), UploadsThrottle()]
        return throttles

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication: the session CSRF check may read the form body, so the
        # size limit and the streaming handler must be in place first.
        if self.action == "submissions" and request.method == "POST":
            self._limit_upload(request, kwargs.get("pk"))
        super().initial(request, *args, **kwargs)

    def _limit_upload(self, request: Request, pk: Any) -> None:
        per_file, max_files = selectors.assignment_upload_limits(
            assignment_id=pk, cap=int(settings.ASSIGNMENTS_MAX_FILE_SIZE)
        )
        refuse_large_body(
            request,
            per_file * max_files + BODY_OVERHEAD,
            f"The body is over the limit of {per_file} bytes per file.",
        )
        self._upload_limiter = LimitedUploadHandler(request._request, max_size=per_file)
        request._request.upload_handlers = [
            self._upload_limiter,
            MemoryFileUploadHandler(request._request),
            TemporaryFileUploadHandler(request._request),
        ]

    @cached_property
    def assignment(self) -> Assignment:
        return selectors.assignment_get_visible(
            assignment_id=self.kwargs["pk"], user=self.request.user
        )

    def _require_manage(self) -> None:
        if not can_manage_assignments(self.request.user, self.assignment.course):
            raise PermissionDenied("Only the course's owners and instructors change assignments.")

    def _require_grade(self) -> None:
        if not can_grade(self.request.user, self.assignment.course):
            raise PermissionDenied("Only the course team does this.")

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.AssignmentSerializer(self.assignment).data)

    @extend_schema(parameters=[ID], request=s.AssignmentInputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        self._require_manage()
        data = s.AssignmentInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.assignment_update(
            assignment=self.assignment,
            by=request.user,
            **_resolve(self.assignment.course, data.validated_data),
        )
        return Response(s.AssignmentSerializer(updated).data)

    @extend_schema(parameters=[ID], request=None)
    def destroy(self, request: Request, pk: str) -> Response:
        self._require_manage()
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        services.assignment_delete(assignment=self.assignment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        parameters=[ID, s.SubmissionListQuerySerializer],
        responses=s.SubmissionSerializer(many=True),
        description="The course team sees each learner's newest version (`learner`: every "
        "version of one learner); a learner sees their own versions, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        description="A learner hands in `text`, `url` and `files` (multipart; repeat "
        "`files`), as the assignment allows. Each hand-in is a new version.",
        parameters=[ID],
        request={
            "multipart/form-data": s.HandInInputSerializer,
            "application/json": s.HandInInputSerializer,
        },
        responses={201: s.SubmissionSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def submissions(self, request: Request, pk: str) -> Response:
        """A learner's hand-ins."""
        if request.method == "GET":
            query = s.SubmissionListQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            qs = selectors.submission_list(
                assignment=self.assignment,
                user=request.user,
                learner_id=query.validated_data.get("learner"),
            )
            page = self.paginate_queryset(cast(Any, qs))
            staff = can_grade(request.user, self.assignment.course)  # once, not per row
            return self.get_paginated_response(
                s.SubmissionSerializer(
                    page, many=True, context={"request": request, "staff": staff}
                ).data
            )
        body = request.data  # parses the body (through the size limiter)
        limiter = getattr(self, "_upload_limiter", None)
        if limiter is not None and limiter.exceeded:
            raise ServiceError(
                "payload_too_large", "A file is larger than this assignment accepts."
            )
        data = s.HandInInputSerializer(data=body)
        data.is_valid(raise_exception=True)
        submission = services.submission_create(
            assignment=self.assignment,
            user=request.user,
            text=data.validated_data.get("text", ""),
            url=data.validated_data.get("url", ""),
            files=data.validated_data.get("files", []),
        )
        submission = selectors.submission_get_visible(
            submission_id=submission.pk, user=request.user
        )
        return Response(
            s.SubmissionSerializer(submission, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[ID], request=s.ExtensionInputSerializer, responses=s.ExtensionSerializer
    )
    @action(detail=True, methods=["post"])
    def extensions(self, request: Request, pk: str) -> Response:
        """Owners and instructors grant a learner extra days on this assignment."""
        self._require_manage()
        data = s.ExtensionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        learner = selectors.seated_learner(
            course=self.assignment.course, user_id=data.validated_data["user"]
        )
        if learner is None:
            raise ValidationError({"user": ValidationError("Not a learner here.", "not_learner")})
        extension = services.extension_grant(
            assignment=self.assignment,
            user=learner,
            extra_days=data.validated_data["extra_days"],
            reason=data.validated_data.get("reason", ""),
            by=request.user,
        )
        return Response(s.ExtensionSerializer(extension).data)

    @extend_schema(
        parameters=[ID], request=s.ReleaseInputSerializer, responses=s.ReleaseOutSerializer
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        """Release the draft grades (of `users`, or all): learners see them from now."""
        self._require_grade()
        data = s.ReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.grades_release(
            assignment=self.assignment,
            by=request.user,
            user_ids=data.validated_data.get("users"),
        )
        return Response({"released": count})
