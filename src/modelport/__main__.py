"""``python -m modelport``: the same as the ``modelport`` console script."""

from modelport.cli import main

if __name__ == "__main__":
    main()
