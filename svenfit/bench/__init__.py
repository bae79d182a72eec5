"""The benchmark suite behind ``svenfit bench``."""
