"""Models behind one interface (base.py): chat models over provider adapters, baselines and
the VidDiff method. The catalog names them; nothing here registers itself."""
