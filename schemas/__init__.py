"""JSON Schemas (Draft 2020-12) for every document Skills Passport reads or writes."""
