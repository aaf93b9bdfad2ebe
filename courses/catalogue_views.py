"""The public catalogue page at `/` (anonymous-friendly): search, filters and pages over
the published courses, each a card linking to its course page (`enrollments:course_page`).

Reads go through `courses.selectors.catalogue_page`, the API catalogue's query
(`course_list`, scope `catalogue`) cached as plain card data under the catalogue version,
so a warm page costs no database query. The query string is validated by a form: a value
the catalogue does not know is shown as an error next to its field and ignored.
"""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from courses import selectors
from courses.models import Course
from courses.selectors import CourseFilters

PRICE_CHOICES = [("", "Any price"), ("free", "Free"), ("paid", "Paid")]
SORT_CHOICES = [
    ("", "Best match or newest"),
    ("newest", "Newest"),
    ("popular", "Most popular"),
    ("title", "Title (A to Z)"),
    ("price", "Price (low to high)"),
    ("-price", "Price (high to low)"),
]  # values: keys of courses.selectors.ORDERINGS (a test checks it)


class CatalogueQueryForm(forms.Form):
    """The catalogue's query string: the API's filters under page-friendly names (`q` is
    the API's `search`)."""

    q = forms.CharField(label="Search courses", max_length=200, required=False)
    category = forms.ChoiceField(label="Category", required=False)
    level = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Course.Level.choices]
    )
    price = forms.ChoiceField(label="Price", required=False, choices=PRICE_CHOICES)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, categories: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "Any category"),
            *((c["slug"], c["name"]) for c in categories),
        ]

    def filters(self) -> CourseFilters:
        """The valid values as catalogue filters (an invalid field counts as not given)."""
        data = self.cleaned_data
        return CourseFilters(
            scope="catalogue",
            search=(data.get("q") or "").strip() or None,
            category=data.get("category") or None,
            level=data.get("level") or None,
            price=data.get("price") or None,
            ordering=data.get("sort") or None,
        )


def _page_links(query: dict[str, str], number: int, num_pages: int) -> dict[str, str | None]:
    """Query strings of the previous and next pages, keeping the other parameters."""

    def link(page: int) -> str:
        return "?" + urlencode({**query, "page": page} if page > 1 else query)

    return {
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < num_pages else None,
    }


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueQueryForm(request.GET, categories=selectors.catalogue_categories())
    form.is_valid()  # errors are shown next to their fields; valid values still apply
    result = selectors.catalogue_page(
        filters=form.filters(), page=form.cleaned_data.get("page") or 1
    )
    # The parameters that shaped the list, for the page links (valid values only).
    kept = {
        name: str(form.cleaned_data[name])
        for name in ("q", "category", "level", "price", "sort")
        if form.cleaned_data.get(name)
    }
    return render(
        request,
        "courses/catalogue.html",
        {
            "form": form,
            "filtered": bool(kept),
            "result": result,
            "courses": result["items"],
            "pages": _page_links(kept, result["number"], result["num_pages"]),
        },
    )
