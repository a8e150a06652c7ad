print("pareto: not yet")
