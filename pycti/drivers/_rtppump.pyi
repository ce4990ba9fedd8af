# Type stub for the cffi-compiled RTP pump (built from drivers/rtp at install time).
from typing import Any

ffi: Any
lib: Any
