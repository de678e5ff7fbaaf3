from brigtui.cli import main

raise SystemExit(main())
