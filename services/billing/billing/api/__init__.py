from flask_smorest import Blueprint

blueprint = Blueprint("billing", __name__, url_prefix="/v1", description="Invoices, payments, exemptions, waivers and refunds")
