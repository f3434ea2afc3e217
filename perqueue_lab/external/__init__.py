"""Interchange with other workflow tools (PerQueue's ``perqueue.external``)."""
