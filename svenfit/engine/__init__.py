"""The Sven engine: Jacobians, truncated factorisations and the damped iteration."""
