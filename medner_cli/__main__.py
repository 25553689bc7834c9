from medner_cli.cli import main

main()
