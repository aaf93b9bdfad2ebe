"""The instructor's roster pages (included at the site root by lms/urls.py)."""

from django.urls import path

from enrollments import views

app_name = "enrollments"

LEARNERS = "instructor/courses/<slug:slug>/learners"

urlpatterns = [
    path(f"{LEARNERS}/", views.roster, name="roster"),
    path(f"{LEARNERS}.csv", views.roster_csv, name="roster_csv"),
    path(f"{LEARNERS}/<int:enrollment_id>/", views.learner, name="learner"),
]
