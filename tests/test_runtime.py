"""The runtime generated code imports: UNSET, parameter encoding, and request models built from arguments."""

from __future__ import annotations

import copy
import inspect
import pickle
import pydoc
from typing import Any

import attrs
import pytest

from ching_client import UNSET, Ching, Unset
from ching_client._generated.models.product_feature import ProductFeature
from ching_client._generated.models.product_feature_input import ProductFeatureInput
from ching_client._generated.models.product_update_request import ProductUpdateRequest
from ching_client._runtime.fields import Field, fields, from_mapping, from_wire
from ching_client._runtime.kinds import (
    Anything,
    Boolean,
    Enum,
    Integer,
    InvalidArgument,
    ListOf,
    ModelOf,
    String,
    StringMap,
)
from ching_client._runtime.model import Model
from ching_client._runtime.params import Param, encode_headers, encode_query


def test_unset_reads_as_unset_in_signatures_help_and_reprs() -> None:
    assert repr(UNSET) == "UNSET"
    assert not UNSET
    with Ching(api_key="ck_test_" + "0" * 64) as ching:
        assert "email: 'str | Unset' = UNSET" in str(inspect.signature(ching.customers.create))
        shown = pydoc.render_doc(ching.customers.update, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    assert "phone: 'str | Unset' = UNSET" in shown
    assert "object at 0x" not in shown
    assert repr(ProductUpdateRequest(name="Pro")).startswith("ProductUpdateRequest(name='Pro', description=UNSET,")


def test_unset_stays_the_one_instance_through_copies_and_pickling() -> None:
    assert Unset() is UNSET
    assert copy.copy(UNSET) is UNSET
    assert copy.deepcopy(UNSET) is UNSET
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
    request = ProductUpdateRequest(name="Pro")
    assert pickle.loads(pickle.dumps(request)).description is UNSET


def _param(kind: Any, style: str = "form", explode: bool = True, wire: str = "p") -> Param:
    return Param("p", wire, kind, style, explode)


@pytest.mark.parametrize(
    ("param", "value", "query"),
    [
        (_param(String()), "a b&c=d", "p=a%20b%26c%3Dd"),
        (_param(Integer()), 5, "p=5"),
        (_param(Boolean()), False, "p=false"),
        (_param(Enum(("gold",))), "gold", "p=gold"),
        (_param(ListOf(String())), ["a", "b,c"], "p=a&p=b%2Cc"),
        (_param(ListOf(String()), explode=False), ["a", "b,c"], "p=a,b%2Cc"),
        (_param(ListOf(Integer()), "spaceDelimited", False), [1, 2], "p=1%202"),
        (_param(ListOf(String()), "pipeDelimited", False), ["a", "b|c"], "p=a|b%7Cc"),
        (_param(StringMap(), "deepObject"), {"plan": "pro", "a b": "c"}, "p[plan]=pro&p[a%20b]=c"),
        (_param(StringMap()), {"plan": "pro"}, "plan=pro"),
        (_param(StringMap(), explode=False), {"plan": "pro", "x": "y"}, "p=plan,pro,x,y"),
        (_param(ListOf(String()), wire="tag[]"), ["a"], "tag%5B%5D=a"),
        (_param(String()), UNSET, ""),
        (_param(String(nullable=True)), None, ""),
    ],
)
def test_query_parameters_follow_the_spec_style(param: Param, value: object, query: str) -> None:
    assert encode_query((param, value)) == query


def test_query_parameters_keep_their_order_and_skip_what_was_not_given() -> None:
    first, second = Param("a", "a", Integer(), "form", True), Param("b", "b", String(), "form", True)
    assert encode_query((first, 1), (second, UNSET), (first, 2)) == "a=1&a=2"


@pytest.mark.parametrize(
    ("param", "value", "header"),
    [
        (_param(String(), "simple", False), "acct_1", "acct_1"),
        (_param(ListOf(String()), "simple", False), ["a", "b"], "a,b"),
        (_param(StringMap(), "simple", False), {"a": "1", "b": "2"}, "a,1,b,2"),
        (_param(StringMap(), "simple", True), {"a": "1", "b": "2"}, "a=1,b=2"),
        (_param(Boolean(), "simple", False), True, "true"),
    ],
)
def test_header_parameters_use_the_simple_style(param: Param, value: object, header: str) -> None:
    assert encode_headers((param, value)) == {"p": header}
    assert encode_headers((param, UNSET)) is None


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "שלום", "tab\there"])
def test_a_header_value_that_would_break_the_request_is_refused(value: str) -> None:
    with pytest.raises(InvalidArgument, match="printable ASCII"):
        encode_headers((_param(String(), "simple", False), value))


