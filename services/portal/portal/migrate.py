from mumaris_shared.migrations import main

from .bootstrap import SERVICE

if __name__ == "__main__":
    main(SERVICE)
