"""Outputs written as a set: GeoPackage and styles, GeoParquet, CSVs, web maps, figures, index."""
