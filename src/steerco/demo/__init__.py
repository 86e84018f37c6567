"""A realistic, deterministic demo company, generated vectorised and bulk-loaded."""

from steerco.demo.generate import DemoData, generate
from steerco.demo.load import load, write_demo
from steerco.demo.sizes import SIZES

__all__ = ["SIZES", "DemoData", "generate", "load", "write_demo"]
