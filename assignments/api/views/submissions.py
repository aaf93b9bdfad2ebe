"""Submissions: read, grade, grade history, and file downloads through signed URLs."""

from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from assignments import selectors, services
from assignments.api import serializers as s
from assignments.api.views.common import BODY_OVERHEAD, refuse_large_body
from assignments.models import Submission
from assignments.permissions import can_grade
from assignments.services.files import download_url

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
FILE_ID = OpenApiParameter("file_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REDIRECT = {302: OpenApiResponse(description="Redirect to a short-lived signed URL.")}


class SubmissionViewSet(viewsets.GenericViewSet[Submission]):
    serializer_class = s.SubmissionSerializer
    permission_classes = [IsAuthenticated]
    queryset = Submission.objects.none()
    lookup_value_regex = r"[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A feedback file is capped like a submission file, before the body is read.
        if self.action == "grade":
            refuse_large_body(
                request,
                int(settings.ASSIGNMENTS_MAX_FILE_SIZE) + BODY_OVERHEAD,
                "The feedback file is too large.",
            )
        super().initial(request, *args, **kwargs)

    @cached_property
    def submission(self) -> Submission:
        """Own submissions and, for the course team, everyone's; else 404."""
        return selectors.submission_get_visible(
            submission_id=self.kwargs["pk"], user=self.request.user
        )

    def _out(self, submission: Submission) -> Any:
        return s.SubmissionSerializer(submission, context={"request": self.request}).data

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, pk: str) -> Response:
        """The submission with its files and the grade the caller may see (learners:
        released grades only)."""
        return Response(self._out(self.submission))

    @extend_schema(
        parameters=[ID],
        request={
            "application/json": s.SubmissionGradeInputSerializer,
            "multipart/form-data": s.SubmissionGradeInputSerializer,
        },
        responses={201: s.SubmissionGradeSerializer},
    )
    @action(detail=True, methods=["post"])
    def grade(self, request: Request, pk: str) -> Response:
        """The course team grades the newest version: `points` or `rubric_selections`
        ({criterion id: level id}), `feedback`, optional `feedback_file`, `release`
        (else a draft), `reason` (kept in the audit log). 409 `not_latest`."""
        if not can_grade(request.user, self.submission.assignment.course):
            raise PermissionDenied("Only the course team grades.")
        data = s.SubmissionGradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        grade = services.grade_submission(
            submission=self.submission,
            by=request.user,
            points=values.get("points"),
            rubric_selections=values.get("rubric_selections"),
            feedback=values.get("feedback", ""),
            feedback_file=values.get("feedback_file"),
            release=values.get("release", False),
            reason=values.get("reason", ""),
        )
        return Response(s.SubmissionGradeSerializer(grade).data, status=201)

    @extend_schema(parameters=[ID], responses=s.SubmissionGradeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def grades(self, request: Request, pk: str) -> Response:
        """Grade history, newest first (learners: released grades only)."""
        history = selectors.grade_history(self.submission, request.user)
        page = self.paginate_queryset(history)  # type: ignore[arg-type]
        return self.get_paginated_response(s.SubmissionGradeSerializer(page, many=True).data)

    @extend_schema(parameters=[ID, FILE_ID], responses=REDIRECT)
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>[0-9]+)")
    def file(self, request: Request, pk: str, file_id: str) -> HttpResponseRedirect:
        """A submitted file: a redirect to a signed URL that expires
        (ASSIGNMENTS_DOWNLOAD_URL_TTL seconds)."""
        row = next((f for f in self.submission.files.all() if f.pk == int(file_id)), None)
        if row is None:
            raise Http404
        return _redirect(
            download_url(key=row.key, filename=row.filename, content_type=row.content_type)
        )

    @extend_schema(
        parameters=[ID, OpenApiParameter("grade", OpenApiTypes.INT, required=True)],
        responses=REDIRECT,
    )
    @action(detail=True, methods=["get"], url_path="feedback-file")
    def feedback_file(self, request: Request, pk: str) -> HttpResponseRedirect:
        """The feedback file of a grade the caller may see."""
        grade_id = request.query_params.get("grade", "")
        grades = selectors.grade_history(self.submission, request.user)
        grade = next((g for g in grades if str(g.pk) == grade_id and g.feedback_file_key), None)
        if grade is None:
            raise Http404
        return _redirect(
            download_url(
                key=grade.feedback_file_key,
                filename=grade.feedback_file_name,
                content_type="application/octet-stream",
            )
        )


def _redirect(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
