from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/hello/<name>")
def hello(name):
    return jsonify(hello=name)
