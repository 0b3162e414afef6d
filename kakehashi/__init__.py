"""The composition root: the one package that knows every other, and assembles the web app
(``app``), the job worker (``jobs``), the models' metadata (``models``), the OpenAPI document
(``openapi``) and the ``fair`` command (``cli``) from the packages' declarations
(``features``)."""
