"""Robustness benchmark: policy × env × perturbation matrix, statistics, reports, demo."""

from agentgym.bench.run import BenchConfig, load_results, run_bench
from agentgym.bench.stats import newcombe, paired_bootstrap, wilson

__all__ = ["BenchConfig", "load_results", "newcombe", "paired_bootstrap", "run_bench", "wilson"]
