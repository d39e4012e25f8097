# The part of Flask-WTF roomlog uses (Flask-WTF ships no type information), for mypy only.
from flask_wtf.csrf import CSRFProtect as CSRFProtect
from flask_wtf.form import FlaskForm as FlaskForm
