"""One router per resource; each route is named like the application method it calls."""
