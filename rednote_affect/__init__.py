"""rednote_affect: the Python package behind the dbt warehouse.

dbt Python models stay thin and call one function of this package each.
"""

__version__ = "0.1.0"
