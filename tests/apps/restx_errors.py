"""A flask-restx API whose errors Flask-RESTX signals as raised, whatever their status.

``POST`` needs an ``X-Nonce`` header (a ``before_request`` abort(403), as CTFd's CSRF check);
``GET /api/items/<id>`` aborts 404 for an unknown id; ``GET /api/broken`` really crashes.
"""

from flask import Flask, abort, request
from flask_restx import Api, Resource

app = Flask(__name__)
api = Api(app, prefix="/api", doc=False)


@app.before_request
def nonce_required():
    if request.method == "POST" and request.headers.get("X-Nonce") != "n":
        abort(403)


@api.route("/items/<int:item_id>")
class Item(Resource):
    def get(self, item_id):
        if item_id != 1:
            abort(404)
        return {"id": 1}


@api.route("/items")
class Items(Resource):
    def post(self):
        return {"id": 2}, 201


@api.route("/broken")
class Broken(Resource):
    def get(self):
        return {"ratio": 1 / 0}
