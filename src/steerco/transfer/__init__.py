"""Bring a company's strategy in and get it out: spreadsheets (XLSX, CSV) and more.

One pipeline for every way in (pipeline.py): read → convert every cell → validate every
row with the domain services' own rules → report each problem as (sheet, row, column,
value, reason) → write everything in one unit of work, or nothing. A dry run does the
same and rolls back. Rows are found again by their external keys (org unit codes,
e-mails, keys of themes, objectives, metrics and initiatives, budget line codes), so a
second import of the same file changes nothing and says so.
"""
