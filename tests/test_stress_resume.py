"""The SIGKILL stress script, for real with a few kills: every file stays readable after each
kill and the resumed run ends with the uninterrupted run's record."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # trains in a subprocess that it kills and resumes


def test_runs_killed_with_sigkill_resume_to_the_uninterrupted_record(repo_root, data_dir):
    script = repo_root / "scripts" / "stress_resume.py"
    result = subprocess.run(
        [sys.executable, str(script), "--kills", "3", "--epochs", "3", "--random-seed", "7"],
        cwd=repo_root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "BATTLEGROUND_DATA_DIR": str(data_dir)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"stress_resume: (\d+) kills, (\d+) resumes, (\d+) mismatches, (\d+) unreadable files \((\d+) finished",
                        result.stdout)
    assert summary, result.stdout
    kills, resumes, mismatches, unreadable, compared = map(int, summary.groups())
    assert (kills, resumes, mismatches, unreadable) == (3, 3, 0, 0) and compared >= 1
