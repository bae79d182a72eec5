"""HEP fits: ROOT input (uproot), histograms, models, likelihood conditions, and Minuit side by side."""
