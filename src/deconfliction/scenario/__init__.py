"""Reference scenarios: At Tanf, September 2018."""
