from battleground.train.cli import main

raise SystemExit(main())
