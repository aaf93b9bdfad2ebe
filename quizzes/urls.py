"""The quizzes pages (included at the site root by lms/urls.py): instructor pages under
/instructor/courses/<slug>/quizzes/, and the learner's page to take a quiz."""

from django.urls import path

from quizzes import views

app_name = "quizzes"

QUIZZES = "instructor/courses/<slug:slug>/quizzes/"
QUIZ = f"{QUIZZES}<int:quiz_id>/"

urlpatterns = [
    path(QUIZZES, views.quiz_list, name="list"),
    path(QUIZ, views.quiz_builder, name="builder"),
    path(f"{QUIZ}questions/", views.question_add, name="question_add"),
    path(f"{QUIZ}draws/", views.draw_add, name="draw_add"),
    path(f"{QUIZ}items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path(f"{QUIZ}grading/", views.grading_queue, name="grading"),
    path(f"{QUIZ}grading/<int:answer_id>/", views.answer_grade, name="grade"),
    path(f"{QUIZ}results/", views.results, name="results"),
    path("quizzes/<int:quiz_id>/take/", views.take, name="take"),
    path("quizzes/attempts/<int:attempt_id>/", views.attempt_page, name="attempt"),
]
