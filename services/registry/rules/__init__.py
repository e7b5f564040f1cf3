"""Pure business rules of the registry: no I/O, no database, no web framework.

* :mod:`.months` — business months (``YYYY-MM``) and month periods.
* :mod:`.person` — sex and age counted by month.
* :mod:`.national_id` — the 12-digit personal identification number (CCCD).
* :mod:`.parameters` — effective-dated standard levels and category coefficient rules (+ seed data).
* :mod:`.entitlements` — the monthly social allowance engine and arrears.
* :mod:`.imports` — columns and cell values of bulk import files (CSV / XLSX headers, dates, codes).
"""
