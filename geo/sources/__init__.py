"""Layer sources: the schema, reading and validation, checks, loading into GeoDataFrames, places."""
