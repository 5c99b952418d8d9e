"""tiercare: software for a tiered-care network (分级诊疗)."""

__version__ = "0.1.0"
