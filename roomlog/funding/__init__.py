"""The state co-financing pool below the views: money format, pure rules, cost next to activity, reads.

* ``money``: whole kroner in and out (``25.000.000 kr.``), no floats.
* ``rules``: pure checks — permit transitions, eligibility, the pool ceiling, the municipal match.
* ``cost``: cost per consumption and per acute treatment (pure, Decimal).
* ``activity``: the ONE adapter that fetches published activity for the cost.
* ``queries``: funding per room and year, the pool's totals (plain rows, scoped by municipality).
"""
