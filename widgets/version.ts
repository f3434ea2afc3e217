// The module name and version the Python widgets name (perqueue_lab/_frontend.py): the npm
// package of this labextension. Kept apart from widget.ts because the registry's exports may
// hold only model and view classes.
export const MODULE_NAME = 'perqueue-lab';
export const MODULE_VERSION = '0.1.0';
