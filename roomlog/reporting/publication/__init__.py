"""What leaves the room: closed months, protected once for the whole country, stored, and read back.

* :func:`publish_due` (``service``): publishes every calendar month that every open room
  has closed (approved, accepted, locked or history), with the quarter and year it
  completes; a closed month whose snapshot changed is published again as a new version.
  Called after approval, acceptance, history import, ``roomlog demo`` and ``roomlog publish``.
* ``protect`` + ``audit``: complementary suppression over one calendar year with every
  earlier decision fixed, then an LP audit (HiGHS) of every hidden cell.
* ``store``: the ``publications`` / ``published_cells`` tables; only the latest version of
  a period is served.
* ``read``: tables of calendar periods and of ranges derived from visible stored cells only.
  Nothing outside the room computes disclosure control at request time.
"""

from roomlog.reporting.publication.read import Cell, Table, reader_rooms, since_opening, table, tables, visible_cells
from roomlog.reporting.publication.service import publish_due
from roomlog.reporting.publication.units import NATIONAL, RoomInfo, Unit

__all__ = [
    "NATIONAL",
    "Cell",
    "RoomInfo",
    "Table",
    "Unit",
    "publish_due",
    "reader_rooms",
    "since_opening",
    "table",
    "tables",
    "visible_cells",
]
