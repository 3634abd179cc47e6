from lautex_registry.cli.app import main

main()
