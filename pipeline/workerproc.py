"""Entry point of one worker process: ``python -m pipeline.workerproc``.

Kept import-free at module level: the sandbox's fork server re-runs the main
module of the process in every child it forks, so this must cost nothing.
"""

from __future__ import annotations

if __name__ == "__main__":
    from pipeline.supervisor import worker_process_main

    worker_process_main()
