"""Pictures of any stage's objects (matplotlib, Agg backend: files, never windows)."""
import matplotlib

matplotlib.use("Agg")
