from mumaris_shared.runtime import main_relay

from .bootstrap import runtime

if __name__ == "__main__":
    main_relay(runtime())
