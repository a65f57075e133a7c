"""zhicheng: 职称评审平台."""

__version__ = "0.1.0"
