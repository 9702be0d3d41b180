"""How far Lab's a and b are divided before the network reads them, stated without the imaging
stack so that the settings dataclasses import light."""

AB_SCALE = 110.0  # a and b divided by it; MAST and the LIIR port divide by 127 (Normalize([50, 0, 0], [50, 127, 127]))
