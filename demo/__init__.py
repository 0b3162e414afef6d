"""The demo programme (``fair demo``): its data (``data``), its generated pictures
(``images``) and the loader (``loader``, with ``booths`` and ``meetings``), which goes
through the services production uses. Above every feature; nothing below imports it."""
