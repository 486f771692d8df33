from mumaris_shared.runtime import main_consumer

from .bootstrap import runtime
from .handlers import HANDLERS

if __name__ == "__main__":
    main_consumer(runtime(), HANDLERS)
