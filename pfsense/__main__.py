from pfsense.cli.main import main

raise SystemExit(main())
