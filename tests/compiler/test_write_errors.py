"""Writing a model into a folder that does not exist: one clear line, exit 2, no traceback."""
import subprocess
import sys


def test_compile_into_a_missing_folder_fails_cleanly(tmp_path):
    target = tmp_path / "no" / "such" / "model.safetensors"
    proc = subprocess.run([sys.executable, "-m", "rasplab.cli.main", "compile", "reverse",
                           "--vocab", "a", "b", "--max-len", "4", "-o", str(target)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
