"""The public catalogue at `/` and the instructor pages under /instructor/ (included at
the site root by lms/urls.py)."""

from django.urls import path

from courses import catalogue_views, views

app_name = "courses"

COURSE = "instructor/courses/<slug:slug>/"

urlpatterns = [
    path("", catalogue_views.catalogue, name="catalogue"),
    path("instructor/", views.course_list, name="instructor_courses"),
    path("instructor/courses/new/", views.course_create, name="create"),
    path(COURSE, views.course_content, name="editor"),  # the hub's Content page
    path(f"{COURSE}settings/", views.course_settings, name="settings"),
    path(f"{COURSE}outline/", views.outline_reorder, name="reorder"),
    path(f"{COURSE}publish/", views.course_publish, name="publish"),
    path(f"{COURSE}archive/", views.course_archive, name="archive"),
    path(f"{COURSE}modules/", views.module_add, name="module_add"),
    path(f"{COURSE}modules/<int:module_id>/", views.module_rename, name="module_rename"),
    path(f"{COURSE}modules/<int:module_id>/delete/", views.module_delete, name="module_delete"),
    path(f"{COURSE}modules/<int:module_id>/move/", views.module_move, name="module_move"),
    path(f"{COURSE}modules/<int:module_id>/lessons/", views.lesson_add, name="lesson_add"),
    path(f"{COURSE}lessons/<int:lesson_id>/", views.lesson_edit, name="lesson_edit"),
    path(f"{COURSE}lessons/<int:lesson_id>/delete/", views.lesson_delete, name="lesson_delete"),
    path(f"{COURSE}lessons/<int:lesson_id>/move/", views.lesson_move, name="lesson_move"),
    path(f"{COURSE}staff/", views.staff_add, name="staff_add"),
    path(f"{COURSE}staff/<int:member_id>/remove/", views.staff_remove, name="staff_remove"),
]
