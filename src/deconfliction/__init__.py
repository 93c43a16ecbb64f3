"""deconfliction: exact 4D deconfliction of zones and operations on the WGS84 ellipsoid."""

__version__ = "0.1.0"
