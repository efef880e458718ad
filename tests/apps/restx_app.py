"""A flask-restx API: namespaces, Resources, method_decorators."""

from flask import Flask
from flask_jwt_extended import JWTManager, jwt_required
from flask_restx import Api, Namespace, Resource, reqparse

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = "test-secret-key-with-enough-length-for-hs256"
JWTManager(app)
api = Api(app, prefix="/api", doc="/docs")
ns = Namespace("todos")

parser = reqparse.RequestParser()
parser.add_argument("task", type=str, required=True, location="json")


@ns.route("/")
class TodoList(Resource):
    def get(self):
        return []

    def post(self):
        args = parser.parse_args()
        return {"task": args["task"]}, 201


@ns.route("/<int:todo_id>")
class Todo(Resource):
    method_decorators = {"delete": [jwt_required()]}  # noqa: RUF012

    def get(self, todo_id):
        return {"id": todo_id}

    def delete(self, todo_id):
        return "", 204


api.add_namespace(ns)
