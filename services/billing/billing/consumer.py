from mumaris_shared.runtime import main_consumer

from .bootstrap import runtime
from .handlers import handlers
from .service import BillingService

if __name__ == "__main__":
    billing = runtime()
    main_consumer(billing, handlers(BillingService(billing)))
