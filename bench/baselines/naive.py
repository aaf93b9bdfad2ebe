"""Naive twins: the benchmarked endpoints as a typical DRF project writes them.

ReadOnlyModelViewSets with nested ModelSerializers, the project's default authentication,
permission and pagination classes, and nothing else: no select_related or
prefetch_related, counts and "next lesson" computed per row, no caching, no row lock.
They answer the same requests with the same information (bodies need not be equal) so
the runner can show what the real endpoints' care is worth. Not for production use: they
exist only under /bench/naive/ when settings.BENCH_BASELINES is on.
"""

from datetime import timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag
from courses.selectors import completion_rule_of
from enrollments.api.views import RosterViewSet as RealRosterViewSet
from enrollments.completion import course_grade_standings, grade_allows_completion
from enrollments.models import Enrollment, LessonCompletion
from enrollments.selectors import request_decision_for
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish

PUBLIC = ["published", "archived"]
SEATED = ["active", "completed"]


# --- serializers ------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["id", "slug", "name", "parent"]


class TagSerializer(serializers.ModelSerializer[Tag]):
    class Meta:
        model = Tag
        fields = ["id", "slug", "name"]


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name"]


class StaffSerializer(serializers.ModelSerializer[CourseStaff]):
    user = UserSerializer()

    class Meta:
        model = CourseStaff
        fields = ["id", "user", "role"]


class CourseSerializer(serializers.ModelSerializer[Course]):
    category = CategorySerializer()
    tags = TagSerializer(many=True)
    instructors = serializers.SerializerMethodField()
    is_free = serializers.BooleanField(read_only=True)
    module_count = serializers.SerializerMethodField()
    lesson_count = serializers.SerializerMethodField()
    duration_minutes = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id", "slug", "title", "subtitle", "cover_image", "language", "level",
            "category", "tags", "price_amount", "currency", "is_free", "status", "published_at",
            "capacity", "estimated_hours", "enrollment_count", "module_count",
            "lesson_count", "duration_minutes", "instructors",
        ]  # fmt: skip

    def get_instructors(self, course: Course) -> Any:
        staff = course.staff.filter(role__in=["owner", "instructor"]).order_by("id")
        return StaffSerializer(staff, many=True).data

    def get_module_count(self, course: Course) -> int:
        return course.modules.count()

    def get_lesson_count(self, course: Course) -> int:
        return Lesson.objects.filter(module__course=course).count()

    def get_duration_minutes(self, course: Course) -> int:
        total = Lesson.objects.filter(module__course=course).aggregate(t=Sum("duration_minutes"))
        return total["t"] or 0


class CourseDetailSerializer(CourseSerializer):
    class Meta(CourseSerializer.Meta):
        fields = [
            *CourseSerializer.Meta.fields,
            "description", "description_html", "enrollment_opens_at", "enrollment_closes_at",
            "starts_at", "ends_at", "passing_grade", "video_complete_percent", "archived_at",
            "created_at", "updated_at",
        ]  # fmt: skip


class OutlineLessonSerializer(serializers.ModelSerializer[Lesson]):
    activity_id = serializers.SerializerMethodField()
    completion = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = [
            "id", "title", "position", "kind", "activity_id", "completion", "duration_minutes",
            "is_preview", "required_for_completion", "release_at", "release_after_days",
            "requires_prerequisites", "state",
        ]  # fmt: skip

    def get_activity_id(self, lesson: Lesson) -> int | None:
        """Per quiz or assignment lesson, a query: its activity, a published one first."""
        if lesson.kind == "quiz":
            return lesson.quizzes.order_by("-published", "id").values_list("id", flat=True).first()
        if lesson.kind == "assignment":
            assignments = lesson.assignments.order_by("-is_published", "id")
            return assignments.values_list("id", flat=True).first()
        return None

    def get_completion(self, lesson: Lesson) -> dict[str, Any]:
        """Per lesson, its course and, for a quiz or assignment lesson, its activity."""
        return completion_rule_of(lesson, lesson.module.course).as_data()

    def get_state(self, lesson: Lesson) -> dict[str, Any] | None:
        """Per lesson, a query or three: completed, released, prerequisites done."""
        enrollment: Enrollment | None = self.context.get("enrollment")
        if enrollment is None:
            return None
        completed = LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists()
        unlock_at = lesson.release_at
        if unlock_at is None and lesson.release_after_days is not None:
            unlock_at = enrollment.enrolled_at + timedelta(days=lesson.release_after_days)
        reason = None
        if lesson.is_preview:
            pass
        elif unlock_at is not None and timezone.now() < unlock_at:
            reason = "not_released"
        elif lesson.requires_prerequisites and not self._prerequisites_done(lesson, enrollment):
            reason = "prerequisite"
        return {
            "completed": completed,
            "locked": reason is not None,
            "lock_reason": reason,
            "unlock_at": unlock_at,  # a datetime: DRF's encoder writes it with Z
        }

    def _prerequisites_done(self, lesson: Lesson, enrollment: Enrollment) -> bool:
        module = lesson.module
        earlier = Lesson.objects.filter(
            Q(module__course=module.course, required_for_completion=True)
            & (
                Q(module__position__lt=module.position)
                | Q(module=module, position__lt=lesson.position)
            )
        )
        return all(
            LessonCompletion.objects.filter(enrollment=enrollment, lesson=other).exists()
            for other in earlier
        )


