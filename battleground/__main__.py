from battleground.cli import main

raise SystemExit(main())
