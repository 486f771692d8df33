from mumaris_shared.migrations import main

from .bootstrap import PRODUCTION_CHECKS, SERVICE

if __name__ == "__main__":
    main(SERVICE, PRODUCTION_CHECKS)