class OutlineModuleSerializer(serializers.ModelSerializer[Module]):
    duration_minutes = serializers.SerializerMethodField()
    lessons = serializers.SerializerMethodField()

    class Meta:
        model = Module
        fields = ["id", "title", "position", "duration_minutes", "lessons"]

    def get_duration_minutes(self, module: Module) -> int:
        return module.lessons.aggregate(t=Sum("duration_minutes"))["t"] or 0

    def get_lessons(self, module: Module) -> Any:
        lessons = module.lessons.order_by("position")
        return OutlineLessonSerializer(lessons, many=True, context=self.context).data


class CourseBriefSerializer(serializers.ModelSerializer[Course]):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "status"]


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    course = CourseBriefSerializer()
    next_lesson = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "id", "course", "status", "source", "enrolled_at", "waitlisted_at",
            "completed_at", "last_activity_at", "completed_count", "required_total",
            "percent", "next_lesson", "time_multiplier", "extra_attempts",
            "deadline_extension_days",
        ]  # fmt: skip

    def get_next_lesson(self, enrollment: Enrollment) -> dict[str, Any] | None:
        lessons = Lesson.objects.filter(module__course=enrollment.course).order_by(
            "module__position", "position"
        )
        for lesson in lessons:
            if not enrollment.completions.filter(lesson=lesson).exists():
                return {"id": lesson.pk, "title": lesson.title, "kind": lesson.kind}
        return None


class RosterEntrySerializer(serializers.ModelSerializer[Enrollment]):
    user = UserSerializer()

    class Meta:
        model = Enrollment
        fields = [
            "id", "user", "status", "source", "enrolled_at", "waitlisted_at",
            "completed_at", "last_activity_at", "completed_count", "required_total",
            "percent", "time_multiplier", "extra_attempts", "deadline_extension_days",
        ]  # fmt: skip


class LessonSerializer(serializers.ModelSerializer[Lesson]):
    course = serializers.SerializerMethodField()
    completed = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = [
            "id", "course", "module", "title", "position", "kind", "body", "body_html",
            "video_url", "file", "link_url", "duration_minutes", "is_preview",
            "required_for_completion", "completed",
        ]  # fmt: skip

    def get_course(self, lesson: Lesson) -> str:
        return lesson.module.course.slug

    def get_completed(self, lesson: Lesson) -> bool | None:
        enrollment = seat_of(self.context["request"].user, lesson.module.course)
        if enrollment is None:
            return None
        return LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists()


# --- helpers ----------------------------------------------------------------------------


