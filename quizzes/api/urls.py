"""The quizzes API under /api/v1/ (registered on the shared router)."""

from django.urls import URLPattern

from lms.api.routers import api_router
from quizzes.api import views

_COURSE = r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)"

api_router.register(f"{_COURSE}/quizzes", views.CourseQuizViewSet, basename="course-quiz")
api_router.register(
    f"{_COURSE}/question-banks", views.CourseBankViewSet, basename="course-question-bank"
)
api_router.register("quizzes", views.QuizViewSet, basename="quiz")
api_router.register("quiz-items", views.QuizItemViewSet, basename="quiz-item")
api_router.register("question-banks", views.BankViewSet, basename="question-bank")
api_router.register("questions", views.QuestionViewSet, basename="question")
api_router.register("attempts", views.AttemptViewSet, basename="attempt")
api_router.register("attempt-answers", views.AttemptAnswerViewSet, basename="attempt-answer")

urlpatterns: list[URLPattern] = []
