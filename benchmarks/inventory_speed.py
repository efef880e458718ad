"""How long the inventory of a 150-route app takes (target: under one second).

Generates a synthetic app of 150 routes — blueprints with url_prefix, decorated views, JWT guards,
MethodViews — in a temporary directory, loads it through testboost's sandbox, then times
``build_inventory`` plus input inference (what ``testboost routes`` does after loading).

    .venv/bin/python benchmarks/inventory_speed.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from testboost.analysis.inputs import infer_inputs
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

ROUTES = 150
BLUEPRINTS = 10


def write_app(directory: Path) -> None:
    """A package with BLUEPRINTS modules; each holds function views and one MethodView."""
    package = directory / "bigapp"
    package.mkdir()
    per_blueprint = ROUTES // BLUEPRINTS
    for b in range(BLUEPRINTS):
        views = []
        for v in range(per_blueprint - 1):
            guard = "@jwt_required()\n" if v % 3 == 0 else ""
            views.append(
                f'@bp.route("/r{v}/<int:item_id>", methods=["GET", "PUT"])\n{guard}'
                f"def view_{v}(item_id):\n"
                f"    data = request.get_json(silent=True) or {{}}\n"
                f'    page = request.args.get("page", 1, type=int)\n'
                f'    return jsonify(id=item_id, name=data.get("name"), page=page)\n'
            )
        views.append(
            "class Things(MethodView):\n"
            "    def get(self):\n        return jsonify([])\n"
            "    @jwt_required()\n    def post(self):\n"
            '        return jsonify(request.json["title"]), 201\n\n'
            'bp.add_url_rule("/things", view_func=Things.as_view("things"))\n'
        )
        (package / f"bp{b}.py").write_text(
            "from flask import Blueprint, jsonify, request\n"
            "from flask.views import MethodView\n"
            "from flask_jwt_extended import jwt_required\n\n"
            f'bp = Blueprint("bp{b}", __name__, url_prefix="/api/bp{b}")\n\n' + "\n\n".join(views)
        )
    imports = "\n".join(f"    from bigapp.bp{b} import bp as bp{b}" for b in range(BLUEPRINTS))
    registers = "\n".join(f"    app.register_blueprint(bp{b})" for b in range(BLUEPRINTS))
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """\
            from flask import Flask
            from flask_jwt_extended import JWTManager


            def create_app():
                app = Flask(__name__)
                app.config["JWT_SECRET_KEY"] = "benchmark-secret-key-that-is-long-enough"
                JWTManager(app)
            """
        )
        + imports
        + "\n"
        + registers
        + "\n    return app\n"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_app(Path(tmp))
        sys.path.insert(0, tmp)
        with Sandbox() as sandbox:
            started = time.perf_counter()
            app = load_app("bigapp:create_app()", sandbox)
            load_seconds = time.perf_counter() - started
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                routes = build_inventory(app)
                for route in routes:
                    for handler in route.handlers:
                        infer_inputs(handler.function)
                timings.append(time.perf_counter() - started)
    own = [r for r in routes if r.kind == "view"]
    print(f"routes: {len(own)} ({sum(len(r.methods) for r in own)} method-route pairs)")
    print(f"app load (import + factory, sandboxed): {load_seconds:.3f} s")
    print(
        f"inventory + input inference: first {timings[0]:.3f} s, "
        f"median of 5 {statistics.median(timings):.3f} s (target < 1 s)"
    )


if __name__ == "__main__":
    main()
