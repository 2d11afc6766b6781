"""The grassroots organisation domain: units, their timelines and the 转/并/联 changes.

Pure: imports nothing but the standard library and ``eventsourcing.domain``.
"""
