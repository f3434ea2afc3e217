"""The front-end module the Python widgets name: the npm package of the labextension.

``MODULE_VERSION`` is a semver *range*; the labextension registers its widget module under
``MODULE_NAME`` with a version inside it (``registerWidget({name, version, exports})``).
"""

MODULE_NAME = "perqueue-lab"
MODULE_VERSION = "^0.1.0"
