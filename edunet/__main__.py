import sys

from edunet.cli import main

sys.exit(main())
