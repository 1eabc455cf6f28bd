"""Support Console application core: services, workspace, demo data and the command line.

Pure Python: nothing here imports Qt, so everything the GUI does can be scripted and
tested headless.
"""

__version__ = "0.1.0"
