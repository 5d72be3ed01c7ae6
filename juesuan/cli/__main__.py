from juesuan.cli import main

raise SystemExit(main())
