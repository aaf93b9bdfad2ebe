"""Pages of the assignments app (included at the site root by lms/urls.py)."""

from django.urls import path

from assignments import views

app_name = "assignments"

STAFF_COURSE = "instructor/courses/<slug:slug>"
STAFF_ASSIGNMENT = "instructor/assignments/<int:assignment_id>"
LEARN_COURSE = "learn/courses/<slug:slug>"

urlpatterns = [
    path("assignments/files/<str:token>/", views.file_download, name="file_download"),
    path(f"{STAFF_COURSE}/assignments/", views.staff_assignments, name="staff_list"),
    path(f"{STAFF_COURSE}/assignments/new/", views.assignment_edit, name="create"),
    path(f"{STAFF_ASSIGNMENT}/edit/", views.assignment_edit, name="edit"),
    path(f"{STAFF_ASSIGNMENT}/grade/", views.speed_grader, name="speed_grader"),
    path(f"{STAFF_COURSE}/gradebook/", views.gradebook_grid, name="gradebook"),
    path("instructor/gradebook/scores/<int:score_id>/history/", views.score_history,
         name="score_history"),
    path(f"{LEARN_COURSE}/assignments/", views.learner_assignments, name="learner_list"),
    path("learn/assignments/<int:assignment_id>/", views.learner_assignment, name="learner_detail"),
    path(f"{LEARN_COURSE}/grades/", views.learner_grades, name="learner_grades"),
]  # fmt: skip
