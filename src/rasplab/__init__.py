"""rasplab: turn transformers into RASP programs you can read.

Pipeline: lang -> tasks -> compiler / models -> synth -> distill (one package per stage).
"""

__version__ = "0.1.0"
