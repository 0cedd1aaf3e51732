"""jiebang_es: an event-sourced, audit-first backend for 揭榜挂帅 challenges."""

__version__ = "0.1.0"
