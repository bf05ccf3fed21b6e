package custos.logs.lib_test

import data.custos.logs.lib
import rego.v1

test_duration if {
	lib.duration(7200) == "2 h"
	lib.duration(1800) == "30 min"
	lib.duration(90) == "90 s"
}

test_pct_and_num if {
	lib.pct(1, 8) == "12.5 %"
	not lib.pct(1, 0)
	lib.num(3.14159) == "3.14"
	lib.num(0.012345) == "0.0123"
	lib.num(null) == "n/a"
	lib.num(6) == "6.00"
	lib.num(0) == "0.0000"
	lib.num(2.999) == "3.00"
	lib.num(-1.5) == "-1.50"
	lib.pct(0, 5) == "0.0 %"
	lib.pct(5, 5) == "100.0 %"
}

test_windows_are_total if {
	lib.windows({"windows": {"3600": [{"reads": 1}, 3]}}, 3600) == [[0, {"reads": 1}]]
	lib.windows({"windows": "x"}, 3600) == []
	lib.windows({}, 7200) == []
}

test_where if {
	lib.where({"file": "a.jsonl", "line": 3}) == "a.jsonl:3"
	lib.where(null) == "?"
}
