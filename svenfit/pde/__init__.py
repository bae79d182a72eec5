"""PDEs and PINNs: derivatives, collocation sampling, condition builders, standard problems, plots."""
