"""testboost: turn an untested Flask application into a tested one.

The pipeline (see DESIGN.md): ``target`` loads the app in a sandbox, ``inventory`` lists its
routes, ``analysis`` infers what each view reads, ``explore`` drives the routes, ``checks`` turn
exchanges into findings and ``report`` renders them.
"""

__version__ = "0.1.0"
