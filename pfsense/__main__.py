from pfsense.cli import main

raise SystemExit(main())
