import flask_nonexistent_extension  # noqa: F401
from flask import Flask

app = Flask(__name__)