def is_staff_of(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return user.role == "admin" or CourseStaff.objects.filter(course=course, user=user).exists()


def seat_of(user: Any, course: Course) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return Enrollment.objects.filter(user=user, course=course, status__in=SEATED).first()


# --- viewsets ---------------------------------------------------------------------------


class CourseViewSet(viewsets.ReadOnlyModelViewSet[Course]):
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    permission_classes = [AllowAny]

    def get_serializer_class(self) -> type[CourseSerializer]:
        return CourseDetailSerializer if self.action != "list" else CourseSerializer

    def get_queryset(self) -> QuerySet[Course]:
        if self.action != "list":
            return Course.objects.all()
        courses = Course.objects.filter(status="published")
        category = self.request.query_params.get("category")
        if category:
            courses = courses.filter(
                Q(category__slug=category) | Q(category__parent__slug=category)
            )
        search = self.request.query_params.get("search")
        if search and connection.vendor == "postgresql":
            query = SearchQuery(search, search_type="websearch", config="english")
            return (
                courses.filter(search_vector=query)
                .annotate(rank=SearchRank(F("search_vector"), query))
                .order_by("-rank", "-id")
            )
        if search:
            courses = courses.filter(title__icontains=search)
        return courses.order_by(F("published_at").desc(nulls_last=True), "-created_at", "-id")

    def get_object(self) -> Course:
        course = super().get_object()
        if course.status not in PUBLIC and not is_staff_of(self.request.user, course):
            raise Http404
        return course

    @action(detail=True, methods=["get"])
    def outline(self, request: Request, slug: str) -> Response:
        course = self.get_object()
        context = {"request": request, "enrollment": seat_of(request.user, course)}
        modules = course.modules.order_by("position")
        lessons = Lesson.objects.filter(module__course=course)
        return Response(
            {
                "course": course.slug,
                "module_count": modules.count(),
                "lesson_count": lessons.count(),
                "duration_minutes": lessons.aggregate(t=Sum("duration_minutes"))["t"] or 0,
                "modules": OutlineModuleSerializer(modules, many=True, context=context).data,
            }
        )


class EnrollmentViewSet(viewsets.ReadOnlyModelViewSet[Enrollment]):
    serializer_class = EnrollmentSerializer

    def get_queryset(self) -> QuerySet[Enrollment]:
        user: Any = self.request.user  # authenticated: the default IsAuthenticated
        return (
            Enrollment.objects.filter(user=user)
            .exclude(status__in=["dropped", "revoked"])
            .order_by("-enrolled_at", "-id")
        )


class LessonViewSet(viewsets.ReadOnlyModelViewSet[Lesson]):
    serializer_class = LessonSerializer
    queryset = Lesson.objects.all()

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self.action == "retrieve" else [IsAuthenticated()]

    def get_object(self) -> Lesson:
        lesson = super().get_object()
        course = lesson.module.course
        if is_staff_of(self.request.user, course):
            return lesson
        if course.status not in PUBLIC:
            raise Http404
        if not lesson.is_preview and seat_of(self.request.user, course) is None:
            raise Http404
        return lesson

    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        lesson = self.get_object()
        course = lesson.module.course
        enrollment = seat_of(request.user, course)
        if enrollment is None:
            raise PermissionDenied("Enroll in the course first.")
        with transaction.atomic():
            if not LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists():
                # What completes the lesson (docs/decisions/0014-completion-rules.md).
                decision = request_decision_for(enrollment=enrollment, lesson=lesson, course=course)
                if not decision.allowed:
                    raise ServiceError(
                        decision.code or "not_active", decision.message, **decision.extra
                    )
            _, created = LessonCompletion.objects.get_or_create(
                enrollment=enrollment, lesson=lesson
            )
            enrollment.last_activity_at = timezone.now()
            if created:
                required = Lesson.objects.filter(
                    module__course=course, required_for_completion=True
                )
                enrollment.required_total = required.count()
                enrollment.completed_count = enrollment.completions.filter(
                    lesson__required_for_completion=True
                ).count()
                total = enrollment.required_total
                enrollment.percent = (
                    min(100, enrollment.completed_count * 100 // total) if total else 0
                )
                if (
                    enrollment.status == "active"
                    and enrollment.percent == 100
                    and grade_allows_completion(
                        passing_grade=course.passing_grade,
                        standings=course_grade_standings(
                            course_id=course.pk, user_ids=[enrollment.user_id]
                        ),
                        user_id=enrollment.user_id,
                    )
                ):
                    enrollment.status = "completed"
                    enrollment.completed_at = timezone.now()
                    outbox_publish(
                        topic="enrollments.course_completed",
                        payload={
                            "enrollment_id": enrollment.pk,
                            "user_id": enrollment.user_id,
                            "course_id": enrollment.course_id,
                        },
                    )
            enrollment.save()
        return Response(
            {
                "lesson": lesson.pk,
                "completed": True,
                "created": created,
                "enrollment": EnrollmentSerializer(enrollment).data,
            }
        )


class RosterViewSet(viewsets.ReadOnlyModelViewSet[Enrollment]):
    serializer_class = RosterEntrySerializer
    # The real roster's pagination style (page numbers, or a cursor if it switches).
    pagination_class = RealRosterViewSet.pagination_class

    def get_queryset(self) -> QuerySet[Enrollment]:
        course = get_object_or_404(Course, slug=self.kwargs["course_slug"])
        if not is_staff_of(self.request.user, course):
            if course.status not in PUBLIC:
                raise Http404
            raise PermissionDenied("Only the course team sees its learners.")
        enrollments = Enrollment.objects.filter(course=course)
        status = self.request.query_params.get("status")
        if status:
            enrollments = enrollments.filter(status=status)
        return enrollments.order_by("user__email", "id")
