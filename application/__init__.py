"""Use cases: one application per county, and the projection that keeps its read views."""
