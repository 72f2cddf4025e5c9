"""``python -m agentgym.bench ...`` = ``agentgym bench ...``."""

from agentgym.bench.cli import bench_app

if __name__ == "__main__":
    bench_app()
