package custos.lib.shape_test

import data.custos.lib.shape
import rego.v1

test_accessors_accept_any_value if {
	shape.object_or_empty({"a": 1}) == {"a": 1}
	shape.object_or_empty([1]) == {}
	shape.object_or_empty(null) == {}
	shape.array_or_empty([1]) == [1]
	shape.array_or_empty("x") == []
	shape.one_or_many("make") == ["make"]
	shape.one_or_many(["a", "b"]) == ["a", "b"]
	shape.one_or_many(null) == []
	shape.one_or_many({"a": 1}) == []
	shape.get({"a": 1}, "a", 0) == 1
	shape.get({"a": 1}, "b", 0) == 0
	shape.get("str", "a", 0) == 0
	shape.get(null, "a", 0) == 0
	shape.string_or("x", "") == "x"
	shape.string_or(5, "") == ""
	shape.entries({"a": 1}) == [["a", 1]]
	shape.entries(["x"]) == [[0, "x"]]
	shape.entries(7) == []
}
