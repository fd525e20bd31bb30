"""The leaders' weekly digest: a week's figures beside the week before, as one short message,
one chart and an Excel workbook, pushed through the outbox every Monday morning.

period.py (weeks and ranges), data.py (figures, through the repositories), papi.py (PAPI
proxy signals), text.py, chart.py, workbook.py (the three parts), build.py (assembly and
delivery), cli.py (`loaxa digest`). Importing this package imports nothing heavy: the chart
module loads matplotlib only when a digest is built.
"""
