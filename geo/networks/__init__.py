"""Networks derived from the layers: passenger rail, the OSM track, road access, freight legs."""
