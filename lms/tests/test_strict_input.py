"""Strict input (lms.api.serializers): unknown fields are refused by name, nested ones too;
known read-only fields and DRF's form notation for nested values are not."""

from django.http import QueryDict
from rest_framework import serializers

from lms.api.serializers import EmptySerializer, Serializer


class Line(Serializer):
    qty = serializers.IntegerField()


class Order(Serializer):
    id = serializers.IntegerField(read_only=True)
    note = serializers.CharField(required=False)
    lines = Line(many=True, required=False)
    tags = serializers.DictField(child=serializers.CharField(), required=False)


def _errors(serializer: serializers.Serializer) -> dict:
    assert not serializer.is_valid()
    return serializer.errors


def test_an_unknown_field_is_named_with_its_code():
    errors = _errors(Order(data={"note": "x", "colour": "red"}))
    assert list(errors) == ["colour"]
    assert errors["colour"][0].code == "unknown_field"


def test_unknown_fields_are_reported_beside_the_other_errors():
    errors = _errors(Order(data={"lines": [{"qty": "many"}], "colour": "red"}))
    assert set(errors) == {"lines", "colour"}


def test_nested_objects_are_strict_too():
    errors = _errors(Order(data={"lines": [{"qty": 1, "price": 3}]}))
    assert errors["lines"][0]["price"][0].code == "unknown_field"


def test_a_read_only_field_sent_back_is_known_and_ignored():
    serializer = Order(data={"id": 7, "note": "x"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"note": "x"}


def test_form_notation_of_a_known_field_is_accepted_and_of_an_unknown_one_refused():
    accepted = Order(data=QueryDict("note=x&tags.a=1&tags.b=2&lines[0]qty=1"))
    assert accepted.is_valid(), accepted.errors
    errors = _errors(Order(data=QueryDict("note=x&colour.a=1")))
    assert list(errors) == ["colour.a"]


def test_an_action_without_a_body_refuses_any_field_and_accepts_none():
    assert EmptySerializer(data={}).is_valid()
    assert EmptySerializer(data=QueryDict("")).is_valid()
    assert list(_errors(EmptySerializer(data={"force": True}))) == ["force"]
    assert not EmptySerializer(data=[1, 2]).is_valid()
