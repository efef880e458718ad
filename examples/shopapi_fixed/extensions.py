"""Flask extensions, created here and bound to the app in ``create_app``."""

from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import scoped_session

if not hasattr(scoped_session, "get"):  # SQLAlchemy 1.3: db.session.get(Model, id) arrived in 1.4
    scoped_session.get = lambda self, entity, ident: self.query(entity).get(ident)

db = SQLAlchemy()
jwt = JWTManager()
