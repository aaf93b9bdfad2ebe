"""The gradebook: the staff grid (cursor pages of learners x items), my grades and their
explanation, CSV export and import, score adjustments, categories, manual items and the
letter scheme."""

import csv
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from assignments import selectors, services
from assignments.api import serializers as s
from assignments.models import GradeCategory, GradeItem
from assignments.permissions import (
    can_configure_gradebook,
    can_view_gradebook,
    can_view_own_grades,
)
from assignments.services.calculation import explain
from assignments.services.gradebook import UNSET
from courses.selectors import course_get_visible
from lms.api.pagination import CursorPagination
from lms.api.serializers import EmptySerializer

if TYPE_CHECKING:
    from courses.models import Course

COURSE_SLUG = OpenApiParameter("course_slug", OpenApiTypes.STR, OpenApiParameter.PATH)


class GradebookPagination(CursorPagination):
    ordering = "id"
    page_size = 50


class _Echo:
    def write(self, value: str) -> str:
        return value


def explanation(*, course: "Course", user_id: int) -> dict[str, Any]:
    """The step-by-step calculation, next to the stored grade it reproduces."""
    result = services.course_grade_result(course_id=course.pk, user_id=user_id)
    stored = selectors.stored_grade(course=course, user_id=user_id)
    body = explain(result)
    body["stored"] = {
        "percent": None if stored is None or stored.percent is None else str(stored.percent),
        "letter": stored.letter if stored else "",
        # A datetime, not a string: the renderer writes it as ISO 8601 UTC with `Z`.
        "computed_at": stored.computed_at if stored else None,
    }
    return body


class _CourseViewSet(viewsets.GenericViewSet[Any]):
    @cached_property
    def course(self) -> "Course":
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def require_staff(self) -> None:
        if not can_view_gradebook(self.request.user, self.course):
            if can_view_own_grades(self.request.user, self.course):
                raise PermissionDenied("Only the course team sees the gradebook.")
            raise Http404

    def require_config(self) -> None:
        self.require_staff()
        if not can_configure_gradebook(self.request.user, self.course):
            raise PermissionDenied("Only the course's owners and instructors configure grading.")

    def item(self, item_id: int) -> GradeItem:
        item = selectors.grade_item_get(course=self.course, item_id=item_id)
        if item is None:
            raise ValidationError({"item": ValidationError("Not in this gradebook.", "invalid")})
        item.course = self.course
        return item

    def category(self, category_id: Any) -> GradeCategory | None:
        return selectors.category_get(course=self.course, category_id=category_id)


