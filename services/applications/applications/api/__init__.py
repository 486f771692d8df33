from flask_smorest import Blueprint

blueprint = Blueprint("applications", __name__, url_prefix="/v1", description="Registration requests")
