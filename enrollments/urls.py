"""The instructor's roster pages and the learner portal (a course's page, My learning, the
lesson player), included at the site root by lms/urls.py."""

from django.urls import path

from enrollments import portal_views, views

app_name = "enrollments"

LEARNERS = "instructor/courses/<slug:slug>/learners"
LESSON = "learn/courses/<slug:slug>/lessons/<int:lesson_id>/"

urlpatterns = [
    path(f"{LEARNERS}/", views.roster, name="roster"),
    path(f"{LEARNERS}.csv", views.roster_csv, name="roster_csv"),
    path(f"{LEARNERS}/<int:enrollment_id>/", views.learner, name="learner"),
    # The learner portal (docs/decisions/0016-learner-portal.md).
    path("courses/<slug:slug>/", portal_views.course_page, name="course_page"),
    path("courses/<slug:slug>/enroll/", portal_views.enroll, name="enroll"),
    path("learn/", portal_views.my_learning, name="my_learning"),
    path(LESSON, portal_views.lesson, name="lesson"),
    path(f"{LESSON}complete/", portal_views.lesson_mark_complete, name="lesson_complete"),
]
