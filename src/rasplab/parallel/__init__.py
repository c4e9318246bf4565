"""Spread independent work (suite tasks, models, search shards) over workers: a local process
pool by default, Ray when asked; faults retried once, results journalled for resume."""
from rasplab.parallel.executor import Executor, InlineExecutor, Job, JobResult, make_executor
from rasplab.parallel.journal import Journal, run_jobs

__all__ = ["Executor", "InlineExecutor", "Job", "JobResult", "Journal", "make_executor",
           "run_jobs"]
