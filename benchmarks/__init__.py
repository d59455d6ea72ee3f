"""What measures the project: `python -m benchmarks.bench` and the scripts beside it; results in results/."""
