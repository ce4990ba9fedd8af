# Type stub for the cffi-compiled simulated board (built from drivers/sim at install time).
from typing import Any

ffi: Any
lib: Any