@pytest.mark.parametrize(
    ("param", "value", "argument"),
    [
        (_param(String()), "a\udcff", "p"),
        (_param(ListOf(String()), explode=False), ["a", "b\udcff"], "p[1]"),
        (_param(StringMap(), "deepObject"), {"plan": "\udcff"}, "p.plan"),
        (_param(StringMap(), "deepObject"), {"\udcff": "pro"}, "p"),
        (_param(Anything()), "\udcff", "p"),
        (_param(Anything()), {"plan": ["pro", {"tier": "\udcff"}]}, "p.plan[1].tier"),
        (_param(Anything(), "deepObject"), {"\udcff": "pro"}, "p"),
    ],
    ids=["string", "list item", "map value", "map key", "anything", "anything nested", "anything key"],
)
def test_a_query_parameter_with_a_lone_surrogate_is_refused_by_name(param: Param, value: object, argument: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        encode_query((param, value))
    assert caught.value.argument == argument
    assert "lone surrogate (U+DCFF)" in caught.value.problem


@pytest.mark.parametrize(
    ("kind", "value"),
    [(String(), "\udcff"), (ListOf(String()), ["a", "\udcff"]), (Anything(), ["\udcff"])],
    ids=["string", "list", "anything"],
)
def test_a_header_parameter_with_a_lone_surrogate_is_refused_saying_so(kind: Any, value: object) -> None:
    with pytest.raises(InvalidArgument, match="lone surrogate"):
        encode_headers((_param(kind, "simple", False), value))


def test_a_nested_value_of_any_kind_is_walked_without_recursion() -> None:
    deep: Any = "\udcff"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidArgument) as caught:
        Anything().convert("p", deep)
    assert caught.value.argument == "p" + "[0]" * 100_000


def test_a_parameter_of_the_wrong_type_is_refused_by_name() -> None:
    with pytest.raises(InvalidArgument) as caught:
        encode_query((_param(ListOf(Integer())), [1, True]))
    assert caught.value.argument == "p[1]"


def test_a_nested_mapping_takes_python_names_and_becomes_the_model() -> None:
    feature = from_mapping(ProductFeatureInput, {"title": "Fast", "subtitle": None}, "features[0]")
    assert feature == ProductFeatureInput(title="Fast", subtitle=None)
    assert feature.to_dict() == {"title": "Fast", "subtitle": None}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"title": "Fast", "sub_title": "x"}, "features[0]: unknown key 'sub_title'; the keys are 'title', 'subtitle'"),
        ({"subtitle": "x"}, "features[0]: missing required key 'title'"),
        ({"title": ""}, "features[0].title: must not be empty"),
        ({"title": 5}, "features[0].title: must be a string, got int"),
        ({"title": "Fast", "subtitle": 5}, "features[0].subtitle: must be a string or None, got int"),
    ],
)
def test_a_wrong_nested_mapping_is_refused_saying_where(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        from_mapping(ProductFeatureInput, mapping, "features[0]")
    assert str(caught.value) == message


def test_another_model_is_read_through_its_wire_form() -> None:
    feature = ProductFeature.from_dict({"title": "Fast", "subtitle": "Under 4h"})
    assert from_wire(ProductFeatureInput, feature.to_dict(), "features[0]") == ProductFeatureInput("Fast", "Under 4h")
    feature["badge"] = "new"  # a field Ching added to responses only
    with pytest.raises(InvalidArgument, match="has field 'badge', which ProductFeatureInput does not have"):
        from_wire(ProductFeatureInput, feature.to_dict(), "features[0]")


def test_a_mapping_key_with_a_lone_surrogate_is_shown_escaped() -> None:
    """The key names a field of the caller's: the message shows which one, escaped so it can be printed."""
    with pytest.raises(InvalidArgument) as caught:
        StringMap().convert("metadata", {"plan": "pro", "us\udcffer": "v"})
    assert caught.value.argument == "metadata"
    assert caught.value.problem.startswith("the key 'us\\udcffer' has a lone surrogate (U+DCFF) at index 2")


@attrs.define
class _Address(Model):
    """A nested request model with a required field and an optional one Ching cannot set to null."""

    line1: str
    city: str | Unset = UNSET


_Address._arguments = fields(Field("line1", "line1", String(), required=True), Field("city", "city", String()))


@pytest.mark.parametrize(
    ("kind", "value", "argument"),
    [
        (ModelOf(_Address), {"line1": "1 Herzl St", "city": None}, "address.city"),
        (
            ListOf(ModelOf(_Address)),
            [{"line1": "1 Herzl St"}, {"line1": "2 Herzl St", "city": None}],
            "address[1].city",
        ),
    ],
)
def test_none_for_a_nested_field_ching_cannot_null_names_it_and_says_to_leave_the_key_out(
    kind: Any, value: object, argument: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        kind.convert("address", value)
    assert caught.value.argument == argument
    assert caught.value.problem.startswith("cannot be None: Ching cannot set this field to null.")
    assert "leave the key out or pass UNSET" in caught.value.problem