@extend_schema(parameters=[COURSE_SLUG])
class GradebookViewSet(_CourseViewSet):
    permission_classes = [IsAuthenticated]
    pagination_class = GradebookPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.GradebookQuerySerializer

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="Search email/name.")],
        responses=s.GradebookRowOutSerializer(many=True),
    )
    def list(self, request: Request, course_slug: str) -> Response:
        """Staff: a cursor page of learners, each with their cell of every gradebook item
        (keyed by item id; the columns are `gradebook/items/`) and their stored course
        grade and letter."""
        self.require_staff()
        query = s.GradebookQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = list(selectors.gradebook_items(course=self.course))
        learners = selectors.gradebook_learners(
            course=self.course, search=query.validated_data.get("q", "")
        )
        page = self.paginate_queryset(learners) or []
        # Plain dicts (a hot path); GradebookRowOutSerializer documents their shape.
        rows = selectors.gradebook_rows(
            course=self.course, enrollments=list(page), items=items, staff=True
        )
        for row in rows:
            row["scores"] = {str(k): v for k, v in row["scores"].items()}
        return self.get_paginated_response(rows)

    @extend_schema(responses=s.MyGradebookOutSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request, course_slug: str) -> Response:
        """A learner's released scores per item and their stored course grade."""
        if not can_view_own_grades(request.user, self.course):
            raise Http404
        return Response(selectors.my_gradebook(course=self.course, user=request.user))

    @extend_schema(responses=s.ExplanationOutSerializer)
    @action(detail=False, methods=["get"], url_path="me/explain")
    def me_explain(self, request: Request, course_slug: str) -> Response:
        """How my grade is made: categories, items (dropped, excused, penalties,
        overrides), weights, the weighted sum and the letter; equals the stored grade."""
        if not can_view_own_grades(request.user, self.course):
            raise Http404
        return Response(explanation(course=self.course, user_id=cast(int, request.user.pk)))

    @extend_schema(
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=s.ExplanationOutSerializer,
    )
    @action(detail=False, methods=["get"], url_path=r"learners/(?P<user_id>[0-9]+)/explain")
    def learner_explain(self, request: Request, course_slug: str, user_id: str) -> Response:
        """Staff: one learner's explanation."""
        self.require_staff()
        return Response(explanation(course=self.course, user_id=int(user_id)))

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="The grid as CSV.")})
    @action(detail=False, methods=["get"])
    def export(self, request: Request, course_slug: str) -> StreamingHttpResponse:
        """The whole grid as CSV (streamed): points per item, percent, letter."""
        self.require_staff()
        writer = csv.writer(_Echo())
        rows = services.gradebook_csv_rows(course=self.course)
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.course.slug}-grades-{stamp}.csv"'
        )
        return response

    @extend_schema(
        request={"multipart/form-data": s.ImportInputSerializer},
        responses=s.ImportReportOutSerializer,
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_grades(self, request: Request, course_slug: str) -> Response:
        """CSV `email,points[,excused]` for one item. `dry_run` (default true) reports per
        row and writes nothing; a real run writes only when no row has an error (else
        400 `import_errors` with the `report`)."""
        self.require_staff()
        data = s.ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.grades_import(
            item=self.item(data.validated_data["item"]),
            content=data.validated_data["file"].read(),
            by=request.user,
            dry_run=data.validated_data["dry_run"],
        )
        return Response(report.as_dict())

    @extend_schema(request=s.ScoreAdjustInputSerializer, responses=s.ScoreOutSerializer)
    @action(detail=False, methods=["post"])
    def scores(self, request: Request, course_slug: str) -> Response:
        """Staff change one cell: `excused`, `override_points` (with a `reason`; null
        clears), or `points` of a manual item. Audited; the course grade follows."""
        self.require_staff()
        data = s.ScoreAdjustInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = self.item(values["item"])
        if selectors.seated_learner(course=self.course, user_id=values["user"]) is None:
            raise ValidationError({"user": ValidationError("Not a learner here.", "not_learner")})
        score = services.score_adjust(
            item=item,
            user_id=values["user"],
            by=request.user,
            reason=values.get("reason", ""),
            excused=values.get("excused"),
            # Absent and null differ: null clears an override, absent leaves it.
            override_points=values.get("override_points", UNSET),
            points=values.get("points", UNSET),
        )
        grade = selectors.stored_grade(course=self.course, user_id=values["user"])
        return Response(
            {
                "item": item.pk,
                "user": values["user"],
                "points": None if score.points is None else str(score.points),
                "excused": score.excused,
                "override_points": None
                if score.override_points is None
                else str(score.override_points),
                "course_percent": None
                if grade is None or grade.percent is None
                else str(grade.percent),
                "letter": grade.letter if grade else "",
            }
        )

    @extend_schema(request=s.SchemeInputSerializer, responses=s.SchemeOutSerializer)
    @action(detail=False, methods=["put"])
    def scheme(self, request: Request, course_slug: str) -> Response:
        """The letter scheme: [[letter, minimum percent], ...]."""
        self.require_config()
        data = s.SchemeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.letter_scheme_set(
            course_id=self.course.pk, scheme=data.validated_data["scheme"], by=request.user
        )
        return Response({"scheme": row.letter_scheme})


@extend_schema(parameters=[COURSE_SLUG])
class GradebookItemViewSet(_CourseViewSet):
    """The gradebook's columns: a course's items (assignments, quizzes, manual items), a
    bounded list (it grows with the course's activities, not with its learners)."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    serializer_class = s.GradebookItemOutSerializer

    @extend_schema(responses=s.GradebookItemOutSerializer(many=True))
    def list(self, request: Request, course_slug: str) -> Response:
        """Staff: the gradebook's columns, in order; a learner row's `scores` are keyed
        by these ids."""
        self.require_staff()
        return Response(
            [
                {
                    "id": i.pk,
                    "title": i.title,
                    "source": i.source,
                    "source_id": i.source_id,
                    "points_possible": str(i.points_possible),
                    "category": i.category.name if i.category else None,
                }
                for i in selectors.gradebook_items(course=self.course)
            ]
        )

    @extend_schema(
        request=s.GradebookItemInputSerializer, responses={201: s.ManualItemOutSerializer}
    )
    def create(self, request: Request, course_slug: str) -> Response:
        """Owners and instructors add a manual (custom) item in a category."""
        self.require_config()
        data = s.GradebookItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = self.category(data.validated_data["category"])
        if category is None:
            raise ValidationError({"category": ValidationError("Not in this course.", "invalid")})
        item = services.manual_item_create(
            course_id=self.course.pk,
            title=data.validated_data["title"],
            points_possible=data.validated_data["points_possible"],
            category=category,
            by=request.user,
        )
        return Response(
            {"id": item.pk, "title": item.title, "points_possible": str(item.points_possible)},
            status=status.HTTP_201_CREATED,
        )


@extend_schema(parameters=[COURSE_SLUG])
class CategoryViewSet(_CourseViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = s.GradeCategorySerializer
    queryset = GradeCategory.objects.none()
    lookup_value_regex = r"[0-9]+"

    def _category(self, pk: str) -> GradeCategory:
        category = self.category(pk)
        if category is None:
            raise Http404
        return category

    def list(self, request: Request, course_slug: str) -> Response:
        """The weighted categories (team only)."""
        self.require_staff()
        page = self.paginate_queryset(selectors.category_list(course=self.course))
        return self.get_paginated_response(s.GradeCategorySerializer(page, many=True).data)

    @extend_schema(
        request=s.GradeCategoryInputSerializer, responses={201: s.GradeCategorySerializer}
    )
    def create(self, request: Request, course_slug: str) -> Response:
        self.require_config()
        data = s.GradeCategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(
            course_id=self.course.pk, by=request.user, **data.validated_data
        )
        return Response(s.GradeCategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.GradeCategoryPatchSerializer)
    def partial_update(self, request: Request, course_slug: str, pk: str) -> Response:
        """Weights and drops move every learner: a background recompute follows."""
        self.require_config()
        category = self._category(pk)
        data = s.GradeCategoryPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.category_update(
            category=category, by=request.user, **data.validated_data
        )
        return Response(s.GradeCategorySerializer(updated).data)

    @extend_schema(request=None)
    def destroy(self, request: Request, course_slug: str, pk: str) -> Response:
        self.require_config()
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        services.category_delete(category=self._category(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
