"""A county's read views: bitemporal interval rows of every unit, its bodies,
posts and people, its history, the change log and the lineage — kept in the
same store as its events, and written in the same transaction.

``schema`` names the tables and the two times of every read; ``tables`` reaches
them through a dialect (PostgreSQL or SQLite); ``writer`` writes a batch's rows
with the tracking position; ``structure``, ``changelog``, ``staffing``, ``norms``
and ``counts`` are the queries, by area, and ``audit`` what the replay audit reads.
"""
