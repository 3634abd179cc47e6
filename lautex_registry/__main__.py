from lautex_registry.cli.app import main

if __name__ == "__main__":
    main()
