"""Comment classifiers: emotion and stance by the codebook, behind one interface (see base.py)."""
